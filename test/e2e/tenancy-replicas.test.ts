// Two replicas on one PostgreSQL: a read on one never contradicts a write acknowledged by the
// other — an organization just created there is found here, a group just deleted there is not
// listed here — without waiting for the change notification.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startGatehouse, TEST_SECRET_KEY, type GatehouseProcess } from '../support/gatehouse.ts'
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../support/postgres.ts'

const KEY = 'tenancy-replicas-preshared-key-0123456789'

describe('tenancy reads across replicas', { skip: await postgresSkipReason() }, () => {
  let db: TestDatabase
  const replicas: GatehouseProcess[] = []
  const call = async (i: number, method: string, path: string, body?: unknown) => {
    const res = await fetch(new URL(path, replicas[i]!.url), {
      method, headers: { authorization: `Bearer ${KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
    })
    return { status: res.status, json: res.status === 204 ? undefined : await res.json() as any }
  }

  before(async () => {
    db = await createTestDatabase()
    const env = { GATEHOUSE_DATABASE_URL: db.url, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY, GATEHOUSE_PRESHARED_KEYS: KEY }
    replicas.push(await startGatehouse(env), await startGatehouse(env))
  })
  after(async () => {
    await Promise.all(replicas.map((r) => r.close()))
    await db?.drop()
  })

  it('finds at once on one replica what the other just created, and lists no group it just deleted', async () => {
    for (let i = 0; i < 20; i++) {
      const name = `org-${i}`
      assert.equal((await call(0, 'POST', '/api/v1/organizations', { name })).status, 201)
      const read = await call(1, 'GET', `/api/v1/organizations/${name}`)
      assert.equal(read.status, 200, `trial ${i}: ${JSON.stringify(read.json)}`)
      assert.equal((await call(0, 'POST', `/api/v1/organizations/${name}/groups`, { name: 'developers' })).status, 201)
      assert.equal((await call(0, 'DELETE', `/api/v1/organizations/${name}/groups/developers`)).status, 204)
      const listed = await call(1, 'GET', `/api/v1/organizations/${name}/groups`)
      assert.deepEqual(listed.json.items.map((g: any) => g.name), [], `trial ${i}`)
    }
  })
})
