// Managing OIDC clients: create (the plaintext secret is returned once), read, replace, delete,
// rotate the secret. Every write is checked twice: by Gatehouse's own client shape and by
// oidc-provider's client validation, so a client stored here is one the provider will serve.

import { errors } from 'oidc-provider'
import type { z } from 'zod'
import { AppError } from '../../lib/index.ts'
import type { JsonObject, OidcClientRecord, OidcClientSource, OidcClientsRepo } from '../../store/index.ts'
import { generateSecret, GENERATED_SECRET_PARAMS, hashSecret } from '../secrets.ts'
import {
  authMethodOf, clientInputSchema, fromMetadata, MIN_CLIENT_SECRET_LENGTH, needsSecret, OIDC_SCOPES, toMetadata,
  type ClientSpec, type ClientView,
} from './schema.ts'

export const ClientErrorCodes = {
  notFound: 'client_not_found',
  alreadyExists: 'client_already_exists',
  invalidMetadata: 'invalid_client_metadata',
  /** The client belongs to the bootstrap file; change it there. */
  managedByBootstrap: 'client_managed_by_bootstrap',
  /** Rotation asked of a client that does not authenticate with a secret. */
  noSecret: 'client_secret_not_applicable',
} as const

/** Checks metadata (with client_id, and a placeholder secret where one is needed) like the provider does on load. */
export type ProviderClientValidator = (metadata: JsonObject) => Promise<void>

export interface ClientServiceOptions {
  repo: OidcClientsRepo
  /** oidc-provider's own check (`provider.Client.validate`). */
  validate: ProviderClientValidator
  /** Scopes of the configured resource servers; other non-OIDC scopes are refused. Absent: not checked. */
  resourceScopes?: Iterable<string>
  /** Audiences and indicators of the configured resource servers, for `defaultAudience`. Absent: not checked. */
  resourceAudiences?: Iterable<string>
}

export interface ClientWithSecret {
  client: ClientView
  /** Present only in the answer that created it. */
  secret?: string
}

export interface ClientPage {
  clients: ClientView[]
  continuationToken: string
}

export interface ClientService {
  /** Parses a client in the camelCase shape; throws invalid_client_metadata naming the field. */
  parse(input: unknown): ClientSpec
  create(input: unknown, source?: Exclude<OidcClientSource, 'bootstrap'>): Promise<ClientWithSecret>
  get(id: string): Promise<ClientView>
  list(page?: { pageSize?: number; continuationToken?: string }): Promise<ClientPage>
  /** Replaces the metadata; keeps the stored secret while the auth method still uses one. */
  update(id: string, input: unknown): Promise<ClientView>
  delete(id: string): Promise<void>
  rotateSecret(id: string): Promise<ClientWithSecret>
  /** Both checks for a parsed spec, without writing. */
  check(spec: ClientSpec): Promise<JsonObject>
}

export const invalidMetadata = (message: string, details?: Record<string, unknown>) =>
  new AppError(ClientErrorCodes.invalidMetadata, message, { status: 400, details })

const notFound = (id: string) => new AppError(ClientErrorCodes.notFound, `client ${id} not found`, { status: 404 })

/** `redirectUris[0]`-style path of a zod issue. */
export function issuePath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('')
}

function zodProblem(error: z.ZodError): AppError {
  const issues = error.issues.map((i) => ({ path: issuePath(i.path), message: i.message }))
  const text = issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; ')
  return invalidMetadata(text, { issues })
}

export function toView(record: OidcClientRecord): ClientView {
  const spec = fromMetadata(record.clientId, record.metadata)
  return {
    ...spec,
    tokenEndpointAuthMethod: authMethodOf(spec),
    source: record.source,
    hasSecret: record.secretHash !== null,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  }
}

/** A given secret must be long enough to resist guessing; it is hashed with cheap parameters. */
export function checkGivenSecret(secret: unknown): string {
  if (typeof secret !== 'string' || secret.length < MIN_CLIENT_SECRET_LENGTH || secret.length > 512) {
    throw invalidMetadata(`secret must be a string of ${MIN_CLIENT_SECRET_LENGTH} to 512 characters`)
  }
  return secret
}

function objectBody(input: unknown): Record<string, unknown> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw invalidMetadata('a client must be a JSON object')
  return input as Record<string, unknown>
}

