import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { runCaptured } from '../../test/support/cli.ts'

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-tenancy-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const env = { GATEHOUSE_DATABASE_URL: `sqlite://${join(dir, 'g.db')}`, GATEHOUSE_LOG_LEVEL: 'silent' }
const OKTA = 'https://okta.example.test'

const run = (argv: string[]) => runCaptured(argv, env, dir)

function file(name: string, value: unknown): string {
  writeFileSync(join(dir, name), JSON.stringify(value))
  return name
}

describe('gatehouse orgs / groups / projects / roles / acl', () => {
  it('creates an organization from a file and lists it', async () => {
    const created = await run(['orgs', 'create', '--file', file('acme.json', { name: 'acme', displayName: 'Acme', domains: ['acme.test'] })])
    assert.equal(created.code, 0, created.stderr)
    assert.equal(created.json.organization.source, 'cli')
    // The first organization turns users in none away from sign-in: said on stderr and in the output.
    assert.match(created.json.notice, /acme is the first organization, so requireOrganization \(GATEHOUSE_REQUIRE_ORGANIZATION\) now applies/)
    assert.match(created.stderr, /^warning: acme is the first organization/)
    const listed = await run(['orgs', 'list'])
    assert.deepEqual(listed.json.items.map((o: { name: string }) => o.name), ['acme'])
    assert.deepEqual(listed.json.organizations, listed.json.items, 'the old key, for one release')
    assert.equal((await run(['orgs', 'get', 'acme'])).json.organization.displayName, 'Acme')
    const updated = await run(['orgs', 'update', 'acme', '-f', file('acme2.json', { description: 'Widgets' })])
    assert.equal(updated.json.organization.description, 'Widgets')
  })

  it('puts roles, groups and projects by name: created, then replaced', async () => {
    const role = { name: 'cluster-viewer', scopes: { project: { 'kubernetes:clusters': ['read'] } } }
    assert.equal((await run(['roles', 'put', '--file', file('role.json', role)])).json.created, true)
    const group = { name: 'devs', members: [{ id: 'alice', issuer: OKTA }], roleIds: ['user'] }
    const first = await run(['groups', 'put', 'acme', '--file', file('devs.json', group)])
    assert.equal(first.code, 0, first.stderr)
    assert.equal(first.json.created, true)
    const second = await run(['groups', 'put', 'acme', '--file', file('devs.json', { ...group, upstreamGroups: ['okta:devs'], roleIds: ['user', 'cluster-viewer'] })])
    assert.equal(second.json.created, false)
    assert.equal(second.json.group.id, first.json.group.id)
    assert.deepEqual((await run(['groups', 'list', 'acme'])).json.groups.map((g: { name: string }) => g.name), ['devs'])
    const project = await run(['projects', 'put', 'acme', '--file', file('web.json', { name: 'web', groupIds: ['devs'] })])
    assert.equal(project.json.project.groupIds[0], first.json.group.id)
    assert.deepEqual((await run(['projects', 'get', 'acme', 'web'])).json.project.name, 'web')
  })

  it('prints the ACL of a subject, through membership or upstream groups', async () => {
    const alice = await run(['acl', 'acme', '--subject', 'alice', '--issuer', OKTA])
    assert.equal(alice.code, 0, alice.stderr)
    assert.equal(alice.json.organization.name, 'acme')
    assert.deepEqual(alice.json.organization.projects.map((p: { name: string; endpoints: { name: string }[] }) => [p.name, p.endpoints.map((e) => e.name)]),
      [['web', ['identity:projects', 'kubernetes:clusters']]])
    const bob = await run(['acl', 'acme', '--subject', 'bob', '--issuer', OKTA, '--group', 'okta:devs', '--group', 'okta:other'])
    assert.deepEqual(bob.json.organization.projects.map((p: { name: string }) => p.name), ['web'])
    const stranger = await run(['acl', 'acme', '--subject', 'mallory', '--issuer', OKTA])
    assert.equal(stranger.code, 1)
    assert.match(stranger.stderr, /not a member of this organization/)
    assert.equal((await run(['acl', 'acme', '--subject', 'alice'])).code, 2)
  })

  it('refuses a reserved name, a role in use and bad usage', async () => {
    const reserved = await run(['orgs', 'create', '--file', file('default.json', { name: 'default' })])
    assert.equal(reserved.code, 1)
    assert.match(reserved.stderr, /organization name "default" is reserved/)
    const inUse = await run(['roles', 'delete', 'cluster-viewer'])
    assert.equal(inUse.code, 1)
    assert.match(inUse.stderr, /role cluster-viewer is bound 1 time\(s\)/)
    const invalid = await run(['groups', 'put', 'acme', '--file', file('bad.json', { name: 'Bad Name' })])
    assert.equal(invalid.code, 1)
    assert.match(invalid.stderr, /name: must be a DNS label/)
    assert.equal((await run(['orgs'])).code, 2)
    assert.equal((await run(['orgs', 'frob'])).code, 2)
    assert.equal((await run(['groups', 'get', 'acme'])).code, 2)
    assert.equal((await run(['orgs', 'create'])).code, 2)
  })

  it('deletes what it made, and the operator shows up as system in the audit log', async () => {
    assert.deepEqual((await run(['projects', 'delete', 'acme', 'web'])).json, { deleted: 'web' })
    assert.deepEqual((await run(['groups', 'delete', 'acme', 'devs'])).json, { deleted: 'devs' })
    assert.equal((await run(['roles', 'delete', 'cluster-viewer'])).code, 0)
    assert.equal((await run(['orgs', 'delete', 'acme'])).code, 0)
    assert.deepEqual((await run(['orgs', 'list'])).json.organizations, [])
    const { openStore } = await import('../app/index.ts')
    const { loadConfig } = await import('../config/index.ts')
    const { store } = await openStore(loadConfig({ env }).config)
    try {
      const entries = (await store.audit.list({ action: 'organization.*', limit: 10 })).entries
      assert.deepEqual(entries.map((e) => [e.action, e.actor, e.actorType]).slice(0, 2), [['organization.delete', 'system', 'system'], ['organization.update', 'system', 'system']])
    } finally {
      await store.close()
    }
  })
})
