import { z } from 'zod'
import { forwardAuthKeys } from './forward-auth-keys.ts'
import { provisioningKeys } from './provisioning-keys.ts'
import { tenancyKeys } from './tenancy-keys.ts'
import { brandingKeys } from './branding-keys.ts'
import { trustedIssuerKeys } from './trusted-issuers.ts'
import { identityKeys, upstreamKeys } from './identity-keys.ts'

/** How a key's value is written in the environment (and how the docs describe it). */
export type KeyKind = 'string' | 'integer' | 'boolean' | 'list' | 'enum' | 'json'

export interface KeySpec<T> {
  kind: KeyKind
  schema: z.ZodType<T>
  /** A fixed default, or one computed from the other (already resolved) keys. */
  default: T | ((config: ResolvedBase) => T)
  /** How the docs state a computed default. */
  defaultText?: string
  description: string
  secret: boolean
  /** For secrets with a shareable part: how to print the value with the secret part hidden. */
  redact?: (value: T) => unknown
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

const positiveInt = (max = Number.MAX_SAFE_INTEGER) =>
  z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(max, `must be at most ${max}`)

function key<T>(spec: KeySpec<T>): KeySpec<T> {
  return spec
}

function limit(defaultValue: number, description: string, max?: number): KeySpec<number> {
  return key({ kind: 'integer', schema: positiveInt(max), default: defaultValue, description, secret: false })
}

/** Accepted database URL forms, checked here so a typo fails at startup, not at first query. */
export function databaseUrlProblem(url: string): string | undefined {
  if (/^postgres(ql)?:\/\//.test(url)) {
    try {
      const parsed = new URL(url)
      if (parsed.hostname === '' && !parsed.searchParams.has('host')) return 'a PostgreSQL URL needs a host'
      return undefined
    } catch {
      return 'is not a valid PostgreSQL URL'
    }
  }
  if (url.startsWith('sqlite:')) {
    const rest = url.slice('sqlite:'.length)
    if (rest === '') return 'sqlite: needs a path (sqlite:relative/path, sqlite:///abs/path or sqlite::memory:)'
    if (rest.startsWith('//') && !rest.startsWith('///')) return 'use sqlite:///abs/path for an absolute path or sqlite:relative/path'
    return undefined
  }
  return 'must start with postgres://, postgresql:// or sqlite:'
}

export function redactUrlPassword(url: string): string {
  if (!/^postgres(ql)?:\/\//.test(url)) return url
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = 'redacted'
    for (const name of ['password', 'sslpassword']) if (parsed.searchParams.has(name)) parsed.searchParams.set(name, 'redacted')
    return parsed.toString()
  } catch {
    return '[redacted]'
  }
}

/**
 * Every configuration key. Adding a key here gives it an env var (GATEHOUSE_ + SCREAMING_SNAKE
 * of the key), YAML support, validation and a row in docs/configuration.md.
 */
export const configKeys = {
  host: key<string>({
    kind: 'string',
    schema: z.string().min(1, 'must not be empty'),
    default: (c) => (c.presharedKeys.length > 0 ? '0.0.0.0' : '127.0.0.1'),
    defaultText: '`127.0.0.1` when no preshared key is configured, else `0.0.0.0`',
    description: 'Address the HTTP server binds to. A non-loopback address requires a preshared key or allowUnauthenticated.',
    secret: false,
  }),
  port: key<number>({
    kind: 'integer',
    schema: z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be between 0 and 65535').max(65535, 'must be between 0 and 65535'),
    default: 8080,
    description: 'TCP port of the HTTP server (0 picks a free port).',
    secret: false,
  }),
  dataDir: key<string>({
    kind: 'string',
    schema: z.string().min(1, 'must not be empty'),
    default: './data',
    description: 'Directory for local state (the default SQLite database lives here).',
    secret: false,
  }),
  databaseUrl: key<string>({
    kind: 'string',
    schema: z.string().min(1, 'must not be empty').superRefine((url, ctx) => {
      const problem = databaseUrlProblem(url)
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem })
    }),
    default: (c) => `sqlite:${c.dataDir.replace(/\/+$/, '')}/gatehouse.db`,
    defaultText: '`sqlite:<dataDir>/gatehouse.db`',
    description: 'Database: `postgres://user:pass@host:5432/db` (or `postgresql://`), `sqlite:///abs/path`, `sqlite:relative/path` or `sqlite::memory:`. The password is secret.',
    secret: true,
    redact: redactUrlPassword,
  }),
  sqliteSynchronous: key<'full' | 'normal'>({
    kind: 'enum',
    schema: z.enum(['full', 'normal'], { error: 'must be full or normal' }),
    default: 'full',
    description: 'SQLite durability. `full`: every acknowledged write is synced to disk and survives a crash of the process, of the OS, or a power loss. `normal`: a crash of Gatehouse still loses nothing, but an OS crash or power loss can lose the writes of the last moments (up to the last WAL checkpoint), never corrupting the database; writes are faster on slow disks.',
    secret: false,
  }),
  databaseConnectTimeoutMs: limit(10_000, 'PostgreSQL: how long (ms) to wait for a connection (new or from the pool) before answering 503 store_unavailable.'),
  databaseStatementTimeoutMs: limit(30_000, 'PostgreSQL: longest a statement may run (ms) before it is cancelled and the request answered 503 (statement_timeout; migrations are exempt).'),
  databaseLockTimeoutMs: limit(5000, 'PostgreSQL: longest a statement may wait for a lock (ms) before the request is answered 503 (lock_timeout), and /readyz reports the stall.'),
  databaseIdleInTransactionTimeoutMs: limit(60_000, 'PostgreSQL: a transaction left idle this long (ms) is ended by the server (idle_in_transaction_session_timeout).'),
  presharedKeys: key<string[]>({
    kind: 'list',
    schema: z.array(z.string().regex(/^[\x21-\x7e]+$/, 'keys must be printable ASCII without spaces')),
    default: [],
    description: 'Comma-separated bearer tokens accepted on the OpenFGA API (`Authorization: Bearer <key>`). Empty disables authentication.',
    secret: true,
  }),
  allowUnauthenticated: key<boolean>({
    kind: 'boolean',
    schema: z.boolean({ error: 'must be true or false' }),
    default: false,
    description: 'Allow listening on a non-loopback address without any preshared key.',
    secret: false,
  }),
  logLevel: key<(typeof LOG_LEVELS)[number]>({
    kind: 'enum',
    schema: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
    default: 'info',
    description: `Log level: ${LOG_LEVELS.join(', ')}.`,
    secret: false,
  }),
  bodyLimitBytes: limit(1_048_576, 'Largest accepted request body, in bytes; larger bodies get 413 payload_too_large.'),
  shutdownTimeoutMs: limit(10_000, 'On SIGINT/SIGTERM, how long in-flight requests may finish before connections are closed.'),
  maxTuplesPerWrite: limit(100, 'Most tuples (writes + deletes) in one Write request.'),
  maxChecksPerBatchCheck: limit(50, 'Most checks in one BatchCheck request.'),
  maxContextualTuples: limit(100, 'Most contextual tuples in one query.'),
  maxAssertions: limit(100, 'Most assertions stored per authorization model.'),
  listObjectsMaxResults: limit(1000, 'ListObjects returns at most this many objects (a partial result, not an error).'),
  listObjectsDeadlineMs: limit(3000, 'ListObjects and StreamedListObjects stop and return what they found after this many milliseconds.'),
  listUsersMaxResults: limit(1000, 'ListUsers returns at most this many users.'),
  listUsersDeadlineMs: limit(3000, 'ListUsers stops and returns what it found after this many milliseconds.'),
  expandMaxLeaves: limit(10_000, 'Most users and usersets one Expand answer may list across its leaves; a larger expansion fails with 400 exceeded_entity_limit (enumerate such a relation with Read, page by page).'),
  resolveDepthLimit: limit(25, 'Deepest chain of relation rewrites a query may follow before failing with authorization_model_resolution_too_complex.'),
  maxTypesPerModel: limit(100, 'Most type definitions in one authorization model.'),
  maxModelSizeBytes: limit(262_144, 'Largest serialized authorization model, in bytes.'),
  defaultPageSize: limit(50, 'Page size of paginated reads when the request gives none.'),
  maxPageSize: limit(100, 'Largest page size a paginated read may ask for.'),
  maxConditionContextBytes: limit(32_768, 'Largest condition context stored with one tuple, in bytes.'),
  indexMaxTuples: limit(5_000_000, 'Tuples the engine keeps in memory across all store indexes; beyond this the least recently used stores are evicted.'),
  indexPollIntervalMs: key({
    kind: 'integer',
    schema: z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be at least 0'),
    default: 5000,
    description: 'How often (ms) the engine asks the database for the revisions of the stores it holds in memory, to catch writes whose notification was lost; 0 turns the poll off.',
    secret: false,
  }),
  staleReadMaxMs: key({
    kind: 'integer',
    schema: z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be at least 0'),
    default: 300_000,
    description: 'While the database is unreachable, Check, ListObjects and the other queries at MINIMIZE_LATENCY (the default) are answered from the engine\'s memory for up to this long (ms) after the store\'s model was last confirmed; the gatehouse_stale_answers_total metric and a warning say so. HIGHER_CONSISTENCY queries and writes still fail with 503. 0 refuses stale answers.',
    secret: false,
  }),
  ...identityKeys,
  ...upstreamKeys,
  ...forwardAuthKeys,
  ...trustedIssuerKeys,
  ...tenancyKeys,
  ...provisioningKeys,
  ...brandingKeys,
} as const

export type ConfigKeys = typeof configKeys
export type ConfigKey = keyof ConfigKeys

type ValueOf<K extends ConfigKey> = ConfigKeys[K] extends KeySpec<infer T> ? T : never

/** The resolved configuration: every key present and valid. */
export type GatehouseConfig = { readonly [K in ConfigKey]: ValueOf<K> }

/** Partial configuration as given by a caller (embedding, tests). */
export type GatehouseConfigInput = { [K in ConfigKey]?: ValueOf<K> }

/** What computed defaults may read: the keys that have fixed defaults. */
export interface ResolvedBase {
  presharedKeys: string[]
  dataDir: string
  port: number
}

export const CONFIG_KEY_NAMES = Object.keys(configKeys) as ConfigKey[]

export function envVarFor(name: ConfigKey): string {
  return 'GATEHOUSE_' + name.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase()
}

export function specOf(name: ConfigKey): KeySpec<unknown> {
  return configKeys[name] as KeySpec<unknown>
}

/** The config file is a source, not a key; named here so docs and errors agree. */
export const CONFIG_FILE_ENV = 'GATEHOUSE_CONFIG'
