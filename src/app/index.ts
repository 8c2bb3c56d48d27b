// Composition root: config → store → engine → http; the only place that constructs concrete classes.
// May import: every module (including both store backends); nothing imports app except cli and the package root.
export { startServer, type RunningServer, type StartServerOptions } from './server.ts'
export { openGatehouse, type Gatehouse, type GatehouseOperation, type OpenGatehouseOptions } from './embed.ts'
export { openCore, openStore, type Core } from './core.ts'
export { createLogger, type Logger } from './logger.ts'
export { closeOnSignal } from './shutdown.ts'
export { openSigningKeys, type OpenedSigningKeys } from './signing-keys.ts'
export { gatehouseVersion } from './version.ts'
export { applyBootstrapFile, runBootstrap, type BootstrapOutcome } from './bootstrap.ts'
export { createClientAdmin, openClientAdmin } from './clients.ts'
export { openApplicationAdmin } from './forward-auth.ts'
export { openLocalAccountAdmin, type LocalAccountAdmin } from './local-accounts.ts'
export { openTenancyAdmin } from './tenancy-admin.ts'
