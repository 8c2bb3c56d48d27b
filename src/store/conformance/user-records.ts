// Audit-only user records: first/last login and the last seen profile per (issuer, subject).

import assert from 'node:assert/strict'
import { it } from 'node:test'
import { useFixture, type StoreFactory } from './harness.ts'

const ISSUER = 'https://accounts.example'
const first = new Date(Date.UTC(2030, 0, 1, 8))
const later = new Date(Date.UTC(2030, 0, 2, 9))

export function userRecordsCategory(factory: StoreFactory): void {
  const h = useFixture(factory)
  const records = () => h.store.userRecords

  it('records a first login', async () => {
    const login = { issuer: ISSUER, subject: 'sub-1', email: 'anne@example.com', name: 'Anne', groups: ['eng', 'ops'] }
    const record = await records().recordLogin(login, first)
    const expected = { ...login, firstLoginAt: first, lastLoginAt: first, loginCount: 1 }
    assert.deepEqual(record, expected)
    assert.deepEqual(await records().get(ISSUER, 'sub-1'), expected)
    assert.equal(await records().get(ISSUER, 'sub-unknown'), null)
  })

  it('keeps the first login and takes everything else from the latest', async () => {
    const record = await records().recordLogin({ issuer: ISSUER, subject: 'sub-1', groups: [] }, later)
    assert.deepEqual(record, {
      issuer: ISSUER, subject: 'sub-1', email: null, name: null, groups: [], firstLoginAt: first, lastLoginAt: later, loginCount: 2,
    })
  })

  it('keys records by issuer and subject together', async () => {
    await records().recordLogin({ issuer: 'https://other.example', subject: 'sub-1', groups: ['x'] }, later)
    assert.equal((await records().get(ISSUER, 'sub-1'))?.loginCount, 2)
    assert.deepEqual((await records().get('https://other.example', 'sub-1'))?.groups, ['x'])
  })

  it('lists records by issuer and subject, a page at a time', async () => {
    const seen: string[] = []
    let continuationToken = ''
    do {
      const page = await records().list({ pageSize: 1, continuationToken })
      seen.push(...page.items.map((r) => `${r.issuer} ${r.subject}`))
      continuationToken = page.continuationToken
    } while (continuationToken !== '')
    assert.deepEqual(seen, [`${ISSUER} sub-1`, 'https://other.example sub-1'])
    assert.equal((await records().list({ pageSize: 10 })).items[0]?.loginCount, 2)
    await assert.rejects(records().list({ pageSize: 1, continuationToken: 'garbage' }), { code: 'invalid_continuation_token' })
  })
}
