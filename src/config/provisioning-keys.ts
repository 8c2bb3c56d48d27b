import { z } from 'zod'
import type { KeySpec } from './schema.ts'

// Provisioning: downstream targets (Incus, webhooks, OpenFGA servers), the rules that turn
// sign-ins and tenancy changes into actions on them, and how the outbox delivers. Shapes only:
// templates, references between targets and rules, and files are checked by src/provisioning
// when it compiles the rules at start, naming the rule and field.

const ID = /^[a-z0-9][a-z0-9._-]{0,62}$/
const id = (what: string) => z.string().regex(ID, `${what} must be 1 to 63 of a-z 0-9 . _ - (starting with a letter or digit)`)
const seconds = (max: number) => z.number().positive('must be positive').max(max, `must be at most ${max}`)
const stringMap = z.record(z.string().min(1).max(256), z.string().max(4096))

/** Group conditions: the user's upstream groups (as the IdP names them, or `<upstream>:<group>`) and organization groups (`<org>/<group>`). */
const groupsCondition = z.object({
  anyOf: z.array(z.string().min(1).max(200)).max(200).optional(),
  allOf: z.array(z.string().min(1).max(200)).max(200).optional(),
  noneOf: z.array(z.string().min(1).max(200)).max(200).optional(),
}).strict()

export const provisioningConditionSchema = z.object({
  groups: groupsCondition.optional(),
  /** Organization names the user (or project) must belong to, any of. */
  organizations: z.array(z.string().min(1).max(63)).max(200).optional(),
}).strict()

const clientCertificate = z.union([
  z.object({ certFile: z.string().min(1), keyFile: z.string().min(1) }).strict(),
  z.object({ pfxFile: z.string().min(1), passphraseFile: z.string().min(1).optional() }).strict(),
])
const serverCertificate = z.union([
  z.object({ caFile: z.string().min(1) }).strict(),
  z.object({ fingerprint: z.string().regex(/^(sha256:)?([0-9A-Fa-f]{2}:?){32}$/, 'must be a SHA-256 fingerprint (64 hex digits, colons allowed)') }).strict(),
])

export const provisioningTargetSchema = z.discriminatedUnion('kind', [
  z.object({
    id: id('target id'), kind: z.literal('incus'), url: z.url({ protocol: /^https$/, error: 'must be an https URL' }),
    clientCertificate, serverCertificate, timeoutSeconds: seconds(300).default(15),
  }).strict(),
  z.object({
    id: id('target id'), kind: z.literal('webhook'), url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    /** Files holding `whsec_…` secrets, one per line; several during a rotation. */
    secretFile: z.string().min(1), headers: stringMap.optional(), timeoutSeconds: seconds(300).default(10),
  }).strict(),
  z.object({
    id: id('target id'), kind: z.literal('openfga'), url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    storeId: z.string().min(1).max(64), tokenFile: z.string().min(1).optional(), timeoutSeconds: seconds(300).default(10),
  }).strict(),
])

const tupleTemplate = z.object({ user: z.string().min(1), relation: z.string().min(1), object: z.string().min(1) }).strict()
/** Either a Gatehouse store (`store`: its id) or an OpenFGA target (`target`). */
const tupleDestination = { store: z.string().min(1).max(64).optional(), target: id('target').optional() }

export const provisioningRuleSchema = z.object({
  id: id('rule id'),
  on: z.array(z.enum(['user.signed_in', 'user.disabled', 'project.created', 'project.updated', 'project.deleted'])).min(1),
  when: provisioningConditionSchema.optional(),
  incusProject: z.object({
    target: id('target'),
    name: z.string().min(1),
    description: z.string().optional(),
    config: stringMap.default({}),
    overrides: z.array(z.object({ when: provisioningConditionSchema, config: stringMap }).strict()).default([]),
    /** What happens to the project when its user no longer matches `when`, is disabled, or its tenancy project is deleted. */
    onLeave: z.enum(['keep', 'restrict', 'delete-when-empty']).default('restrict'),
  }).strict().optional(),
  tuples: z.object({
    ...tupleDestination,
    writes: z.array(tupleTemplate).max(100).default([]),
    /** Project rules: written once per group the project is shared with, `{{ group }}` naming it. */
    perGroup: z.array(tupleTemplate).max(100).default([]),
  }).strict().optional(),
  groupSync: z.object({
    ...tupleDestination, object: z.string().min(1), relation: z.string().min(1), user: z.string().min(1),
    /** `upstream`: the IdP's groups; `organizations`: the user's organization groups, as `<org>/<group>`. */
    source: z.enum(['upstream', 'organizations']).default('upstream'),
    /** Only these groups (same matching as conditions); default every group of the source. */
    groups: z.array(z.string().min(1).max(200)).max(200).optional(),
  }).strict().optional(),
  webhook: z.object({ target: id('target') }).strict().optional(),
}).strict()

export const provisioningSchema = z.object({
  targets: z.array(provisioningTargetSchema).default([]),
  rules: z.array(provisioningRuleSchema).default([]),
  delivery: z.object({
    /** Attempts before an event goes to the dead letters. */
    maxAttempts: z.number().int().min(1).max(1000).default(15),
    /** An event still failing after this long goes to the dead letters. */
    maxAgeSeconds: seconds(30 * 86400).default(3 * 86400),
    initialBackoffSeconds: seconds(3600).default(2),
    maxBackoffSeconds: seconds(86400).default(900),
    /** Deliveries in flight at once per process. */
    concurrency: z.number().int().min(1).max(64).default(4),
    /** How often an idle worker looks for due events (new events wake it at once on this process). */
    pollIntervalMs: z.number().int().min(10).max(60_000).default(1000),
    /** Delivered events are kept this long for inspection. */
    retentionDays: z.number().int().min(1).max(3650).default(14),
  }).strict().default({ maxAttempts: 15, maxAgeSeconds: 3 * 86400, initialBackoffSeconds: 2, maxBackoffSeconds: 900, concurrency: 4, pollIntervalMs: 1000, retentionDays: 14 }),
}).strict()

export type ProvisioningConfig = z.output<typeof provisioningSchema>
export type ProvisioningTargetConfig = z.output<typeof provisioningTargetSchema>
export type ProvisioningRuleConfig = z.output<typeof provisioningRuleSchema>
export type ProvisioningCondition = z.output<typeof provisioningConditionSchema>

export const EMPTY_PROVISIONING: ProvisioningConfig = provisioningSchema.parse({})

export const provisioningKeys = {
  provisioning: {
    kind: 'json',
    schema: provisioningSchema as z.ZodType<ProvisioningConfig>,
    default: EMPTY_PROVISIONING,
    description: 'Downstream provisioning (a YAML object, or JSON in the env var; also a `provisioning` section of the bootstrap file, which replaces this one): `targets` (`incus`, `webhook`, `openfga`), `rules` (on `user.signed_in`, `user.disabled`, `project.created|updated|deleted`: `incusProject`, `tuples`, `groupSync`, `webhook`) and `delivery` (attempts, backoff, concurrency, retention). Events are written in the transaction of the change that causes them and delivered at least once through the outbox. See docs/provisioning.md.',
    secret: false,
  } satisfies KeySpec<ProvisioningConfig>,
}
