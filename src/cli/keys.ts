// `gatehouse keys list|stage|rotate|prune`: signing-key administration against the database the
// servers use. Running servers pick up a change at their next key refresh
// (keyRefreshIntervalSeconds); key material is never printed.

import { envVarFor, type GatehouseConfig } from '../config/index.ts'
import type { SigningKeys } from '../identity/index.ts'
import { Exit, UsageError, type CliIO } from './io.ts'

export const KEYS_SUBCOMMANDS = ['list', 'stage', 'rotate', 'prune'] as const

type KeyRow = Awaited<ReturnType<SigningKeys['list']>>[number]

const when = (d: Date | null): string => (d === null ? '-' : d.toISOString())

export function formatKeyTable(rows: KeyRow[]): string {
  const header = ['KID', 'ALG', 'STATUS', 'CREATED', 'ACTIVATED', 'RETIRED', 'EXPIRES']
  const lines = [header, ...rows.map((k) => [k.kid, k.alg, k.status, when(k.createdAt), when(k.activatedAt), when(k.retiredAt), when(k.expiresAt)])]
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)))
  return lines.map((l) => l.map((cell, i) => (i === l.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n') + '\n'
}

export async function runKeysCommand(sub: string | undefined, config: GatehouseConfig, io: CliIO): Promise<number> {
  if (sub === undefined) throw new UsageError(`keys: missing subcommand (${KEYS_SUBCOMMANDS.join(', ')})`)
  if (!(KEYS_SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`keys: unknown subcommand "${sub}"`)
  const app = await import('../app/index.ts')
  const { keys, close } = await app.openSigningKeys(config, app.createLogger(config.logLevel))
  const refresh = `${config.keyRefreshIntervalSeconds} s (${envVarFor('keyRefreshIntervalSeconds')})`
  try {
    // Opening every stored key first: keys written under a different secret would be unreadable
    // to the servers, so a wrong secret must stop the command before it writes anything.
    if (sub === 'stage' || sub === 'rotate') await keys.ensureKeys()
    switch (sub) {
      case 'list': {
        const rows = await keys.list()
        io.stdout.write(rows.length === 0 ? 'no signing keys yet (a server creates them on its first start)\n' : formatKeyTable(rows))
        return Exit.ok
      }
      case 'stage': {
        const staged = await keys.stageNext()
        io.stdout.write(staged.length === 0
          ? 'next keys were already staged; nothing to do\n'
          : `staged next keys (published, not signing yet): ${staged.join(', ')}\n`)
        io.stdout.write(`Run \`gatehouse keys rotate\` once every server has refreshed (${refresh}) and relying parties have refetched /jwks.\n`)
        return Exit.ok
      }
      case 'rotate': {
        const staged = (await keys.list()).some((k) => k.status === 'next')
        const result = await keys.rotate()
        if (!staged) {
          io.stderr.write('No keys were staged: new keys were created and made active at once. Relying parties that cached /jwks may reject ' +
            'the new tokens until they refetch it; with several servers or caching clients, run `gatehouse keys stage` first.\n')
        }
        io.stdout.write(`active keys: ${result.activated.join(', ')}\n`)
        io.stdout.write(`retired keys: ${result.retired.length === 0 ? '-' : result.retired.join(', ')} (published until ${result.publishedUntil.toISOString()})\n`)
        io.stdout.write(`Running servers sign with the new keys after their next key refresh (${refresh}).\n`)
        return Exit.ok
      }
      default: {
        const deleted = await keys.prune()
        io.stdout.write(`deleted ${deleted} expired signing key${deleted === 1 ? '' : 's'}\n`)
        return Exit.ok
      }
    }
  } finally {
    await close()
  }
}
