import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, describe, it } from 'node:test'
import { runCaptured } from '../../test/support/cli.ts'

const repoRoot = resolve(import.meta.dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-model-test-'))
after(() => rmSync(dir, { recursive: true, force: true }))

// No database settings: model test needs none (it runs on an in-memory store).
const run = (argv: string[], cwd = dir) => runCaptured(argv, {}, cwd)
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text)
  return name
}

const MODEL = `model: |
  model
    schema 1.1
  type user
  type group
    relations
      define member: [user]
  type doc
    relations
      define owner: [user]
      define viewer: [user, group#member] or owner
`

describe('gatehouse model test', () => {
  it('passes the example suites (direct, usersets, tuple-to-userset, conditions, list_objects, list_users)', async () => {
    const res = await run(['model', 'test', 'examples/model-tests/documents.fga.yaml', 'examples/model-tests/projects.fga.yaml'], repoRoot)
    assert.equal(res.code, 0, res.stdout + res.stderr)
    assert.match(res.stdout, /PASS conditions \(checks 5\/5, list_objects 2\/2\)/)
    assert.match(res.stdout, /PASS nested-teams/)
    assert.match(res.stdout, /^tests 6\/6 passing; checks \d+\/\d+, list_objects \d+\/\d+, list_users \d+\/\d+$/m)
  })

  it('reports each mismatch and exits 1', async () => {
    const suite = file('failing.fga.yaml', `${MODEL}
tuples:
  - { user: user:anne, relation: owner, object: doc:1 }
  - { user: user:bob, relation: member, object: group:eng }
  - { user: "group:eng#member", relation: viewer, object: doc:2 }
tests:
  - name: right
    check:
      - { user: user:anne, object: doc:1, assertions: { viewer: true, owner: true } }
  - name: wrong
    tuples:
      - { user: user:carol, relation: viewer, object: doc:1 }
    check:
      - users: [user:bob, user:carol]
        object: doc:1
        assertions: { viewer: true }
    list_objects:
      - { user: user:bob, type: doc, assertions: { viewer: [doc:2, doc:3] } }
    list_users:
      - object: doc:2
        user_filter: [{ type: group, relation: member }]
        assertions: { viewer: { users: ["group:eng#member"] } }
      - object: doc:1
        user_filter: [{ type: user }]
        assertions: { viewer: { users: [user:anne] } }
  - name: global tuples only
    check:
      - { user: user:carol, object: doc:1, assertions: { viewer: false } }
  - name: unknown relation
    check:
      - { user: user:anne, object: doc:1, assertions: { editor: true } }
`)
    const res = await run(['model', 'test', suite])
    assert.equal(res.code, 1)
    assert.match(res.stdout, /PASS right \(checks 2\/2\)/)
    assert.match(res.stdout, /FAIL wrong \(checks 1\/2, list_objects 0\/1, list_users 1\/2\)/)
    assert.match(res.stdout, /✗ check user:bob viewer doc:1: expected true, got false/)
    assert.match(res.stdout, /✗ list_objects user:bob viewer doc: expected \[doc:2, doc:3\], got \[doc:2\]; missing \[doc:3\]/)
    assert.match(res.stdout, /✗ list_users doc:1 viewer user: expected \[user:anne\], got \[user:anne, user:carol\]; unexpected \[user:carol\]/)
    // A test's tuples stay in that test.
    assert.match(res.stdout, /PASS global tuples only/)
    assert.match(res.stdout, /FAIL unknown relation[\s\S]*✗ check user:anne editor doc:1: expected true, got error validation_error/)
    assert.match(res.stdout, /^tests 2\/4 passing; checks 4\/6, list_objects 0\/1, list_users 1\/2$/m)
  })

  it('reads model_file and tuple_file relative to the test file, with context for conditions', async () => {
    file('cond.fga', 'model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define viewer: [user with weekday]\ncondition weekday(day: int) {\n  day < 6\n}\n')
    file('cond-tuples.json', JSON.stringify([{ user: 'user:anne', relation: 'viewer', object: 'doc:1', condition: { name: 'weekday' } }]))
    const suite = file('cond.fga.yaml', 'model_file: ./cond.fga\ntuple_file: ./cond-tuples.json\ntests:\n  - name: ctx\n    check:\n'
      + '      - { user: user:anne, object: doc:1, context: { day: 2 }, assertions: { viewer: true } }\n'
      + '      - { user: user:anne, object: doc:1, context: { day: 7 }, assertions: { viewer: false } }\n'
      + '    list_objects:\n      - { user: user:anne, type: doc, context: { day: 3 }, assertions: { viewer: [doc:1] } }\n')
    const res = await run(['model', 'test', suite], '/')
    assert.equal(res.code, 1, 'cwd / cannot see the file by its relative name')
    const ok = await run(['model', 'test', join(dir, suite)], '/')
    assert.equal(ok.code, 0, ok.stdout + ok.stderr)
    assert.match(ok.stdout, /PASS ctx \(checks 2\/2, list_objects 1\/1\)/)
  })

  it('names the problem in a malformed file and exits 1; 2 without FILE', async () => {
    const noModel = await run(['model', 'test', file('nomodel.fga.yaml', 'tests:\n  - name: x\n')])
    assert.equal(noModel.code, 1)
    assert.match(noModel.stderr, /nomodel\.fga\.yaml: needs "model" \(inline DSL\) or "model_file"/)
    const badCheck = await run(['model', 'test', file('badcheck.fga.yaml', `${MODEL}tests:\n  - name: x\n    check:\n      - { object: doc:1, assertions: { viewer: true } }\n`)])
    assert.equal(badCheck.code, 1)
    assert.match(badCheck.stderr, /tests\[0\] \(x\)\.check\[0\]: give either "user" or "users"/)
    const invalidModel = await run(['model', 'test', file('invalid.fga.yaml', 'model: |\n  model\n    schema 1.1\n  type doc\n    relations\n      define viewer: editor\ntests:\n  - name: x\n    check: []\n')])
    assert.equal(invalidModel.code, 1)
    assert.match(invalidModel.stdout, /FAIL x[\s\S]*setup failed: .*editor/)
    assert.equal((await run(['model', 'test'])).code, 2)
  })
})
