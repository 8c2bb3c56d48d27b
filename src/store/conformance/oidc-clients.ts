// OIDC clients: idempotent upsert (bootstrap on every start, from several replicas at once),
// change detection by value, listing by client id, delete.

import assert from 'node:assert/strict'
import { it } from 'node:test'
import { CommonCodes } from '../../lib/index.ts'
import { StoreErrorCodes } from '../errors.ts'
import type { OidcClientInput, OidcClientRecord } from '../types.ts'
import { ManualClock, rejectsWith, tamper, useFixture, type StoreFactory } from './harness.ts'

function client(clientId: string, overrides: Partial<OidcClientInput> = {}): OidcClientInput {
  return {
    clientId,
    metadata: {
      client_id: clientId,
      redirect_uris: ['https://app.example/cb', 'https://app.example/cb2'],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_basic',
      login_uri: 'https://app.example/login',
      cors_origins: ['https://app.example'],
    },
    secretHash: 'scrypt$N=16384,r=8,p=1$salt$hash',
    source: 'bootstrap',
    ...overrides,
  }
}

export function oidcClientsCategory(factory: StoreFactory): void {
  const clock = new ManualClock()
  const h = useFixture(factory, { clock })

  it('creates a client and gets it back', async () => {
    const input = client('app-create')
    const { client: created, changed } = await h.store.oidcClients.upsert(input)
    assert.equal(changed, true)
    assert.deepEqual(created, { ...input, createdAt: clock.now(), updatedAt: clock.now() })
    assert.deepEqual(await h.store.oidcClients.get('app-create'), created)
    assert.equal(await h.store.oidcClients.get('app-unknown'), null)
  })

  it('reports an identical second upsert as unchanged, whatever the key order', async () => {
    const input = client('app-same')
    const first = await h.store.oidcClients.upsert(input)
    clock.advance(60)
    const reordered = Object.fromEntries(Object.entries(input.metadata).reverse())
    const second = await h.store.oidcClients.upsert({ ...input, metadata: reordered })
    assert.equal(second.changed, false)
    assert.deepEqual(second.client, first.client, 'updatedAt is not bumped')
  })

  it('reports a change of metadata, secret hash or source, keeping createdAt', async () => {
    const input = client('app-change')
    const { client: created } = await h.store.oidcClients.upsert(input)
    const variants: OidcClientInput[] = [
      { ...input, metadata: { ...input.metadata, redirect_uris: ['https://app.example/cb'] } },
      { ...input, metadata: { ...input.metadata, redirect_uris: ['https://app.example/cb'] }, secretHash: 'scrypt$other' },
      { ...input, metadata: { ...input.metadata, redirect_uris: ['https://app.example/cb'] }, secretHash: null },
      { ...input, metadata: { ...input.metadata, redirect_uris: ['https://app.example/cb'] }, secretHash: null, source: 'api' },
    ]
    for (const variant of variants) {
      const now = clock.advance(1)
      const result = await h.store.oidcClients.upsert(variant)
      assert.equal(result.changed, true)
      assert.deepEqual(result.client, { ...variant, createdAt: created.createdAt, updatedAt: now })
      assert.equal((await h.store.oidcClients.upsert(variant)).changed, false)
    }
  })

  it('concurrent upserts of one new client all succeed and exactly one reports the change', async () => {
    const input = client('app-replicas')
    const results = await Promise.all(Array.from({ length: 10 }, () => h.store.oidcClients.upsert(input)))
    assert.equal(results.filter((r) => r.changed).length, 1)
    for (const r of results) assert.deepEqual(r.client, results[0].client)
  })

  it('refuses metadata that carries the secret', async () => {
    const input = client('app-leaky')
    await assert.rejects(
      h.store.oidcClients.upsert({ ...input, metadata: { ...input.metadata, client_secret: 'plain' } }),
      (err: unknown) => (err as { code?: string }).code === CommonCodes.validation,
    )
    assert.equal(await h.store.oidcClients.get('app-leaky'), null)
  })

  it('lists clients by id across pages, each exactly once', async () => {
    for (const id of ['list-c', 'list-a', 'list-b', 'list-e', 'list-d']) await h.store.oidcClients.upsert(client(id, { source: 'cli' }))
    const all: OidcClientRecord[] = []
    let token = ''
    do {
      const page = await h.store.oidcClients.list({ pageSize: 2, continuationToken: token })
      assert.ok(page.items.length <= 2)
      all.push(...page.items)
      token = page.continuationToken
    } while (token !== '')
    const ids = all.map((c) => c.clientId)
    assert.deepEqual(ids, [...ids].sort())
    assert.deepEqual(ids.filter((id) => id.startsWith('list-')), ['list-a', 'list-b', 'list-c', 'list-d', 'list-e'])
    assert.equal(new Set(ids).size, ids.length)
    const first = await h.store.oidcClients.list({ pageSize: 1 })
    await rejectsWith(h.store.oidcClients.list({ pageSize: 1, continuationToken: tamper(first.continuationToken) }), StoreErrorCodes.invalidContinuationToken)
  })

  it('deletes a client once', async () => {
    await h.store.oidcClients.upsert(client('app-delete'))
    assert.equal(await h.store.oidcClients.delete('app-delete'), true)
    assert.equal(await h.store.oidcClients.get('app-delete'), null)
    assert.equal(await h.store.oidcClients.delete('app-delete'), false)
  })
}
