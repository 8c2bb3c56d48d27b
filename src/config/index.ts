// Configuration: one schema (type, default, env var, description, secret), loading with precedence, checks, docs.
// May import: src/lib and npm packages (zod, yaml).
export {
  configKeys,
  CONFIG_KEY_NAMES,
  CONFIG_FILE_ENV,
  LOG_LEVELS,
  envVarFor,
  type ConfigKey,
  type GatehouseConfig,
  type GatehouseConfigInput,
  type KeySpec,
  type KeyKind,
} from './schema.ts'
export { ACCESS_TOKEN_CLAIM_NAMES, resourceServerSchema, upstreamSchema, UPSTREAM_KINDS, type ResourceServerConfig, type UpstreamConfig } from './identity-keys.ts'
export { trustedIssuerSchema, type TrustedIssuerConfig } from './trusted-issuers.ts'
export { DEFAULT_RESERVED_NAMES } from './tenancy-keys.ts'
export { EMPTY_PROVISIONING, provisioningSchema, type ProvisioningCondition, type ProvisioningConfig, type ProvisioningRuleConfig, type ProvisioningTargetConfig } from './provisioning-keys.ts'
export { loadConfig, describeKey, type LoadedConfig, type LoadConfigOptions, type ValueSource } from './load.ts'
export { ConfigError, ConfigErrorCodes, isConfigError } from './errors.ts'
export { assertSafeToListen, isLoopbackHost } from './verify.ts'
export { parseDatabaseUrl, describeDatabase, type DatabaseTarget } from './database.ts'
export { redactConfig, formatConfig, REDACTED } from './print.ts'
export { configurationMarkdown } from './docs.ts'
