import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { runCaptured } from '../../test/support/cli.ts'
import { SYSTEM_STORE_ID } from '../tenancy/index.ts'
import { parseTuples } from './tuple-file.ts'

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-fga-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const env = { GATEHOUSE_DATABASE_URL: `sqlite://${join(dir, 'g.db')}`, GATEHOUSE_LOG_LEVEL: 'silent' }
const run = (argv: string[]) => runCaptured(argv, env, dir)
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text)
  return name
}

const MODEL = `model
  schema 1.1

type user

type team
  relations
    define member: [user]

type document
  relations
    define viewer: [user, team#member, user with in_office]

condition in_office(ip: ipaddress, cidr: string) {
  ip.in_cidr(cidr)
}
`

describe('gatehouse stores / model / tuples', () => {
  let store = ''

  it('creates, lists and deletes stores on the configured database', async () => {
    const created = await run(['stores', 'create', 'docs'])
    assert.equal(created.code, 0, created.stderr)
    store = created.json.id
    assert.match(store, /^[0-9A-HJKMNP-TV-Z]{26}$/)
    const other = await run(['stores', 'create', 'scratch'])
    const listed = await run(['stores', 'list'])
    assert.deepEqual(listed.json.stores.map((s: { name: string }) => s.name).sort(), ['docs', 'scratch'])
    assert.equal((await run(['stores', 'delete', other.json.id])).code, 0)
    assert.ok(!(await run(['stores', 'list'])).json.stores.some((s: { id: string }) => s.id === other.json.id))
    assert.equal((await run(['stores', 'frobnicate'])).code, 2)
  })

  it('writes a DSL model and reads it back as DSL or JSON', async () => {
    const written = await run(['model', 'write', '--store', store, file('m.fga', MODEL)])
    assert.equal(written.code, 0, written.stderr)
    const id = written.json.authorization_model_id
    const dsl = await run(['model', 'get', '--store', store])
    assert.equal(dsl.code, 0, dsl.stderr)
    assert.match(dsl.stdout, /^model\n {2}schema 1\.1\n/)
    assert.match(dsl.stdout, /define viewer: \[user, team#member, user with in_office\]/)
    const json = await run(['model', 'get', '--store', store, '--id', id, '--format', 'json'])
    assert.equal(json.json.id, id)
    assert.equal(json.json.type_definitions.length, 3)
  })

  it('refuses an invalid model with the engine\'s message, and needs --store', async () => {
    const bad = await run(['model', 'write', '--store', store, file('bad.fga', 'model\n  schema 1.1\ntype document\n  relations\n    define viewer: editor\n')])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /editor/)
    assert.equal((await run(['model', 'write', 'm.fga'])).code, 2)
  })

  it('transforms DSL to JSON and back', async () => {
    const toJson = await run(['model', 'transform', 'm.fga'])
    assert.equal(toJson.code, 0, toJson.stderr)
    assert.equal(toJson.json.schema_version, '1.1')
    file('m.json', toJson.stdout)
    const back = await run(['model', 'transform', 'm.json', '--out', 'back.fga'])
    assert.equal(back.code, 0, back.stderr)
    assert.match(readFileSync(join(dir, 'back.fga'), 'utf8'), /condition in_office\(cidr: string, ip: ipaddress\)|condition in_office\(ip: ipaddress, cidr: string\)/)
  })

  it('writes, reads and deletes single tuples, with a condition', async () => {
    const w = await run(['tuples', 'write', '--store', store, 'user:anne', 'viewer', 'document:1'])
    assert.equal(w.code, 0, w.stderr)
    const c = await run(['tuples', 'write', '--store', store, 'user:bob', 'viewer', 'document:1', '--condition', 'in_office', '--context', '{"cidr":"10.0.0.0/8"}'])
    assert.equal(c.code, 0, c.stderr)
    const dup = await run(['tuples', 'write', '--store', store, 'user:anne', 'viewer', 'document:1'])
    assert.equal(dup.code, 1)
    assert.match(dup.stderr, /already exists/)
    const invalid = await run(['tuples', 'write', '--store', store, 'user:anne', 'owner', 'document:1'])
    assert.equal(invalid.code, 1)
    const read = await run(['tuples', 'read', '--store', store, '--object', 'document:1'])
    assert.deepEqual(read.json.tuples.map((t: { key: { user: string } }) => t.key.user).sort(), ['user:anne', 'user:bob'])
    assert.deepEqual(read.json.tuples.find((t: { key: { user: string } }) => t.key.user === 'user:bob').key.condition, { name: 'in_office', context: { cidr: '10.0.0.0/8' } })
    assert.equal((await run(['tuples', 'delete', '--store', store, 'user:anne', 'viewer', 'document:1'])).code, 0)
    const after = await run(['tuples', 'read', '--store', store, '--object', 'document:1', '--user', 'user:anne'])
    assert.deepEqual(after.json.tuples, [])
  })

  it('imports YAML, JSON and CSV files in batches; stops at a bad tuple, which write --file steps over', async () => {
    const many = Array.from({ length: 230 }, (_, i) => ({ user: `user:u${i}`, relation: 'viewer', object: 'document:big' }))
    const json = await run(['tuples', 'import', '--store', store, '--batch-size', '100', file('many.json', JSON.stringify(many))])
    assert.equal(json.code, 0, json.stderr)
    assert.deepEqual(json.json, { imported: 230, skipped: 0, batches: 3 })

    // Again, with one new tuple, a duplicate line and an invalid one.
    const yaml = file('again.yaml', [
      ...many.slice(0, 120).map((t) => `- { user: "${t.user}", relation: viewer, object: "document:big" }`),
      '- { user: "user:new", relation: viewer, object: "document:big" }',
      '- { user: "user:new", relation: viewer, object: "document:big" }',
      '- { user: "user:x", relation: owner, object: "document:big" }',
    ].join('\n'))
    // import stops at the invalid tuple; its batch (here the whole file) writes nothing.
    const stopped = await run(['tuples', 'import', '--store', store, yaml])
    assert.equal(stopped.code, 1)
    assert.equal(stopped.json.code, 'validation_error')
    assert.match(stopped.json.message, /^tuple 123: Invalid tuple/)
    assert.deepEqual({ ...stopped.json, code: 0, message: 0 }, { code: 0, message: 0, index: 122, imported: 0, skipped: 0, batches: 0 })
    assert.match(stopped.stderr, /0 tuple\(s\) in 0 batch\(es\) were committed/)
    assert.equal((await run(['tuples', 'import', '--store', store, '--on-duplicate', 'sometimes', yaml])).code, 2)
    // write --file goes on past it, counting each tuple.
    const again = await run(['tuples', 'write', '--store', store, '--file', yaml])
    assert.equal(again.code, 1)
    assert.equal(again.json.written, 1)
    assert.equal(again.json.skipped, 121)
    assert.equal(again.json.failed, 1)
    assert.equal(again.json.failures[0].tuple.user, 'user:x')
    assert.match(again.stderr, /1 of 123 tuple\(s\) failed/)
    const strict = await run(['tuples', 'import', '--store', store, '--on-duplicate', 'error', file('one.jsonl', '{"user":"user:new","relation":"viewer","object":"document:big"}\n')])
    assert.equal(strict.code, 1)
    assert.equal(strict.json.code, 'write_failed_due_to_invalid_input')

    const csv = file('t.csv', 'user_type,user_id,user_relation,relation,object_type,object_id,condition_name,condition_context\n'
      + 'team,eng,member,viewer,document,csv,,\n'
      + 'user,carol,,viewer,document,csv,in_office,"{""cidr"": ""192.168.0.0/16""}"\n')
    const fromCsv = await run(['tuples', 'import', '--store', store, csv])
    assert.equal(fromCsv.code, 0, fromCsv.stderr)
    assert.equal(fromCsv.json.imported, 2)

    const asCsv = await run(['tuples', 'read', '--store', store, '--object', 'document:csv', '--format', 'csv'])
    assert.deepEqual(parseTuples(asCsv.stdout, '.csv', 'out').sort((a, b) => a.user.localeCompare(b.user)), [
      { user: 'team:eng#member', relation: 'viewer', object: 'document:csv' },
      { user: 'user:carol', relation: 'viewer', object: 'document:csv', condition: { name: 'in_office', context: { cidr: '192.168.0.0/16' } } },
    ])

    const removed = await run(['tuples', 'delete', '--store', store, '--file', 'many.json'])
    assert.equal(removed.code, 0, removed.stderr)
    assert.equal(removed.json.deleted, 230)
  })

  it('refuses bad tuple files and writes to the system store', async () => {
    const header = await run(['tuples', 'import', '--store', store, file('bad.csv', 'user,relation,object\nuser:a,viewer,document:1\n')])
    assert.equal(header.code, 2)
    assert.match(header.stderr, /unknown column "user"/)
    assert.equal((await run(['tuples', 'import', '--store', store, file('x.txt', 'a')])).code, 2)
    // Tenancy maintains the system store; the command line may not write it, as the API may not.
    const refused = await run(['tuples', 'write', '--store', SYSTEM_STORE_ID, 'user:a', 'member', 'organization:x'])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /read-only/)
  })
})
