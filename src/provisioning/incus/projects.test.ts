// ensureProject against a real incusd: create, update that keeps an operator's keys and removes
// the ones the template dropped, projects Gatehouse does not own left alone, the ETag race, the
// duplicate-create race, and Incus's refusals (bad values, features on a project in use).

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { DeliveryError, ProvisioningCodes } from '../errors.ts'
import { incusSkipReason, startIncus, type TestIncus } from '../../../test/support/incus.ts'
import { createIncusConnection, type IncusConnection } from './connection.ts'
import { MANAGED_KEYS_KEY, OWNER_KEY } from './plan.ts'
import { ensureProject } from './projects.ts'

const skip = await incusSkipReason()

interface Shown { description: string; config: Record<string, string> }

function refused(code: string, text?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof DeliveryError, String(err))
    assert.equal(err.code, code, err.message)
    assert.equal(err.retryable, false)
    if (text) assert.match(err.message, text)
    return true
  }
}

/** A connection that runs `before(method, path)` ahead of each request it forwards. */
function intercepted(conn: IncusConnection, hook: (method: string, path: string) => Promise<void>): IncusConnection {
  return { ...conn, send: async (method, path, req) => { await hook(method, path); return conn.send(method, path, req) } }
}

describe('ensureProject', { skip }, () => {
  let incus: TestIncus
  let conn: IncusConnection
  before(async () => {
    incus = await startIncus()
    conn = createIncusConnection({ url: incus.url, ...incus.client, serverFingerprint: incus.serverFingerprint })
  })
  after(async () => {
    conn?.close()
    await incus?.destroy()
  })

  const show = async (name: string): Promise<Shown> => JSON.parse(await incus.incus('query', `/1.0/projects/${name}`)) as Shown

  it('creates, then updates only managed keys: a hand-set key survives, a dropped key goes', async () => {
    const v1 = { description: 'Alice', config: { 'limits.instances': '3', 'limits.cpu': '4', 'user.team': 'blue' } }
    assert.equal(await ensureProject(conn, 'alice', v1, 'user:alice'), 'created')
    let p = await show('alice')
    assert.equal(p.description, 'Alice')
    assert.equal(p.config[OWNER_KEY], 'user:alice')
    assert.equal(p.config[MANAGED_KEYS_KEY], 'limits.cpu,limits.instances,user.team')
    assert.equal(p.config['features.images'], 'true', 'Incus turns default features on when the create leaves them out')

    await incus.incus('project', 'set', 'alice', 'limits.memory=2GiB', 'user.note=by hand')
    assert.equal(await ensureProject(conn, 'alice', v1, 'user:alice'), 'unchanged')

    const v2 = { description: 'Alice', config: { 'limits.instances': '5', 'user.team': 'blue' } }
    assert.equal(await ensureProject(conn, 'alice', v2, 'user:alice'), 'updated')
    p = await show('alice')
    assert.equal(p.config['limits.instances'], '5')
    assert.equal(p.config['limits.cpu'], undefined, 'a key the template dropped is removed')
    assert.equal(p.config['limits.memory'], '2GiB', 'a hand-set key survives')
    assert.equal(p.config['user.note'], 'by hand')
    assert.equal(p.config['features.profiles'], 'true', 'features Incus set stay set')
    assert.equal(p.config[MANAGED_KEYS_KEY], 'limits.instances,user.team')
    assert.equal(await ensureProject(conn, 'alice', v2, 'user:alice'), 'unchanged')
  })

  it('never touches default, a project made by hand, or one made for another owner', async () => {
    await incus.incus('project', 'create', 'handmade', '-c', 'limits.instances=7')
    await ensureProject(conn, 'carol', { config: {} }, 'user:carol')
    const before = { default: await show('default'), handmade: await show('handmade'), carol: await show('carol') }
    await assert.rejects(ensureProject(conn, 'default', { config: { 'limits.instances': '1' } }, 'user:default'), refused(ProvisioningCodes.notOwned, /not created by Gatehouse/))
    await assert.rejects(ensureProject(conn, 'handmade', { config: { 'limits.instances': '1' } }, 'user:handmade'), refused(ProvisioningCodes.notOwned))
    await assert.rejects(ensureProject(conn, 'carol', { config: { 'limits.instances': '1' } }, 'user:mallory'), refused(ProvisioningCodes.notOwned, /another owner/))
    assert.deepEqual({ default: await show('default'), handmade: await show('handmade'), carol: await show('carol') }, before)
  })

  it('retries on 412 when someone writes between its GET and PUT, keeping their change', async () => {
    await ensureProject(conn, 'dave', { config: { 'limits.instances': '1' } }, 'user:dave')
    let raced = 0
    const racy = intercepted(conn, async (method) => {
      if (method === 'PUT' && raced++ === 0) await incus.incus('project', 'set', 'dave', 'user.concurrent=yes')
    })
    assert.equal(await ensureProject(racy, 'dave', { config: { 'limits.instances': '2' } }, 'user:dave'), 'updated')
    assert.equal(raced, 2, 'the first PUT met a 412 and was sent again')
    const p = await show('dave')
    assert.equal(p.config['limits.instances'], '2')
    assert.equal(p.config['user.concurrent'], 'yes')
  })

  it('gives up retryably when the project keeps changing', async () => {
    await ensureProject(conn, 'erin', { config: {} }, 'user:erin')
    let n = 0
    const busy = intercepted(conn, async (method) => {
      if (method === 'PUT') await incus.incus('project', 'set', 'erin', `user.n=${n++}`)
    })
    await assert.rejects(ensureProject(busy, 'erin', { config: { 'limits.instances': '2' } }, 'user:erin'), (err: unknown) =>
      err instanceof DeliveryError && err.retryable && err.code === ProvisioningCodes.downstreamUnavailable && /412/.test(err.message))
  })

  it('a create that loses the race to another Gatehouse continues as an update', async () => {
    let raced = false
    const racy = intercepted(conn, async (method) => {
      if (method === 'POST' && !raced) {
        raced = true
        await ensureProject(conn, 'frank', { config: { 'limits.instances': '1' } }, 'user:frank')
      }
    })
    assert.equal(await ensureProject(racy, 'frank', { config: { 'limits.instances': '4' } }, 'user:frank'), 'updated')
    assert.equal((await show('frank')).config['limits.instances'], '4')
  })

  it('a bad value or unknown key is refused for good, naming the key', async () => {
    await assert.rejects(ensureProject(conn, 'gina', { config: { 'limits.instances': 'many' } }, 'user:gina'),
      refused(ProvisioningCodes.downstreamRejected, /POST \/1\.0\/projects answered 400: .*limits\.instances/))
    await ensureProject(conn, 'gina', { config: {} }, 'user:gina')
    await assert.rejects(ensureProject(conn, 'gina', { config: { 'limits.nonsense': '1' } }, 'user:gina'),
      refused(ProvisioningCodes.downstreamRejected, /PUT \/1\.0\/projects\/gina answered 400: .*limits\.nonsense/))
    await assert.rejects(ensureProject(conn, 'bad_name', { config: {} }, 'user:x'), refused(ProvisioningCodes.invalidConfig, /underscore|"_"/))
    await assert.rejects(ensureProject(conn, 'x', { config: { [OWNER_KEY]: 'me' } }, 'user:x'), refused(ProvisioningCodes.invalidConfig, /reserved/))
  })

  it('features: set on create, changed while empty, refused clearly once the project is in use', async () => {
    assert.equal(await ensureProject(conn, 'hal', { config: { 'features.images': 'false' } }, 'user:hal'), 'created')
    assert.equal((await show('hal')).config['features.images'], 'false')
    assert.equal(await ensureProject(conn, 'hal', { config: { 'features.images': 'true' } }, 'user:hal'), 'updated')
    await incus.incus('profile', 'create', 'extra', '--project', 'hal')
    await assert.rejects(ensureProject(conn, 'hal', { config: { 'features.images': 'false' } }, 'user:hal'),
      refused(ProvisioningCodes.downstreamRejected, /features\.images.*only while it is empty/))
    // Dropping the key from the template leaves the feature as it is.
    assert.equal(await ensureProject(conn, 'hal', { config: {} }, 'user:hal'), 'updated')
    assert.equal((await show('hal')).config['features.images'], 'true')
  })

  it('works with names that need URL escaping', async () => {
    assert.equal(await ensureProject(conn, 'jane@example.com', { config: {} }, 'user:jane'), 'created')
    assert.equal(await ensureProject(conn, 'jane@example.com', { config: {} }, 'user:jane'), 'unchanged')
  })
})
