// The admin console's mount: where its built files are (web/dist beside src/ in a checkout,
// beside dist/ in the package) and the settings it signs in with.

import { fileURLToPath } from 'node:url'
import type { GatehouseConfig } from '../config/index.ts'
import type { ConsoleMount } from '../http/index.ts'
import { CONSOLE_CLIENT_ID, consoleAudience } from '../identity/index.ts'
import { gatehouseVersion } from './version.ts'

export const CONSOLE_ROOT = fileURLToPath(new URL('../../web/dist', import.meta.url))

export function consoleMount(config: Pick<GatehouseConfig, 'issuer'>, root = CONSOLE_ROOT): ConsoleMount {
  const settings = { issuer: config.issuer, clientId: CONSOLE_CLIENT_ID, audience: consoleAudience(config.issuer), version: gatehouseVersion() }
  return { root, settings: () => settings }
}
