// The organization header from Gatehouse's namespaced claim: names in claim order, anything that
// is not a well-formed organization entry ignored, and the header always present.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileApplication, parseApplication } from './application.ts'
import { identityHeaders, organizationNames } from './identity-headers.ts'

const NS = 'https://gatehouse.dev/claims'
const app = compileApplication(parseApplication({ id: 'wiki', hosts: ['wiki.example.com'], headers: { organization: 'Remote-Organization' } }))

describe('organization header', () => {
  it('lists the organization names of the namespaced claim, comma-separated', () => {
    const claims = { [NS]: { acctype: 'user', organizations: [{ id: 'o-1', name: 'acme', groups: ['g'] }, { id: 'o-2', name: 'umbrella', groups: [] }] } }
    const names = organizationNames(claims, NS)
    assert.deepEqual(names, ['acme', 'umbrella'])
    const headers = identityHeaders(app, { subject: 'ext:abc', username: 'pat', groups: [], organizations: names, claims })
    assert.equal(headers['Remote-Organization'], 'acme,umbrella')
  })

  it('is empty, not absent, for a user in no organization or a claim of the wrong shape', () => {
    for (const claims of [undefined, {}, { [NS]: { acctype: 'user' } }, { [NS]: 'acme' }, { [NS]: { organizations: 'acme' } },
      { [NS]: { organizations: [null, 7, { id: 'x' }, { name: '' }, { name: 3 }] } }, { 'https://other.example/claims': { organizations: [{ name: 'acme' }] } }]) {
      assert.deepEqual(organizationNames(claims, NS), [], JSON.stringify(claims))
      const headers = identityHeaders(app, { subject: 'local:ada', groups: [], organizations: organizationNames(claims, NS) })
      assert.equal(headers['Remote-Organization'], '', JSON.stringify(claims))
    }
  })
})
