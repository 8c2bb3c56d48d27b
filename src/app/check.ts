// `gatehouse config check`: everything a start would refuse, found without starting — the
// settings (already loaded), the bootstrap file, the provisioning rules, templates and target
// files, and whether the listen address is safe — and nothing written anywhere.

import { assertSafeToListen, type GatehouseConfig } from '../config/index.ts'
import { buildTargets, compileRules } from '../provisioning/index.ts'
import { applyBootstrapFile, effectiveConfig } from './bootstrap.ts'
import { openCore } from './core.ts'
import { cookieDomainOf } from './forward-auth.ts'
import { createLogger } from './logger.ts'

/** Throws the first problem (a ConfigError or a provisioning configuration error); answers a summary. */
export async function checkConfiguration(config: GatehouseConfig): Promise<string> {
  assertSafeToListen(config)
  const effective = effectiveConfig(config)
  cookieDomainOf(effective)
  await checkBootstrapFile(config)
  const rules = compileRules(effective.provisioning)
  buildTargets(effective.provisioning, {
    baseDir: process.cwd(),
    localTuples: () => { throw new Error('not used by a check') },
  }).close()
  return [
    'configuration is valid',
    `  issuer:        ${effective.issuer}`,
    `  database:      ${effective.databaseUrl.startsWith('postgres') ? 'PostgreSQL' : 'SQLite'}`,
    `  upstreams:     ${effective.upstreams.map((u) => u.id).join(', ') || 'none'}`,
    `  provisioning:  ${rules.rules.size} rule(s), ${rules.targets.size} target(s)`,
  ].join('\n')
}

/**
 * Applies the bootstrap file as a start would, to an empty in-memory database: client metadata,
 * applications and the tenancy's references are checked by the code that applies them, and the
 * configured database is never touched. (A clash with records made through the API since can
 * still stop a start.)
 */
async function checkBootstrapFile(config: GatehouseConfig): Promise<void> {
  if (config.bootstrapFile === '') return
  const logger = createLogger('silent')
  const core = await openCore({ ...config, databaseUrl: 'sqlite::memory:' }, logger)
  try {
    await applyBootstrapFile(core, logger)
  } finally {
    await core.close()
  }
}
