// A replica's reads catch up with every commit acknowledged before them, even when a reload that
// read an older snapshot is still under way as the read begins (the notification of an earlier
// commit started it), and a late reload never takes the state back.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Store } from '../store/index.ts'
import { openSqliteStore } from '../store/sqlite/index.ts'
import { createTenancy, SYSTEM_PRINCIPAL, type Tenancy } from './index.ts'

const sys = { actor: SYSTEM_PRINCIPAL }

describe('tenancy core across replicas', { timeout: 10_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-core-'))
  let stores: Store[] = []
  let writer: Tenancy
  let reader: Tenancy
  /** Holds the reader's loads after they have read their snapshot, until released. */
  let hold: Promise<void> | undefined

  before(async () => {
    stores = [await openSqliteStore({ path: join(dir, 't.db') }), await openSqliteStore({ path: join(dir, 't.db') })]
    await stores[0].migrate()
    const load = stores[1].tenancy.load.bind(stores[1].tenancy)
    stores[1].tenancy.load = async () => {
      const snapshot = await load()
      await hold
      return snapshot
    }
    writer = createTenancy({ store: stores[0] })
    reader = createTenancy({ store: stores[1] })
    await writer.start(false)
    await reader.start(false)
    await writer.organizations.create(sys, { name: 'acme' })
  })
  after(async () => {
    for (const s of stores) await s.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('a read waits for a snapshot taken after the commits acknowledged before it', async () => {
    let release!: () => void
    hold = new Promise((resolve) => { release = resolve })
    const stale = reader.core.reload()
    // The reload above has read its snapshot; this commit lands after it.
    await new Promise((resolve) => setTimeout(resolve, 20))
    await writer.groups.create(sys, 'acme', { name: 'developers' })
    const committed = writer.core.state.revision

    const read = reader.core.current()
    setTimeout(() => { hold = undefined; release() }, 20)
    await Promise.all([stale, read])
    assert.equal(reader.core.state.revision, committed)
    assert.deepEqual(reader.groups.list(sys, 'acme').map((g) => g.name), ['developers'])
  })

  it('a reload that read before this replica committed does not take the state back', async () => {
    let release!: () => void
    hold = new Promise((resolve) => { release = resolve })
    const late = reader.core.reload()
    await new Promise((resolve) => setTimeout(resolve, 20))
    await reader.groups.create(sys, 'acme', { name: 'operators' })
    const committed = reader.core.state.revision
    hold = undefined
    release()
    await late
    assert.equal(reader.core.state.revision, committed)
    assert.deepEqual(reader.groups.list(sys, 'acme').map((g) => g.name).sort(), ['developers', 'operators'])
  })
})
