// The tenancy sections of the bootstrap file: applied after the upstreams they name are known,
// a restart writes nothing, and a bad reference stops the start before anything is written.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { loadConfig } from '../config/index.ts'
import { SYSTEM_PRINCIPAL } from '../tenancy/index.ts'
import { applyBootstrapFile, createLogger, openCore } from './index.ts'

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bootstrap-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const bootstrapFile = join(dir, 'bootstrap.yaml')
const config = loadConfig({ env: { GATEHOUSE_DATABASE_URL: `sqlite://${join(dir, 'g.db')}`, GATEHOUSE_BOOTSTRAP_FILE: bootstrapFile } }).config
const logger = createLogger('silent')

const FILE = `
upstreams:
  - { id: okta, kind: oidc, issuer: https://okta.example.test, clientId: gatehouse, clientSecret: s3cret }
roles:
  - name: cluster-viewer
    scopes: { project: { "kubernetes:clusters": [read] } }
organizations:
  - name: acme
    upstreams: [okta]
    domains: [acme.test]
    groups:
      - { name: devs, upstreamGroups: ["okta:devs"], roles: [cluster-viewer] }
    projects:
      - { name: web, groups: [devs] }
globalBindings:
  - subject: { id: root, issuer: local }
    roles: [platform-administrator]
`

async function apply() {
  const core = await openCore(config, logger)
  try {
    const before = await core.store.tenancy.revision()
    const outcome = await applyBootstrapFile(core, logger)
    return { outcome, wrote: (await core.store.tenancy.revision()) !== before, orgs: core.tenancy.organizations.list({ actor: SYSTEM_PRINCIPAL }) }
  } finally {
    await core.close()
  }
}

describe('bootstrap file: tenancy', () => {
  it('applies organizations naming the file\'s own upstreams; a restart writes nothing', async () => {
    writeFileSync(bootstrapFile, FILE)
    const first = await apply()
    assert.deepEqual(first.outcome.tenancy, { created: 5, updated: 0, deleted: 0, unchanged: 0 })
    assert.deepEqual(first.orgs.map((o) => [o.name, o.upstreams, o.source]), [['acme', ['okta'], 'bootstrap']])
    const second = await apply()
    assert.deepEqual(second.outcome.tenancy, { created: 0, updated: 0, deleted: 0, unchanged: 5 })
    assert.equal(second.wrote, false)
  })

  it('names the file and the place of a bad entry, before writing anything', async () => {
    writeFileSync(bootstrapFile, `${FILE}\nclients:\n  - { id: new-client, type: public, redirectUris: ["https://x.example.test/cb"] }\n`
      .replace('roles: [cluster-viewer]', 'roles: [foo]'))
    await assert.rejects(apply(), (err: Error) => {
      assert.match(err.message, /bootstrap\.yaml at organizations\[0\]\.groups\[0\]\.roles\[0\]: no role "foo"/)
      return true
    })
    const core = await openCore(config, logger)
    try {
      assert.equal(await core.store.oidcClients.get('new-client'), null)
    } finally {
      await core.close()
    }
    writeFileSync(bootstrapFile, FILE.replace('name: web', 'name: Web'))
    await assert.rejects(apply(), /at organizations\[0\]\.projects\[0\]\.name: must be a DNS label/)
  })
})

describe('bootstrap file: upstream secrets in files', () => {
  const withSecretFile = (line: string) => FILE.replace('clientSecret: s3cret', line)

  it('reads clientSecretFile relative to the bootstrap file, like a client\'s secretFile', async () => {
    writeFileSync(join(dir, 'okta.secret'), 'from-a-file\n')
    writeFileSync(bootstrapFile, withSecretFile('clientSecretFile: okta.secret'))
    const { outcome } = await apply()
    assert.equal(outcome.config.upstreams.find((u) => u.id === 'okta')?.clientSecret, 'from-a-file')
  })

  it('refuses both forms at once, a missing file and an empty one, naming the place', async () => {
    writeFileSync(bootstrapFile, withSecretFile('clientSecret: s3cret, clientSecretFile: okta.secret'))
    await assert.rejects(apply(), /at upstreams\[0\]: give clientSecret or clientSecretFile, not both/)
    writeFileSync(bootstrapFile, withSecretFile('clientSecretFile: nowhere.secret'))
    await assert.rejects(apply(), /at upstreams\[0\]\.clientSecretFile: cannot read nowhere\.secret: ENOENT/)
    writeFileSync(join(dir, 'empty.secret'), '\n')
    writeFileSync(bootstrapFile, withSecretFile('clientSecretFile: empty.secret'))
    await assert.rejects(apply(), /at upstreams\[0\]\.clientSecretFile: empty\.secret is empty/)
  })
})
