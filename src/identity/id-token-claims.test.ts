import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FindAccount, KoaContextWithOIDC } from 'oidc-provider'
import { withIdTokenClaims } from './id-token-claims.ts'

const PROPERTY = 'urn:gatehouse:id_token_claims'
const ALL = { sub: 'local:ann', email: 'ann@example.com', email_verified: true, name: 'ann', preferred_username: 'ann', groups: ['ops'], 'https://ns': { acctype: 'user' } }
const find: FindAccount = async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ ...ALL }) })
const ctxFor = (client: Record<string, unknown>) => ({ oidc: { client } }) as unknown as KoaContextWithOIDC

describe('ID token claims per client', () => {
  it('keeps the listed claims (email brings email_verified) and those the claims parameter asks for, in ID tokens only', async () => {
    const account = (await withIdTokenClaims(find, PROPERTY)(ctxFor({ [PROPERTY]: ['email', 'groups'] }), 'local:ann'))!
    assert.deepEqual(await account.claims('id_token', 'openid email groups', {}, []),
      { sub: 'local:ann', email: 'ann@example.com', email_verified: true, groups: ['ops'], 'https://ns': { acctype: 'user' } })
    assert.deepEqual(await account.claims('userinfo', 'openid', {}, []), ALL)
    const plain = (await withIdTokenClaims(find, PROPERTY)(ctxFor({}), 'local:ann'))!
    assert.deepEqual(await plain.claims('id_token', 'openid', { name: null }, []), { sub: 'local:ann', name: 'ann', 'https://ns': { acctype: 'user' } })
  })
})
