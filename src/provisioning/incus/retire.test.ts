// Removal policies against a real incusd: keep changes nothing, restrict is idempotent and undone
// by the next ensureProject, delete-when-empty deletes only an empty project and otherwise
// restricts, and a project Gatehouse does not own is refused under every policy but keep.

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { DeliveryError, ProvisioningCodes } from '../errors.ts'
import { incusSkipReason, startIncus, type TestIncus } from '../../../test/support/incus.ts'
import { createIncusClient, type IncusClient } from './client.ts'
import { createIncusConnection } from './connection.ts'
import { RESTRICTED_KEY } from './plan.ts'
import { retireProject } from './retire.ts'

const skip = await incusSkipReason()

interface Shown { description: string; config: Record<string, string>; used_by: string[] }

const notOwned = (err: unknown) => err instanceof DeliveryError && err.code === ProvisioningCodes.notOwned && !err.retryable

describe('retireProject', { skip }, () => {
  let incus: TestIncus
  let client: IncusClient
  before(async () => {
    incus = await startIncus()
    client = createIncusClient({ url: incus.url, ...incus.client, ca: incus.serverCert })
    // A `dir` pool needs nothing from the host; it lets the tests put a volume and an instance in a project.
    await incus.incus('storage', 'create', 'pool', 'dir')
  })
  after(async () => {
    client?.close()
    await incus?.destroy()
  })

  const show = async (name: string): Promise<Shown> => JSON.parse(await incus.incus('query', `/1.0/projects/${encodeURIComponent(name)}`)) as Shown
  const exists = async (name: string) => (JSON.parse(await incus.incus('query', '/1.0/projects')) as string[]).some((u) => u.endsWith(`/${name}`))

  it('keep changes nothing', async () => {
    await client.ensureProject('kim', { config: { 'limits.instances': '3' } }, 'user:kim')
    const before = await show('kim')
    assert.equal(await client.retireProject('kim', 'keep', 'user:kim'), 'kept')
    assert.deepEqual(await show('kim'), before)
  })

  it('restrict freezes the instance count, is idempotent, and the next sign-in undoes it', async () => {
    await client.ensureProject('lou', { config: { 'limits.instances': '3' } }, 'user:lou')
    await incus.incus('project', 'set', 'lou', 'user.note=by hand')
    await incus.incus('create', '--empty', 'c1', '--project', 'lou', '--storage', 'pool')
    assert.equal(await client.retireProject('lou', 'restrict', 'user:lou'), 'restricted')
    let p = await show('lou')
    assert.equal(p.config['limits.instances'], '1', 'no new instances; the one there stays')
    assert.deepEqual(JSON.parse(p.config[RESTRICTED_KEY]), { 'limits.instances': '3' })
    assert.equal(await client.retireProject('lou', 'restrict', 'user:lou'), 'already-restricted')
    assert.equal(await client.retireProject('lou', 'delete-when-empty', 'user:lou'), 'already-restricted', 'not empty: restricted instead')
    assert.equal(await client.ensureProject('lou', { config: { 'limits.instances': '3' } }, 'user:lou'), 'updated')
    p = await show('lou')
    assert.equal(p.config['limits.instances'], '3')
    assert.equal(p.config[RESTRICTED_KEY], undefined)
    assert.equal(p.config['user.note'], 'by hand')
  })

  it('restrict with a configured restriction; an impossible one is refused for good', async () => {
    await client.ensureProject('max', { config: {} }, 'user:max')
    const restriction = { 'limits.instances': '0', 'limits.cpu': '0', 'limits.memory': '0' }
    assert.equal(await client.retireProject('max', 'restrict', 'user:max', restriction), 'restricted')
    const p = await show('max')
    assert.equal(p.config['limits.instances'], '0')
    assert.equal(p.config['limits.memory'], '0')
    assert.deepEqual(JSON.parse(p.config[RESTRICTED_KEY]), { 'limits.cpu': null, 'limits.instances': null, 'limits.memory': null })

    await client.ensureProject('ned', { config: {} }, 'user:ned')
    await incus.incus('create', '--empty', 'c1', '--project', 'ned', '--storage', 'pool')
    await assert.rejects(client.retireProject('ned', 'restrict', 'user:ned', { 'limits.instances': '0' }), (err: unknown) =>
      err instanceof DeliveryError && !err.retryable && /limits\.instances.* is too low/.test(err.message))
  })

  it('delete-when-empty deletes an empty project, then finds it absent', async () => {
    await client.ensureProject('olga', { config: { 'limits.instances': '2' } }, 'user:olga')
    assert.equal(await client.retireProject('olga', 'delete-when-empty', 'user:olga'), 'deleted')
    assert.equal(await exists('olga'), false)
    assert.equal(await client.retireProject('olga', 'delete-when-empty', 'user:olga'), 'absent')
    assert.equal(await client.retireProject('olga', 'restrict', 'user:olga'), 'absent')
  })

  it('delete-when-empty restricts a project holding a volume or an extra profile', async () => {
    await client.ensureProject('pat', { config: {} }, 'user:pat')
    await incus.incus('storage', 'volume', 'create', 'pool', 'data', '--project', 'pat')
    assert.equal(await client.retireProject('pat', 'delete-when-empty', 'user:pat'), 'restricted')
    assert.equal((await show('pat')).config['limits.instances'], '0')

    await client.ensureProject('quin', { config: {} }, 'user:quin')
    await incus.incus('profile', 'create', 'extra', '--project', 'quin')
    assert.equal(await client.retireProject('quin', 'delete-when-empty', 'user:quin'), 'restricted')
    assert.equal(await exists('quin'), true)
  })

  it('delete-when-empty restricts when something appears between its check and the delete', async () => {
    await client.ensureProject('sam', { config: {} }, 'user:sam')
    const conn = createIncusConnection({ url: incus.url, ...incus.client, ca: incus.serverCert })
    const racy = {
      ...conn,
      send: async (...a: Parameters<typeof conn.send>) => {
        if (a[0] === 'DELETE') await incus.incus('profile', 'create', 'late', '--project', 'sam')
        return conn.send(...a)
      },
    }
    try {
      assert.equal(await retireProject(racy, 'sam', 'delete-when-empty', 'user:sam'), 'restricted')
      assert.equal(await exists('sam'), true)
    } finally {
      conn.close()
    }
  })

  it('refuses projects it does not own under every policy but keep', async () => {
    await incus.incus('project', 'create', 'manual')
    await client.ensureProject('rae', { config: {} }, 'user:rae')
    for (const policy of ['restrict', 'delete-when-empty'] as const) {
      await assert.rejects(client.retireProject('default', policy, 'user:default'), notOwned)
      await assert.rejects(client.retireProject('manual', policy, 'user:manual'), notOwned)
      await assert.rejects(client.retireProject('rae', policy, 'user:someone-else'), notOwned)
    }
    assert.equal(await client.retireProject('manual', 'keep', 'user:manual'), 'kept')
    assert.equal(await exists('manual'), true)
    assert.equal((await show('manual')).config['limits.instances'], undefined)
    assert.equal(await exists('rae'), true)
  })
})
