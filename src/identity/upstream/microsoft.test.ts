import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { entraSubject, fetchGraphGroups, hasGroupsOverage, microsoftScopes } from './microsoft.ts'

/** Answers Graph requests from a fixed map of URL → body, recording what was asked. */
function fakeGraph(pages: Record<string, unknown>) {
  const calls: Array<{ url: string; auth: string | null }> = []
  const fetchImpl = async (url: string, init: RequestInit) => {
    calls.push({ url, auth: new Headers(init.headers).get('authorization') })
    const body = pages[url]
    return body === undefined ? new Response('{}', { status: 404 }) : Response.json(body)
  }
  return { calls, fetchImpl }
}

describe('Microsoft Entra contract', () => {
  it('follows @odata.nextLink, keeps groups only, and sends the user token', async () => {
    const first = 'https://graph.example/v1.0/me/transitiveMemberOf?$select=id&$top=999'
    const second = 'https://graph.example/v1.0/me/transitiveMemberOf?$skiptoken=abc'
    const { calls, fetchImpl } = fakeGraph({
      [first]: { value: [{ '@odata.type': '#microsoft.graph.group', id: 'a' }, { '@odata.type': '#microsoft.graph.administrativeUnit', id: 'au' }], '@odata.nextLink': second },
      [second]: { value: [{ '@odata.type': '#microsoft.graph.group', id: 'b' }] },
    })
    assert.deepEqual(await fetchGraphGroups('https://graph.example/', 'tok', fetchImpl), ['a', 'b'])
    assert.deepEqual(calls.map((c) => c.url), [first, second])
    assert.ok(calls.every((c) => c.auth === 'Bearer tok'))
  })

  it('never sends the token to a nextLink on another origin, and fails on a Graph error', async () => {
    const first = 'https://graph.example/v1.0/me/transitiveMemberOf?$select=id&$top=999'
    const { calls, fetchImpl } = fakeGraph({ [first]: { value: [], '@odata.nextLink': 'https://evil.example/steal' } })
    await assert.rejects(fetchGraphGroups('https://graph.example', 'tok', fetchImpl), /another origin/)
    assert.equal(calls.length, 1)
    await assert.rejects(fetchGraphGroups('https://graph.example', 'tok', fakeGraph({}).fetchImpl), /answered 404/)
  })

  it('keys users by oid (stable across app registrations), falling back to sub', () => {
    assert.equal(entraSubject({ sub: 'pairwise', oid: 'object-id' }), 'object-id')
    assert.equal(entraSubject({ sub: 'pairwise' }), 'pairwise')
  })

  it('detects groups overage and asks for a Graph permission only when no Graph scope is configured', () => {
    assert.equal(hasGroupsOverage({ _claim_names: { groups: 'src1' }, _claim_sources: { src1: {} } }), true)
    assert.equal(hasGroupsOverage({ groups: ['a'] }), false)
    assert.deepEqual(microsoftScopes(['openid', 'email', 'profile']), ['openid', 'email', 'profile', 'User.Read'])
    assert.deepEqual(microsoftScopes(['openid', 'GroupMember.Read.All']), ['openid', 'GroupMember.Read.All'])
  })
})
