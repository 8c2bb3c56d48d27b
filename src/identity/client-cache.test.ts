import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { OidcClientInput, OidcClientRecord, OidcClientsRepo } from '../store/index.ts'
import { cachedClientsRepo, clientRecordStampOf } from './client-cache.ts'

function memoryRepo() {
  const rows = new Map<string, OidcClientRecord>()
  let reads = 0
  const repo: OidcClientsRepo = {
    async get(id) {
      reads++
      return rows.get(id) ?? null
    },
    list: async () => ({ items: [...rows.values()], continuationToken: '' }) as never,
    async upsert(input: OidcClientInput) {
      const client = { ...structuredClone(input), createdAt: new Date(0), updatedAt: new Date(0) }
      rows.set(input.clientId, client)
      return { client, changed: true }
    },
    delete: async (id) => rows.delete(id),
  }
  return { repo, rows, reads: () => reads }
}

const input = (secretHash: string): OidcClientInput => ({ clientId: 'app', metadata: { redirect_uris: ['https://app.example/cb'] }, secretHash, source: 'api' })

describe('client record cache', () => {
  it('serves a client from memory until the time to live has passed', async () => {
    const backing = memoryRepo()
    let time = 1000
    const cached = cachedClientsRepo(backing.repo, { ttlMs: 2000, now: () => time })
    await backing.repo.upsert(input('h1'))
    assert.equal((await cached.get('app'))?.secretHash, 'h1')
    await cached.get('app')
    assert.equal(backing.reads(), 1)
    // Changed elsewhere (another replica, the CLI): seen once the entry has expired.
    await backing.repo.upsert(input('h2'))
    assert.equal((await cached.get('app'))?.secretHash, 'h1')
    time += 2000
    assert.equal((await cached.get('app'))?.secretHash, 'h2')
  })

  it('takes its own changes and deletions at once', async () => {
    const backing = memoryRepo()
    const cached = cachedClientsRepo(backing.repo)
    await cached.upsert(input('h1'))
    assert.equal((await cached.get('app'))?.secretHash, 'h1')
    await cached.upsert(input('h2'))
    assert.equal((await cached.get('app'))?.secretHash, 'h2')
    assert.equal(await cached.delete('app'), true)
    assert.equal(await cached.get('app'), null)
  })

  it('does not remember absent clients, and hands out copies', async () => {
    const backing = memoryRepo()
    const cached = cachedClientsRepo(backing.repo)
    assert.equal(await cached.get('app'), null)
    await backing.repo.upsert(input('h1'))
    const first = await cached.get('app')
    assert.equal(first?.secretHash, 'h1')
    ;(first!.metadata.redirect_uris as string[]).push('https://evil.example/cb')
    assert.deepEqual((await cached.get('app'))?.metadata.redirect_uris, ['https://app.example/cb'])
  })

  it('does not keep a read that raced with a write', async () => {
    const backing = memoryRepo()
    const cached = cachedClientsRepo(backing.repo)
    await backing.repo.upsert(input('h1'))
    const reading = cached.get('app')
    await cached.upsert(input('h2'))
    assert.equal((await reading)?.secretHash, 'h1')
    assert.equal((await cached.get('app'))?.secretHash, 'h2')
  })

  it('stamps the record it serves: a new stamp after every change it could have missed', async () => {
    const backing = memoryRepo()
    let time = 1000
    const cached = cachedClientsRepo(backing.repo, { ttlMs: 2000, now: () => time })
    const stamp = clientRecordStampOf(cached)!
    assert.equal(clientRecordStampOf(backing.repo), undefined, 'only cached repositories have stamps')
    await backing.repo.upsert(input('h1'))
    assert.equal(stamp('app'), undefined, 'nothing read yet')
    await cached.get('app')
    const first = stamp('app')
    assert.ok(first)
    await cached.get('app')
    assert.equal(stamp('app'), first, 'the same record from the same read')
    await cached.upsert(input('h2'))
    assert.equal(stamp('app'), undefined, 'a write forgets the record')
    await cached.get('app')
    const second = stamp('app')
    assert.ok(second && second !== first)
    time += 2000
    assert.equal(stamp('app'), undefined, 'expired')
    await cached.get('app')
    assert.ok(stamp('app') !== second, 're-read')
    await cached.delete('app')
    await cached.get('app')
    assert.equal(stamp('app'), undefined, 'absent clients have none')
  })
})
