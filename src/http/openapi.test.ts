import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { z } from 'zod'
import { SYSTEM_PRINCIPAL, tenancySchemas } from '../tenancy/index.ts'
import type { FastifyInstance } from 'fastify'
import { ADMIN_TOKEN_PREFIXES, openapiDocument, OPENAPI_PATH, TENANCY_PREFIXES } from './index.ts'
import { OPERATOR_KEY, tenancyHarness, type TenancyHarness } from './tenancy-harness.test.ts'

type Doc = { paths: Record<string, Record<string, any>>; components: Record<string, Record<string, any>> }
const doc = openapiDocument() as unknown as Doc
const METHODS = ['get', 'put', 'post', 'patch', 'delete']
const toOpenApi = (url: string) => url.replace(/:([A-Za-z_]+)/g, '{$1}')
const toFastify = (path: string) => path.replace(/\{([A-Za-z_]+)\}/g, ':$1')

/**
 * Every route of a ready app with its methods, from Fastify's route tree (printRoutes with
 * commonPrefix off: one line per path segment, nested four columns deeper per level).
 */
function routesOf(app: FastifyInstance): Array<{ method: string; url: string }> {
  const stack: string[] = []
  const routes: Array<{ method: string; url: string }> = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line)
    if (m === null) continue
    const depth = m[1]!.length / 4
    stack.length = depth
    stack.push(m[2]!)
    for (const method of m[3]?.split(', ') ?? []) routes.push({ method: method.toLowerCase(), url: stack.join('') })
  }
  return routes
}

