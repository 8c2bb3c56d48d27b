// Maintenance sweeps against a real SQLite file with a clock the test moves: what has expired
// (past the clock tolerance) is deleted, what is live stays, one failing sweep does not stop
// the others, and the schedule stops on request.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createSigningKeys, type SigningKeys } from '../identity/index.ts'
import type { Clock } from '../lib/index.ts'
import type { Store } from '../store/index.ts'
import { openSqliteStore } from '../store/sqlite/index.ts'
import { createMaintenance, type MaintenanceOptions } from './maintenance.ts'

const DAY = 86_400

function movableClock(start = Date.UTC(2030, 0, 1)): Clock & { advance(seconds: number): void } {
  let t = start
  return { now: () => new Date(t), advance: (s) => { t += s * 1000 } }
}

function recordingLogger() {
  const lines: Array<{ level: 'debug' | 'warn'; obj: Record<string, unknown>; msg: string }> = []
  const logger = {
    debug: (obj: Record<string, unknown>, msg: string) => { lines.push({ level: 'debug', obj, msg }) },
    warn: (obj: Record<string, unknown>, msg: string) => { lines.push({ level: 'warn', obj, msg }) },
  }
  return { lines, logger: logger as unknown as MaintenanceOptions['logger'] }
}

describe('maintenance sweeps', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-maintenance-'))
  const clock = movableClock()
  let store: Store
  let keys: SigningKeys

  before(async () => {
    store = await openSqliteStore({ path: join(dir, 'gatehouse.db'), clock })
    await store.migrate()
    keys = createSigningKeys({ repo: store.signingKeys, secret: 'maintenance-test-secret-0123456789abcdef', maxTokenLifetimeSeconds: 100, clock })
    await keys.ensureKeys()
  })
  after(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('deletes expired artefacts, retired keys past their tokens and old attempt windows, and keeps live ones', async () => {
    const { logger, lines } = recordingLogger()
    const maintenance = createMaintenance({ store, keys, intervalMs: 60_000, logger, clock })
    const { retired } = await keys.rotate()
    await store.localAccounts.recordFailedAttempt('old-attempts', clock.now(), 300)
    await store.oidc.upsert('AccessToken', 'long-gone', { jti: 'long-gone' }, 10)
    clock.advance(DAY + 200)

    await store.localAccounts.recordFailedAttempt('recent', clock.now(), 300)
    await store.oidc.upsert('RefreshToken', 'live', { jti: 'live' }, 600)
    await store.oidc.upsert('AccessToken', 'just-expired', { jti: 'just-expired' }, 10)
    clock.advance(30)

    const report = await maintenance.runOnce()
    assert.deepEqual(report, { oidcArtifacts: 1, signingKeys: retired.length, signInAttempts: 1 })
    assert.deepEqual(await store.oidc.find('RefreshToken', 'live'), { jti: 'live' })
    const left = await keys.list()
    assert.deepEqual(left.map((k) => k.status), ['active', 'active'])
    assert.ok(left.every((k) => !retired.includes(k.kid)))
    assert.equal(await store.localAccounts.recordFailedAttempt('recent', clock.now(), 300), 2, 'the recent window is kept')
    assert.deepEqual(lines.map((l) => [l.level, l.obj.deleted]), [['debug', report]])

    // The artefact that expired within the clock tolerance goes once the tolerance has passed too.
    clock.advance(61)
    assert.deepEqual(await maintenance.runOnce(), { oidcArtifacts: 1, signingKeys: 0, signInAttempts: 0 })
    assert.deepEqual(await store.oidc.find('RefreshToken', 'live'), { jti: 'live' })
  })

  it('runs the other sweeps when one fails, and warns about the failure', async () => {
    const { logger, lines } = recordingLogger()
    const broken = {
      oidc: { ...store.oidc, sweepExpired: async () => { throw new Error('artefacts table locked') } },
      localAccounts: store.localAccounts,
    } as unknown as MaintenanceOptions['store']
    let pruned = false
    const report = await createMaintenance({ store: broken, keys: { prune: async () => { pruned = true; return 0 } }, intervalMs: 60_000, logger, clock }).runOnce()
    assert.equal(report.oidcArtifacts, undefined)
    assert.equal(report.signingKeys, 0)
    assert.equal(typeof report.signInAttempts, 'number')
    assert.ok(pruned)
    const warning = lines.find((l) => l.level === 'warn')
    assert.equal(warning?.obj.sweep, 'oidcArtifacts')
    assert.match(String(warning?.obj.err), /artefacts table locked/)
  })

  it('sweeps repeatedly once started and not after stop', async () => {
    const { logger, lines } = recordingLogger()
    let runs = 0
    const maintenance = createMaintenance({
      store, keys: { prune: async () => { runs++; return 0 } }, intervalMs: 10, logger, clock, random: () => 0,
    })
    maintenance.start()
    while (runs < 3) await new Promise((resolve) => setTimeout(resolve, 5))
    await maintenance.stop()
    const after = runs
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.equal(runs, after)
    assert.ok(lines.filter((l) => l.level === 'debug').length >= 3)
  })
})
