import { pino, type DestinationStream, type Logger } from 'pino'
import type { GatehouseConfig } from '../config/index.ts'

export type { Logger }

/** Paths that may carry secrets in any log line; pino replaces their values. */
export const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  'presharedKeys',
  'config.presharedKeys',
  'password',
  '*.password',
  'connectionString',
  '*.connectionString',
]

export function createLogger(level: GatehouseConfig['logLevel'], destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'gatehouse' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  }
  return destination === undefined ? pino(options) : pino(options, destination)
}
