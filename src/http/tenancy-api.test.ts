import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { OPERATOR_KEY, tenancyHarness, userToken, type TenancyHarness } from './tenancy-harness.test.ts'

const OP = OPERATOR_KEY

describe('tenancy API: operator, organization administrators and outsiders', () => {
  let h: TenancyHarness
  let acme: { id: string; name: string }
  before(async () => {
    h = await tenancyHarness()
    h.tokens.set('alice', userToken('alice'))
    h.tokens.set('bob', userToken('bob'))
    acme = (await h.call('POST', '/api/v1/organizations', OP, { name: 'acme', displayName: 'Acme' })).json
    assert.equal((await h.call('POST', '/api/v1/organizations', OP, { name: 'globex' })).status, 201)
    const admins = await h.call('POST', '/api/v1/organizations/acme/groups', OP, {
      name: 'admins', members: [{ id: 'alice', issuer: 'local' }], roleIds: ['administrator'],
    })
    assert.equal(admins.status, 201, JSON.stringify(admins.json))
  })
  after(() => h.close())

  it('lets the operator create roles, groups, projects and service accounts, with 201 and 204', async () => {
    const role = await h.call('POST', '/api/v1/roles', OP, { name: 'cluster-reader', scopes: { project: { 'kubernetes:clusters': ['read'] } } })
    assert.equal(role.status, 201)
    assert.deepEqual(role.json.scopes, { project: { 'kubernetes:clusters': ['read'] } })
    assert.equal((await h.call('GET', '/api/v1/roles/cluster-reader', OP)).json.id, role.json.id)
    assert.ok((await h.call('GET', '/api/v1/roles', 'alice')).json.items.some((r: { name: string }) => r.name === 'administrator'))
    const devs = await h.call('POST', '/api/v1/organizations/globex/groups', OP, { name: 'devs', roleIds: ['cluster-reader'] })
    assert.equal(devs.status, 201)
    const project = await h.call('POST', '/api/v1/organizations/globex/projects', OP, { name: 'web', groupIds: ['devs'] })
    assert.equal(project.status, 201)
    assert.deepEqual(project.json.groupIds, [devs.json.id])
    const sa = await h.call('POST', '/api/v1/organizations/globex/serviceaccounts', OP, { name: 'ci', clientId: 'ci-robot' })
    assert.equal(sa.status, 201)
    assert.equal((await h.call('PUT', '/api/v1/organizations/globex/serviceaccounts/ci', OP, { name: 'ci', description: 'builds', clientId: 'ci-robot' })).json.description, 'builds')
    assert.deepEqual((await h.call('GET', '/api/v1/organizations/globex/serviceaccounts', OP)).json.items.map((s: { name: string }) => s.name), ['ci'])
    assert.equal((await h.call('DELETE', '/api/v1/organizations/globex/serviceaccounts/ci', OP)).status, 204)
    assert.equal((await h.call('GET', '/api/v1/organizations/globex/serviceaccounts/ci', OP)).status, 404)
  })

  it('accepts roles, the older spelling of roleIds, for groups and bindings, never both at once', async () => {
    const group = await h.call('POST', '/api/v1/organizations/globex/groups', OP, { name: 'readers', roles: ['reader'] })
    assert.equal(group.status, 201, JSON.stringify(group.json))
    assert.deepEqual(group.json.roleIds, [(await h.call('GET', '/api/v1/roles/reader', OP)).json.id])
    assert.equal(group.json.roles, undefined, 'answers use the one spelling')
    const both = await h.call('PUT', '/api/v1/organizations/globex/groups/readers', OP, { name: 'readers', roles: ['reader'], roleIds: ['user'] })
    assert.equal(both.status, 400)
    assert.match(both.json.message, /give roleIds or roles/)
    const binding = await h.call('PUT', '/api/v1/global-bindings', OP, { subject: { id: 'dora', issuer: 'local' }, roles: ['reader'] })
    assert.equal(binding.status, 200, JSON.stringify(binding.json))
    assert.equal(binding.json.roleIds.length, 1)
    assert.equal((await h.call('PUT', '/api/v1/global-bindings', OP, { subject: { id: 'dora', issuer: 'local' } })).status, 400)
    assert.equal((await h.call('DELETE', `/api/v1/global-bindings/${binding.json.id}`, OP)).status, 204)
    assert.equal((await h.call('DELETE', '/api/v1/organizations/globex/groups/readers', OP)).status, 204)
  })

  it('lets an organization administrator manage its organization', async () => {
    const orgs = await h.call('GET', '/api/v1/organizations', 'alice')
    assert.deepEqual(orgs.json.items.map((o: { name: string }) => o.name), ['acme'])
    assert.equal((await h.call('GET', `/api/v1/organizations/${acme.id}`, 'alice')).json.name, 'acme')
    const patched = await h.call('PATCH', '/api/v1/organizations/acme', 'alice', { displayName: 'Acme Corp' })
    assert.equal(patched.status, 200)
    assert.equal(patched.json.displayName, 'Acme Corp')
    const group = await h.call('POST', '/api/v1/organizations/acme/groups', 'alice', { name: 'ops', members: [{ id: 'bob', issuer: 'local' }], roleIds: ['user'] })
    assert.equal(group.status, 201)
    const project = await h.call('POST', '/api/v1/organizations/acme/projects', 'alice', { name: 'shop', groupIds: ['ops'] })
    assert.equal(project.status, 201)
    assert.equal((await h.call('PUT', '/api/v1/organizations/acme/projects/shop', 'alice', { name: 'shop', displayName: 'Shop', groupIds: ['ops'] })).json.displayName, 'Shop')
    assert.equal((await h.call('POST', '/api/v1/organizations/acme/projects', 'alice', { name: 'hidden' })).status, 201)
    const renamed = await h.call('PUT', `/api/v1/organizations/acme/groups/${group.json.id}`, 'alice', { name: 'operations', members: [{ id: 'bob', issuer: 'local' }], roleIds: ['user'] })
    assert.equal(renamed.json.name, 'operations')
    // bob (user role, in the group the project is shared with) sees that project only.
    assert.deepEqual((await h.call('GET', '/api/v1/organizations/acme/projects', 'bob')).json.items.map((p: { name: string }) => p.name), ['shop'])
    assert.equal((await h.call('GET', '/api/v1/organizations/acme/projects/hidden', 'bob')).status, 404)
    assert.deepEqual((await h.call('GET', '/api/v1/organizations/acme/projects', 'alice')).json.items.map((p: { name: string }) => p.name), ['hidden', 'shop'])
    assert.equal((await h.call('DELETE', '/api/v1/organizations/acme/projects/hidden', 'alice')).status, 204)
  })

  it('refuses an administrator elsewhere: 403 organization_forbidden or permission_denied', async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ['GET', '/api/v1/organizations/globex', undefined, 'organization_forbidden'],
      ['GET', '/api/v1/organizations/no-such-org', undefined, 'organization_forbidden'],
      ['POST', '/api/v1/organizations/globex/groups', { name: 'mine' }, 'organization_forbidden'],
      ['GET', '/api/v1/organizations/globex/acl', undefined, 'organization_forbidden'],
      ['POST', '/api/v1/organizations', { name: 'initech' }, 'permission_denied'],
      ['DELETE', '/api/v1/organizations/acme', undefined, 'permission_denied'],
      ['PATCH', '/api/v1/organizations/acme', { domains: ['acme.com'] }, 'permission_denied'],
      ['POST', '/api/v1/roles', { name: 'mine', scopes: {} }, 'permission_denied'],
      ['GET', '/api/v1/global-bindings', undefined, 'permission_denied'],
      ['PUT', '/api/v1/global-bindings', { subject: { id: 'alice', issuer: 'local' }, roleIds: ['platform-administrator'] }, 'permission_denied'],
    ]
    for (const [method, url, body, code] of cases) {
      const res = await h.call(method, url, 'alice', body)
      assert.equal(res.status, 403, `${method} ${url}`)
      assert.equal(res.json.code, code, `${method} ${url}`)
    }
    const denied = await h.call('POST', '/api/v1/organizations/acme/groups', 'bob', { name: 'bobs' })
    assert.equal(denied.json.code, 'permission_denied')
    assert.deepEqual(denied.json.details, { scope: 'identity:groups', operation: 'create' })
    const escalate = await h.call('POST', '/api/v1/organizations/acme/groups', 'alice', { name: 'root-ish', roleIds: ['platform-administrator'] })
    assert.equal(escalate.json.code, 'protected_role')
  })

  it('answers 404 for unknown groups, projects, service accounts and roles', async () => {
    for (const url of ['/api/v1/organizations/acme/groups/nope', '/api/v1/organizations/acme/projects/nope', '/api/v1/organizations/acme/serviceaccounts/nope']) {
      for (const token of [OP, 'alice']) assert.equal((await h.call('GET', url, token)).status, 404, `${url} ${token}`)
    }
    assert.equal((await h.call('DELETE', '/api/v1/organizations/acme/groups/nope', 'alice')).json.code, 'group_not_found')
    assert.equal((await h.call('PUT', '/api/v1/organizations/acme/projects/nope', 'alice', { name: 'nope' })).json.code, 'project_not_found')
    assert.equal((await h.call('GET', '/api/v1/roles/nope', 'alice')).json.code, 'role_not_found')
    assert.equal((await h.call('GET', '/api/v1/organizations/nope', OP)).json.code, 'organization_not_found')
    assert.equal((await h.call('DELETE', '/api/v1/global-bindings/nope', OP)).json.code, 'global_binding_not_found')
  })

  it('answers 409 name_taken, and 403 for built-in roles', async () => {
    const taken = await h.call('POST', '/api/v1/organizations/acme/groups', 'alice', { name: 'admins' })
    assert.equal(taken.status, 409)
    assert.equal(taken.json.code, 'name_taken')
    assert.equal((await h.call('POST', '/api/v1/organizations', OP, { name: 'acme' })).json.code, 'name_taken')
    assert.equal((await h.call('DELETE', '/api/v1/roles/administrator', OP)).json.code, 'builtin_role')
  })

  it('answers bad input with 400 validation_error naming the fields, never 500', async () => {
    const cases: Array<[string, string, unknown]> = [
      ['POST', '/api/v1/organizations/acme/groups', '{"name": '],
      ['POST', '/api/v1/organizations/acme/groups', { name: 'x', colour: 'blue' }],
      ['POST', '/api/v1/organizations/acme/groups', { name: 42 }],
      ['POST', '/api/v1/organizations/acme/groups', ['admins']],
      ['POST', '/api/v1/organizations/acme/groups', 'null'],
      ['POST', '/api/v1/organizations/acme/projects', { name: 'Not A Label' }],
      ['POST', '/api/v1/organizations/acme/serviceaccounts', { name: 'sa' }],
      ['PATCH', '/api/v1/organizations/acme', { domains: 'acme.com' }],
      ['PUT', '/api/v1/organizations/acme/groups/admins', { name: 'admins', members: [{ id: 'a' }] }],
      ['POST', '/api/v1/roles', { name: 'r', scopes: { project: { 'x:y': ['launch'] } } }],
      ['PUT', '/api/v1/global-bindings', { subject: { id: 'alice', issuer: 'local' }, roleIds: 'administrator' }],
      ['POST', '/api/v1/organizations/acme/groups', '{"name":"x","__proto__":{"admin":true}}'],
    ]
    for (const [method, url, body] of cases) {
      const res = await h.call(method, url, url.includes('/organizations/') ? 'alice' : OP, body)
      assert.equal(res.status, 400, `${method} ${url} ${JSON.stringify(body)}: ${JSON.stringify(res.json)}`)
      assert.equal(res.json.code, 'validation_error', JSON.stringify(body))
    }
    const unknown = await h.call('POST', '/api/v1/organizations/acme/groups', 'alice', { name: 'x', colour: 'blue' })
    assert.match(unknown.json.message, /colour/)
    assert.ok(Array.isArray(unknown.json.details.issues))
    const noBody = await h.app.inject({ method: 'POST', url: '/api/v1/organizations/acme/groups', headers: { authorization: 'Bearer alice' } })
    assert.equal(noBody.statusCode, 400)
    const text = await h.app.inject({ method: 'POST', url: '/api/v1/organizations', headers: { authorization: `Bearer ${OP}`, 'content-type': 'text/plain' }, payload: 'name=x' })
    assert.equal(text.statusCode, 400)
  })

  it('answers the ACL of one organization and of the caller everywhere in Unikorn Identity\'s shape', async () => {
    const one = (await h.call('GET', '/api/v1/organizations/acme/acl', 'alice')).json
    assert.deepEqual(Object.keys(one), ['organization'])
    assert.equal(one.organization.id, acme.id)
    assert.equal(one.organization.name, 'acme')
    assert.deepEqual(one.organization.endpoints.find((e: { name: string }) => e.name === 'identity:groups'), { name: 'identity:groups', operations: ['create', 'read', 'update', 'delete'] })
    assert.ok(one.organization.projects.every((p: object) => Object.keys(p).join() === 'id,name,endpoints'))
    const mine = (await h.call('GET', '/api/v1/acl', 'alice')).json
    assert.deepEqual(Object.keys(mine), ['organizations'])
    assert.deepEqual(mine.organizations, [one.organization])
    const operator = (await h.call('GET', '/api/v1/acl', OP)).json
    assert.deepEqual(operator.organizations.map((o: { name: string }) => o.name), ['acme', 'globex'])
    assert.ok(operator.global.some((e: { name: string; operations: string[] }) => e.name === 'identity:organizations' && e.operations.length === 4))
    assert.deepEqual((await h.call('GET', '/api/v1/acl', 'nobody-token')).status, 401)
    h.tokens.set('carol', userToken('carol'))
    assert.deepEqual((await h.call('GET', '/api/v1/acl', 'carol')).json, { organizations: [] })
  })

  it('shows the organization\'s audit entries to those with identity:audit read there', async () => {
    const page = await h.call('GET', `/api/v1/organizations/acme/audit?limit=1000&organizationId=${encodeURIComponent('anything')}`, 'alice')
    assert.equal(page.status, 200)
    const entries = page.json.items as Array<{ action: string; actor: string; actorType: string; organizationId: string; sourceIp: string | null }>
    assert.ok(entries.some((e) => e.action === 'organization.create' && e.actor === 'system' && e.actorType === 'system'))
    const mine = entries.find((e) => e.action === 'project.create')
    assert.equal(mine?.actor, 'local:alice')
    assert.equal(mine?.sourceIp, '127.0.0.1')
    assert.ok(entries.every((e) => e.organizationId === acme.id))
    const groups = await h.call('GET', '/api/v1/organizations/acme/audit?action=group.*&limit=1', 'alice')
    assert.equal(groups.json.items.length, 1)
    assert.ok(groups.json.continuation_token)
    // The old names, kept for one release.
    assert.deepEqual(groups.json.entries, groups.json.items)
    assert.equal(groups.json.cursor, groups.json.continuation_token)
    const next = await h.call('GET', `/api/v1/organizations/acme/audit?action=group.*&limit=1&continuation_token=${encodeURIComponent(groups.json.continuation_token)}`, 'alice')
    const old = await h.call('GET', `/api/v1/organizations/acme/audit?action=group.*&limit=1&cursor=${encodeURIComponent(groups.json.cursor)}`, 'alice')
    assert.notEqual(next.json.items[0].id, groups.json.items[0].id)
    assert.deepEqual(next.json.items, old.json.items)
    assert.equal((await h.call('GET', '/api/v1/organizations/acme/audit?limit=0', 'alice')).json.code, 'validation_error')
    assert.equal((await h.call('GET', '/api/v1/organizations/acme/audit', 'bob')).json.code, 'permission_denied')
    assert.equal((await h.call('GET', '/api/v1/organizations/globex/audit', 'alice')).json.code, 'organization_forbidden')
  })

  it('manages global bindings: a platform administrator then sees every organization', async () => {
    const put = await h.call('PUT', '/api/v1/global-bindings', OP, { subject: { id: 'carol', issuer: 'local' }, roleIds: ['platform-administrator'] })
    assert.equal(put.status, 200)
    assert.deepEqual((await h.call('GET', '/api/v1/global-bindings', 'carol')).json.items.map((b: { id: string }) => b.id), [put.json.id])
    assert.deepEqual((await h.call('GET', '/api/v1/organizations', 'carol')).json.items.map((o: { name: string }) => o.name), ['acme', 'globex'])
    assert.equal((await h.call('POST', '/api/v1/organizations', 'carol', { name: 'initech' })).status, 201)
    assert.equal((await h.call('DELETE', '/api/v1/organizations/initech', 'carol')).status, 204)
    assert.equal((await h.call('DELETE', `/api/v1/global-bindings/${put.json.id}`, OP)).status, 204)
    assert.equal((await h.call('GET', '/api/v1/organizations/globex', 'carol')).json.code, 'organization_forbidden')
  })
})
