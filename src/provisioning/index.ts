// Provisioning: sign-ins and tenancy changes → outbox events (same transaction) → rules → Incus projects, tuples, signed webhooks, delivered with retries.
// May import: src/lib, src/config, src/store (types and error codes); never Fastify, SQL drivers, authz, tenancy or identity.
export { DeliveryError, ProvisioningCodes, provisioningConfigError, rejectedDelivery, retryableDelivery } from './errors.ts'
export { eventJson, userEvent, PROJECT_EVENTS, USER_EVENTS, type EventType, type ProvisioningEvent, type ProvisioningProject, type ProvisioningUser } from './events.ts'
export type { DeliveryTargets, IncusTarget, WebhookTarget } from './deliver.ts'
export type { RulePreview } from './preview.ts'
export type { EventView, ProvisioningAdmin } from './admin.ts'
export { compileRules, fanOut, type CompiledRules, type TupleDestination } from './rules.ts'
export { createProvisioning, type Provisioning } from './service.ts'
export type { TupleBackend } from './tuple-sync.ts'
export { tupleId } from './tuple-sync.ts'
export { buildTargets, type BuiltTargets, type TargetOptions } from './targets.ts'
