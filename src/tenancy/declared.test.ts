// The declared tenancy of the bootstrap file, on both backends: a second apply writes nothing,
// a change touches only its record, and records made through the API stay theirs.

import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { externalSubject } from '../lib/index.ts'
import { describeEachBackend, type OpenedStore } from '../../test/support/backends.ts'
import { applyDeclared, createTenancy, SYSTEM_PRINCIPAL, type DeclaredTenancy, type Tenancy } from './index.ts'

const OKTA = 'https://okta.example'
const sys = { actor: SYSTEM_PRINCIPAL }
const member = (id: string) => ({ id, issuer: OKTA, email: `${id}@acme.com` })

function document(): DeclaredTenancy {
  return {
    roles: [{ name: 'cluster-viewer', description: 'Reads clusters', scopes: { project: { 'kubernetes:clusters': ['read'] } } }],
    organizations: [{
      name: 'acme', displayName: 'Acme Inc.', domains: ['acme.com'], upstreams: ['okta'],
      serviceAccounts: [{ name: 'ci', clientId: 'acme-ci' }],
      groups: [
        { name: 'devs', members: [member('alice')], roles: ['cluster-viewer', 'user'] },
        { name: 'admins', upstreamGroups: ['okta:acme-admins'], roles: ['administrator'] },
        { name: 'robots', serviceAccounts: ['ci'], roles: ['cluster-viewer'] },
      ],
      projects: [
        { name: 'web', groups: ['devs', 'robots'] },
        { name: 'data', displayName: 'Data lake', groups: ['devs'] },
      ],
    }],
    globalBindings: [{ subject: { id: 'root', issuer: 'local' }, roles: ['platform-administrator'] }],
  }
}

