import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AppError } from '../lib/index.ts'
import { compileApplications, parseApplication } from './application.ts'

function problem(input: unknown): string {
  try {
    parseApplication(input)
  } catch (err) {
    assert.ok(err instanceof AppError)
    assert.equal(err.code, 'forwardauth_invalid_application')
    assert.equal(err.status, 400)
    return err.message
  }
  assert.fail('expected the application to be refused')
}

describe('application schema', () => {
  it('fills defaults: Remote-* header names, an open default policy, no rules', () => {
    const app = parseApplication({ id: 'grafana', hosts: ['Grafana.Example.com'] })
    assert.deepEqual(app.hosts, ['grafana.example.com'])
    assert.deepEqual(app.headers, { user: 'Remote-User', name: 'Remote-Name', email: 'Remote-Email', groups: 'Remote-Groups' })
    assert.deepEqual(app.policy, {})
    assert.deepEqual(app.rules, [])
    assert.deepEqual(app.skipPaths, [])
  })

  const refused: [string, unknown, RegExp][] = [
    ['no hosts', { id: 'a', hosts: [] }, /hosts/],
    ['a host with a path', { id: 'a', hosts: ['a.example.com/x'] }, /hosts\[0\]/],
    ['a wildcard in the middle', { id: 'a', hosts: ['a.*.example.com'] }, /hosts\[0\]/],
    ['an unanchored skip path', { id: 'a', hosts: ['a.example.com'], skipPaths: ['health'] }, /anchored/],
    ['an invalid skip path', { id: 'a', hosts: ['a.example.com'], skipPaths: ['^/(health'] }, /valid regular expression/],
    ['an overlong skip path', { id: 'a', hosts: ['a.example.com'], skipPaths: ['^' + 'a'.repeat(300)] }, /limited to 200/],
    ['an invalid groups filter', { id: 'a', hosts: ['a.example.com'], headers: { groupsFilter: '[' } }, /groupsFilter/],
    ['a reserved header', { id: 'a', hosts: ['a.example.com'], headers: { user: 'Set-Cookie' } }, /reserved/],
    ['two headers with one name', { id: 'a', hosts: ['a.example.com'], headers: { name: 'remote-user' } }, /must differ/],
    ['a bad CIDR', { id: 'a', hosts: ['a.example.com'], policy: { sourceCidrs: ['10.0.0.0/33'] } }, /sourceCidrs\[0\]/],
    ['an unknown time zone', { id: 'a', hosts: ['a.example.com'], policy: { timeWindows: [{ from: '09:00', to: '17:00', timeZone: 'Mars/Base' }] } }, /IANA/],
    ['a bad time', { id: 'a', hosts: ['a.example.com'], policy: { timeWindows: [{ from: '9:00', to: '17:00', timeZone: 'UTC' }] } }, /HH:MM/],
    ['an empty groups policy', { id: 'a', hosts: ['a.example.com'], policy: { groups: {} } }, /anyOf or allOf/],
    ['a lower-case method', { id: 'a', hosts: ['a.example.com'], policy: { methods: ['get'] } }, /upper-case/],
    ['a rule path with dot segments', { id: 'a', hosts: ['a.example.com'], rules: [{ pathPrefix: '/a/../admin', policy: {} }] }, /normalised/],
    ['a relative rule path', { id: 'a', hosts: ['a.example.com'], rules: [{ pathPrefix: 'admin', policy: {} }] }, /normalised/],
    ['a relation object without type', { id: 'a', hosts: ['a.example.com'], policy: { relation: { store: 's', object: 'grafana', relation: 'can_access' } } }, /type:id/],
    ['an unknown key', { id: 'a', hosts: ['a.example.com'], polcy: {} }, /polcy/],
  ]
  for (const [name, input, message] of refused) {
    it(`refuses ${name}`, () => assert.match(problem(input), message))
  }
})

describe('compileApplications', () => {
  const registry = compileApplications([
    { id: 'wild', hosts: ['*.example.com'] },
    { id: 'grafana', hosts: ['grafana.example.com'], skipPaths: ['^/(health|metrics|static)'] },
  ])

  it('prefers an exact host over a wildcard', () => {
    assert.equal(registry.find('grafana.example.com')?.id, 'grafana')
    assert.equal(registry.find('wiki.example.com')?.id, 'wild')
    assert.equal(registry.find('example.com'), undefined)
    assert.equal(registry.isApplicationHost('a.b.example.com'), false)
  })

  it('compiles skip paths once, anchored as written', () => {
    const [re] = registry.find('grafana.example.com')!.skipPaths
    assert.equal(re.test('/health'), true)
    assert.equal(re.test('/static/app.js'), true)
    assert.equal(re.test('/admin/health'), false)
  })

  it('refuses a host claimed twice and an id used twice', () => {
    assert.throws(() => compileApplications([{ id: 'a', hosts: ['x.example.com'] }, { id: 'b', hosts: ['X.example.com'] }]),
      (err: AppError) => err.code === 'forwardauth_invalid_application' && /both a and b/.test(err.message))
    assert.throws(() => compileApplications([{ id: 'a', hosts: ['x.example.com'] }, { id: 'a', hosts: ['y.example.com'] }]), /used twice/)
  })

  it('names the application in the error', () => {
    assert.throws(() => compileApplications([{ id: 'ok', hosts: ['x.example.com'] }, { id: 'Bad!', hosts: ['y.example.com'] }]),
      /applications\[1\]: id/)
  })

  it('orders rules most specific first, method-restricted before open at one prefix', () => {
    const [app] = compileApplications([{
      id: 'a', hosts: ['a.example.com'],
      rules: [
        { pathPrefix: '/api', policy: {} },
        { pathPrefix: '/api/admin/', policy: {} },
        { pathPrefix: '/api', methods: ['DELETE'], policy: {} },
      ],
    }]).applications
    assert.deepEqual(app.rules.map((r) => [r.pathPrefix, r.methods && [...r.methods]]), [
      ['/api/admin/', null], ['/api', ['DELETE']], ['/api', null],
    ])
  })
})
