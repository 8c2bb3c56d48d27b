import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { externalSubject, localSubject } from '../lib/index.ts'
import { accessTokenUsername, selectAccessTokenClaims } from './access-token-claims.ts'

/** OpenFGA's rule for object and user ids (src/authz/commands/lists.ts). */
const OPENFGA_ID = /^[^#:\s]+$/

describe('access-token usernames', () => {
  it('is the username for local accounts, as in the subject and escaped where OpenFGA needs it', () => {
    assert.equal(accessTokenUsername(localSubject('Admin'), {}), 'admin')
    assert.equal(accessTokenUsername(localSubject('break glass#1'), {}), 'break%20glass%231')
  })

  it('derives a federated name from the upstream name or email, with a suffix fixed by the subject', () => {
    const ann = externalSubject('https://idp.example', 'u-1')
    const name = accessTokenUsername(ann, { preferred_username: 'Ann.Lee@corp.example', email: 'other@corp.example' })
    assert.match(name!, /^ann\.lee\.[0-9a-f]{10}$/)
    // Stable: the same person gets the same name whatever else the upstream sent.
    assert.equal(accessTokenUsername(ann, { preferred_username: 'ann.lee@corp.example', name: 'Ann' }), name)
    // Another person of the same name at another upstream gets another suffix.
    assert.notEqual(accessTokenUsername(externalSubject('https://other.example', 'u-1'), { preferred_username: 'ann.lee' }), name)
    assert.match(accessTokenUsername(ann, { email: 'ann@corp.example' })!, /^ann\.[0-9a-f]{10}$/)
    assert.match(accessTokenUsername(ann, { preferred_username: '  Jörg Müller: #1 ' })!, /^j-rg-m-ller-1\.[0-9a-f]{10}$/)
    assert.match(accessTokenUsername(ann, {})!, /^user\.[0-9a-f]{10}$/)
    assert.match(accessTokenUsername(ann, { preferred_username: 'x'.repeat(100) })!, /^x{32}\.[0-9a-f]{10}$/)
    for (const claims of [{ preferred_username: 'a b:c#d' }, { email: '"odd local"@example.com' }, {}]) {
      assert.match(accessTokenUsername(ann, claims)!, OPENFGA_ID)
    }
  })

  it('has none for other subjects', () => {
    assert.equal(accessTokenUsername('service:ci', {}), undefined)
  })
})

describe('access-token claim selection', () => {
  const claims = { email: 'ann@corp.example', email_verified: true, name: 'Ann Lee', groups: ['corp:admins'], preferred_username: 'ann' }
  const sub = localSubject('ann')

  it('gives each listed claim only with its scope', () => {
    const all = ['preferred_username', 'email', 'name', 'groups'] as const
    assert.deepEqual(selectAccessTokenClaims(sub, claims, all, new Set(['openid', 'email'])), {
      preferred_username: 'ann', email: 'ann@corp.example', email_verified: true,
    })
    assert.deepEqual(selectAccessTokenClaims(sub, claims, all, new Set(['openid', 'profile', 'groups'])), {
      preferred_username: 'ann', name: 'Ann Lee', groups: ['corp:admins'],
    })
    assert.deepEqual(selectAccessTokenClaims(sub, claims, ['email'], new Set(['openid', 'email', 'profile'])), { email: 'ann@corp.example', email_verified: true })
  })

  it('leaves out an email that is no valid OpenFGA id', () => {
    assert.deepEqual(selectAccessTokenClaims(sub, { email: 'a b@example.com' }, ['email'], new Set(['email'])), {})
  })
})