await describeEachBackend('declared tenancy', (open) => {
  let opened: OpenedStore
  let tenancy: Tenancy

  before(async () => {
    opened = await open()
    tenancy = createTenancy({ store: opened.store, upstreamIds: () => new Set(['okta']) })
    await tenancy.start(false)
  })
  after(async () => {
    tenancy.stop()
    await opened.close()
  })

  const revision = () => opened.store.tenancy.revision()
  const auditCount = async () => (await opened.store.audit.list({ action: '*', limit: 1000 })).entries.length

  it('creates everything, in dependency order, as bootstrap records', async () => {
    const counts = await applyDeclared(tenancy, document())
    assert.deepEqual(counts, { created: 9, updated: 0, deleted: 0, unchanged: 0 })
    const devs = tenancy.groups.get(sys, 'acme', 'devs')
    assert.equal(devs.source, 'bootstrap')
    const acl = tenancy.acl({ actor: { kind: 'user', subject: externalSubject(OKTA, 'alice'), upstreamGroups: [] } }, 'acme')
    assert.deepEqual(acl.organization.projects.map((p) => [p.name, p.endpoints.map((e) => e.name)]), [['data', ['identity:projects', 'kubernetes:clusters']], ['web', ['identity:projects', 'kubernetes:clusters']]])
    const data = tenancy.projects.get(sys, 'acme', 'data')
    assert.deepEqual([data.displayName, data.groupIds], ['Data lake', [devs.id]])
    const robots = tenancy.groups.get(sys, 'acme', 'robots')
    assert.deepEqual(robots.serviceAccountIds, [tenancy.serviceAccounts.get(sys, 'acme', 'ci').id])
  })

  it('a second apply changes nothing: same revision, no audit entry', async () => {
    const rev = await revision()
    const entries = await auditCount()
    assert.deepEqual(await applyDeclared(tenancy, document()), { created: 0, updated: 0, deleted: 0, unchanged: 9 })
    assert.equal(await revision(), rev)
    assert.equal(await auditCount(), entries)
  })

  it('a changed member list updates only that group', async () => {
    const doc = document()
    doc.organizations![0]!.groups![0]!.members = [member('alice'), member('bob')]
    const rev = await revision()
    assert.deepEqual(await applyDeclared(tenancy, doc), { created: 0, updated: 1, deleted: 0, unchanged: 8 })
    assert.equal(await revision(), rev + 1)
    const [entry] = (await opened.store.audit.list({ action: '*', limit: 1 })).entries
    assert.equal(entry?.action, 'group.update')
    assert.equal(entry?.actor, 'system')
    assert.deepEqual(tenancy.groups.get(sys, 'acme', 'devs').members.map((m) => m.id), ['alice', 'bob'])
  })

  it('a project no longer declared is deleted; records made through the API stay', async () => {
    await tenancy.groups.create(sys, 'acme', { name: 'contractors', members: [member('carol')] })
    const doc = document()
    doc.organizations![0]!.projects = [{ name: 'web', groups: ['devs', 'robots'] }]
    assert.deepEqual(await applyDeclared(tenancy, doc), { created: 0, updated: 1, deleted: 1, unchanged: 7 })
    assert.throws(() => tenancy.projects.get(sys, 'acme', 'data'), { code: 'project_not_found' })
    assert.equal(tenancy.groups.get(sys, 'acme', 'contractors').source, 'api')
    // Putting the member list back is the one update above; the API group was not touched.
    assert.deepEqual(await applyDeclared(tenancy, doc), { created: 0, updated: 0, deleted: 0, unchanged: 8 })
  })

  it('bootstrap records are refused to the API', async () => {
    await assert.rejects(tenancy.groups.update(sys, 'acme', 'devs', { name: 'devs' }), { code: 'bootstrap_managed' })
    await assert.rejects(tenancy.roles.delete(sys, 'cluster-viewer'), { code: 'bootstrap_managed' })
  })

  it('a declared name taken through the API is a clear error, before anything is written', async () => {
    await tenancy.organizations.create(sys, { name: 'globex' })
    const doc = document()
    doc.roles!.push({ name: 'new-role', scopes: {} })
    doc.organizations!.push({ name: 'globex' })
    const rev = await revision()
    await assert.rejects(applyDeclared(tenancy, doc), (err: Error & { code: string }) => {
      assert.equal(err.code, 'name_taken')
      assert.match(err.message, /^organizations\[1\]\.name: organization "globex" was made through the API/)
      return true
    })
    assert.equal(await revision(), rev)
    doc.organizations!.pop()
    doc.roles = [{ name: 'reader', scopes: {} }]
    await assert.rejects(applyDeclared(tenancy, doc), /roles\[0\]\.name: role "reader" is built in/)
  })

  it('a bad document is refused with the path of the problem', async () => {
    const unknownRole = document()
    unknownRole.organizations![0]!.groups![1]!.roles = ['foo']
    await assert.rejects(applyDeclared(tenancy, unknownRole), { code: 'validation_error', message: 'organizations[0].groups[1].roles[0]: no role "foo"' })
    const badName = document()
    badName.organizations![0]!.projects![1]!.name = 'Not A Label'
    await assert.rejects(applyDeclared(tenancy, badName), { message: /^organizations\[0\]\.projects\[1\]\.name: must be a DNS label/ })
    await assert.rejects(applyDeclared(tenancy, { organizations: [{ name: 'x', bogus: 1 }] }), /organizations\[0\]/)
    const twice = document()
    twice.organizations![0]!.groups!.push({ name: 'devs' })
    await assert.rejects(applyDeclared(tenancy, twice), { message: 'organizations[0].groups[3].name: name devs is declared twice' })
    const badUpstream = document()
    badUpstream.organizations![0]!.upstreams = ['nowhere']
    await assert.rejects(applyDeclared(tenancy, badUpstream), { code: 'unknown_reference', message: 'organizations[0]: no upstream provider "nowhere" is configured' })
  })

  it('an empty document deletes every bootstrap record and nothing else', async () => {
    await assert.rejects(applyDeclared(tenancy, {}), { code: 'conflict', message: /organization "acme" is no longer declared but holds contractors/ })
    await tenancy.groups.delete(sys, 'acme', 'contractors')
    const counts = await applyDeclared(tenancy, {})
    // Acme's parts go one by one before acme itself: binding, project, 3 groups, account, acme, role.
    assert.deepEqual(counts, { created: 0, updated: 0, deleted: 8, unchanged: 0 })
    assert.ok(tenancy.organizations.get(sys, 'globex'))
    assert.throws(() => tenancy.roles.get(sys, 'cluster-viewer'), { code: 'role_not_found' })
    assert.equal(await tenancy.repairMirror(), 0)
  })

  it('accepts roleIds, the API\'s spelling, for roles, and refuses both at once', async () => {
    await applyDeclared(tenancy, document())
    const before = await revision()
    const spelled = document()
    const devs = spelled.organizations![0]!.groups![0]!
    spelled.organizations![0]!.groups![0] = { name: devs.name, members: devs.members, roleIds: devs.roles }
    spelled.globalBindings = [{ subject: { id: 'root', issuer: 'local' }, roleIds: ['platform-administrator'] }]
    await applyDeclared(tenancy, spelled)
    assert.equal(await revision(), before, 'the same declaration, written the other way: nothing changes')
    const both = document()
    both.organizations![0]!.groups![0]!.roleIds = ['user']
    await assert.rejects(applyDeclared(tenancy, both), { message: /^organizations\[0\]\.groups\[0\]\.roles: give roleIds or roles \(its older spelling\), not both/ })
  })
})