export function createClientService(options: ClientServiceOptions): ClientService {
  const { repo } = options
  const knownScopes = options.resourceScopes === undefined ? undefined : new Set([...OIDC_SCOPES, ...options.resourceScopes])
  const knownAudiences = options.resourceAudiences === undefined ? undefined : new Set(options.resourceAudiences)

  function parse(input: unknown): ClientSpec {
    const result = clientInputSchema.safeParse(input)
    if (!result.success) throw zodProblem(result.error)
    const unknown = knownScopes === undefined ? [] : result.data.scopes.filter((s) => !knownScopes.has(s))
    if (unknown.length > 0) {
      throw invalidMetadata(`scopes: ${unknown.join(', ')} is neither an OpenID Connect scope nor a scope of a configured resource server`)
    }
    const audience = result.data.defaultAudience
    if (audience !== undefined && knownAudiences !== undefined && !knownAudiences.has(audience)) {
      throw invalidMetadata(`defaultAudience: ${audience} is not the audience or indicator of a configured resource server`)
    }
    return result.data
  }

  async function check(spec: ClientSpec): Promise<JsonObject> {
    const metadata = toMetadata(spec)
    const placeholder = needsSecret(spec) ? { client_secret: 'x'.repeat(MIN_CLIENT_SECRET_LENGTH) } : {}
    try {
      await options.validate({ ...metadata, ...placeholder, client_id: spec.id })
    } catch (err) {
      if (err instanceof errors.InvalidClientMetadata || err instanceof errors.InvalidRedirectUri) {
        throw invalidMetadata(err.error_description ?? err.message)
      }
      throw err
    }
    return metadata
  }

  async function existing(id: string): Promise<OidcClientRecord> {
    const record = await repo.get(id)
    if (!record) throw notFound(id)
    if (record.source === 'bootstrap') {
      throw new AppError(ClientErrorCodes.managedByBootstrap, `client ${id} is defined in the bootstrap file; change it there`, { status: 409 })
    }
    return record
  }

  return {
    parse,
    check,

    async create(input, source = 'api') {
      const { secret: given, ...rest } = objectBody(input)
      const spec = parse(rest)
      if (given !== undefined && !needsSecret(spec)) throw invalidMetadata(`secret: a ${spec.type} client using ${authMethodOf(spec)} has no secret`)
      const secret = needsSecret(spec) ? (given === undefined ? generateSecret() : checkGivenSecret(given)) : undefined
      const metadata = await check(spec)
      if (await repo.get(spec.id)) throw new AppError(ClientErrorCodes.alreadyExists, `client ${spec.id} already exists`, { status: 409 })
      const secretHash = secret === undefined ? null : await hashSecret(secret, GENERATED_SECRET_PARAMS)
      const { client } = await repo.upsert({ clientId: spec.id, metadata, secretHash, source })
      return secret === undefined ? { client: toView(client) } : { client: toView(client), secret }
    },

    async get(id) {
      const record = await repo.get(id)
      if (!record) throw notFound(id)
      return toView(record)
    },

    async list(page = {}) {
      const pageSize = page.pageSize ?? 50
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) throw new AppError('validation_error', 'page_size must be between 1 and 100', { status: 400 })
      const result = await repo.list({ pageSize, continuationToken: page.continuationToken })
      return { clients: result.items.map(toView), continuationToken: result.continuationToken }
    },

    async update(id, input) {
      const body = objectBody(input)
      if (body.id !== undefined && body.id !== id) throw invalidMetadata(`id: the body names ${String(body.id)} but the URL names ${id}`)
      if ('secret' in body) throw invalidMetadata('secret: change a secret by rotating it')
      const spec = parse({ ...body, id })
      const record = await existing(id)
      const metadata = await check(spec)
      const { client } = await repo.upsert({ clientId: id, metadata, secretHash: needsSecret(spec) ? record.secretHash : null, source: record.source })
      return toView(client)
    },

    async delete(id) {
      await existing(id)
      if (!(await repo.delete(id))) throw notFound(id)
    },

    async rotateSecret(id) {
      const record = await existing(id)
      const spec = fromMetadata(id, record.metadata)
      if (!needsSecret(spec)) {
        throw new AppError(ClientErrorCodes.noSecret, `client ${id} authenticates with ${authMethodOf(spec)}, not a secret`, { status: 409 })
      }
      const secret = generateSecret()
      const { client } = await repo.upsert({ ...record, secretHash: await hashSecret(secret, GENERATED_SECRET_PARAMS) })
      return { client: toView(client), secret }
    },
  }
}