describe('OpenAPI document of the admin APIs', () => {
  let h: TenancyHarness
  let full: FastifyInstance
  const registered: Array<{ method: string; url: string }> = []
  before(async () => {
    // The harness's app is ready already; a second one records its routes as they register.
    h = await tenancyHarness()
    const { buildHttpServer } = await import('./index.ts')
    // Every admin API mounted: only their routes are read, so the services behind them are stand-ins.
    const unused = {} as never
    full = buildHttpServer({
      config: { presharedKeys: [OPERATOR_KEY], bodyLimitBytes: 1024 * 1024 }, authz: h.core.authz, store: h.core.store, logger: h.app.log,
      tenancy: { service: h.core.tenancy, resolveCaller: async () => SYSTEM_PRINCIPAL }, provisioning: h.provisioning,
      clients: unused, applications: unused, simulate: unused, audit: unused, people: unused, directory: unused,
    })
    await full.ready()
    registered.push(...routesOf(full))
    await full.close()
  })
  after(() => h.close())

  it('documents every registered admin route with its method', () => {
    // Every /api/v1 route, and the bulk import: a route added without documentation fails here.
    const admin = registered.filter((r) => r.method !== 'head' && r.url !== OPENAPI_PATH && (r.url.startsWith('/api/v1/') || r.url === '/stores/:store_id/import'))
    for (const prefix of [...TENANCY_PREFIXES, ...ADMIN_TOKEN_PREFIXES].filter((p) => p.startsWith('/api/v1/'))) {
      assert.ok(admin.some((r) => r.url === prefix || r.url.startsWith(`${prefix}/`)), `no route under ${prefix} was registered`)
    }
    const documented = Object.entries(doc.paths).filter(([path]) => path !== OPENAPI_PATH).flatMap(([, item]) => Object.keys(item))
    for (const { method, url } of admin) {
      assert.ok(doc.paths[toOpenApi(url)]?.[method], `${method.toUpperCase()} ${url} is not in the document`)
    }
    assert.equal(admin.length, documented.length, 'as many admin routes registered as documented')
  })

  it('answers every list in one envelope with the same paging', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      const ok = item.get?.responses?.['200']?.content?.['application/json']?.schema
      const schema = ok?.$ref ? doc.components.schemas![ok.$ref.split('/').pop()!] : ok
      if (schema?.properties?.items === undefined) continue
      assert.equal(schema.properties.items.type, 'array', path)
      assert.ok(schema.required.includes('items'), path)
      assert.ok(schema.properties.continuation_token, `${path} documents continuation_token`)
      const query = (item.get.parameters ?? []).map((p: { name?: string }) => p.name).filter(Boolean)
      if (query.length > 0) assert.ok(query.includes('continuation_token') && query.includes('page_size'), `${path} pages with page_size and continuation_token`)
    }
  })

  it('documents no route the server does not have', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item)) {
        assert.ok(METHODS.includes(method), `${path}: ${method}`)
        assert.ok(full.hasRoute({ method: method.toUpperCase() as 'GET', url: toFastify(path) }), `${method.toUpperCase()} ${path} is documented but not served`)
      }
    }
  })

  it('is served as OpenAPI 3.1 whose references all resolve and whose path parameters are declared', async () => {
    const served = await h.call('GET', OPENAPI_PATH)
    assert.equal(served.status, 200)
    assert.deepEqual(served.json, JSON.parse(JSON.stringify(doc)))
    const text = JSON.stringify(doc)
    for (const [, section, name] of text.matchAll(/"\$ref":"#\/components\/([a-zA-Z]+)\/([a-zA-Z0-9]+)"/g)) {
      assert.ok(doc.components[section!]?.[name!], `unresolved reference to ${section}/${name}`)
    }
    for (const [path, item] of Object.entries(doc.paths)) {
      const inPath = [...path.matchAll(/\{([a-z]+)\}/g)].map((m) => m[1]).sort()
      for (const [method, op] of Object.entries(item)) {
        const declared = (op.parameters ?? []).filter((p: { $ref?: string }) => p.$ref).map((p: { $ref: string }) => p.$ref.split('/').pop()).sort()
        assert.deepEqual(declared, inPath, `${method} ${path}`)
        if (path !== OPENAPI_PATH) assert.ok(op.responses['401'], `${method} ${path} documents 401`)
      }
    }
    assert.deepEqual(doc.components.securitySchemes!.bearer, { ...doc.components.securitySchemes!.bearer, type: 'http', scheme: 'bearer' })
    assert.deepEqual(doc.components.schemas!.error.required, ['code', 'message'])
  })

  it('describes the inputs the commands accept: the same fields, required the same way, nothing else', () => {
    const pairs: Array<[string, z.ZodType]> = [
      ['organizationCreate', tenancySchemas.organizationInput], ['organizationUpdate', tenancySchemas.organizationUpdate],
      ['roleInput', tenancySchemas.roleInput], ['groupInput', tenancySchemas.groupInput], ['projectInput', tenancySchemas.projectInput],
      ['serviceAccountInput', tenancySchemas.serviceAccountInput], ['globalBindingInput', tenancySchemas.globalBindingInput],
      ['subject', tenancySchemas.subjectSchema], ['roleScopes', tenancySchemas.roleScopesSchema],
    ]
    for (const [name, schema] of pairs) {
      const expected = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties: object; required?: string[] }
      const mine = doc.components.schemas![name]
      assert.deepEqual(Object.keys(mine.properties).sort(), Object.keys(expected.properties).sort(), name)
      assert.deepEqual([...(mine.required ?? [])].sort(), [...(expected.required ?? [])].sort(), name)
      assert.equal(mine.additionalProperties, false, name)
    }
  })

  it('describes the records the API answers with', async () => {
    const ctx = { actor: SYSTEM_PRINCIPAL }
    const t = h.core.tenancy
    const org = await t.organizations.create(ctx, { name: 'acme' })
    const records: Array<[string, object]> = [
      ['organization', org],
      ['role', t.roles.get(ctx, 'administrator')],
      ['group', await t.groups.create(ctx, 'acme', { name: 'g' })],
      ['project', await t.projects.create(ctx, 'acme', { name: 'p' })],
      ['serviceAccount', await t.serviceAccounts.create(ctx, 'acme', { name: 's', clientId: 'c' })],
      ['globalBinding', await t.bindings.put(ctx, { subject: { id: 'x', issuer: 'local' }, roleIds: ['reader'] })],
      ['aclOrganization', t.acl(ctx, 'acme').organization],
      ['aclProject', t.projects.list(ctx, 'acme')[0]!],
      ['auditRecord', (await h.core.store.audit.list({ limit: 1 })).entries[0]!],
    ]
    for (const [name, value] of records) {
      const schema = doc.components.schemas![name]
      assert.deepEqual(Object.keys(schema.properties).sort(), Object.keys(value).sort(), name)
    }
  })
})
