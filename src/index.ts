// Package entry for embedding: Gatehouse in-process (no HTTP), config types, errors, the model DSL.
// May import: module index.ts files only.
export { openGatehouse, startServer, type Gatehouse, type GatehouseOperation, type OpenGatehouseOptions, type RunningServer } from './app/index.ts'
export { loadConfig, ConfigError, type GatehouseConfig, type GatehouseConfigInput, type LoadConfigOptions } from './config/index.ts'
export { AppError, isAppError, CommonCodes } from './lib/index.ts'
export { modelFromDsl } from './authz/index.ts'
