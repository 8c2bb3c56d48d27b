import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isAppError } from '../lib/index.ts'
import { ProvisioningCodes } from './errors.ts'
import {
  compileObjectTemplate, compileTemplate, GROUP_SYNC_VARIABLES, PROJECT_VARIABLES, TEMPLATE_LIMITS, USER_VARIABLES,
  type TemplateVars,
} from './template.ts'
import { incusProjectName } from './incus/names.ts'

const alice: TemplateVars = {
  user: {
    subject: 'ext:abc',
    issuer: 'https://idp.example',
    username: 'alice',
    email: 'Alice.Smith@Example.COM',
    name: 'Alice Smith',
    groups: ['Ops Team', 'dev'],
    organizations: [{ id: 'o1', name: 'Acme' }, { id: 'o2', name: 'Beta Corp' }],
  },
  event: { type: 'user.signed_in' },
}
const bob: TemplateVars = { user: { subject: 'local:bob', issuer: 'local' } }

const render = (source: string, vars: TemplateVars = alice, allowed = USER_VARIABLES) =>
  compileTemplate(source, 'rules[0].name', allowed).render(vars)

/** Asserts a compile-time configuration error whose message matches `pattern`. */
function configError(source: string, pattern: RegExp, allowed = USER_VARIABLES) {
  assert.throws(() => compileTemplate(source, 'rules[0].name', allowed), (err: unknown) => {
    assert.ok(isAppError(err))
    assert.equal(err.code, ProvisioningCodes.invalidConfig)
    assert.match(err.message, /^rules\[0\]\.name: /)
    assert.match(err.message, pattern)
    return true
  })
}

function renderError(source: string, vars: TemplateVars, pattern: RegExp) {
  const t = compileTemplate(source, 'rules[1].project', USER_VARIABLES)
  assert.throws(() => t.render(vars), (err: unknown) => {
    assert.ok(isAppError(err))
    assert.equal(err.code, ProvisioningCodes.templateFailed)
    assert.match(err.message, /^rules\[1\]\.project: /)
    assert.match(err.message, pattern)
    assert.doesNotMatch(err.message, /undefined/)
    return true
  })
}

describe('template rendering', () => {
  it('substitutes variables into literal text', () => {
    assert.equal(render('u-{{ user.username }}'), 'u-alice')
    assert.equal(render('{{user.username}}/{{ event.type }}'), 'alice/user.signed_in')
    assert.equal(render('no substitutions'), 'no substitutions')
    assert.equal(render(''), '')
  })

  it('applies filters left to right', () => {
    assert.equal(render('{{ user.email | lower }}'), 'alice.smith@example.com')
    assert.equal(render('{{ user.email | upper }}'), 'ALICE.SMITH@EXAMPLE.COM')
    assert.equal(render('{{ user.email | localpart }}'), 'Alice.Smith')
    assert.equal(render('{{ user.email | domain | lower }}'), 'example.com')
    assert.equal(render('{{ user.email | localpart | slug }}'), 'alice-smith')
    assert.equal(render('{{ user.name | truncate(5) }}'), 'Alice')
    assert.equal(render('{{user.email|localpart|slug|truncate( 3 )}}'), 'ali')
  })

  it('slugs to [a-z0-9-], dropping accents and trimming dashes', () => {
    const slug = (name: string) => render('{{ user.name | slug }}', { user: { subject: 's', issuer: 'i', name } })
    assert.equal(slug('José  Müller'), 'jose-muller')
    assert.equal(slug('--Ops & Dev--'), 'ops-dev')
    assert.equal(slug('a--b'), 'a--b')
    assert.equal(slug('Ünïcödé_ΩMEGA 42'), 'unicode-mega-42')
  })

  it('takes localpart of a name without @ as the whole name; its domain is empty', () => {
    const vars = { user: { subject: 's', issuer: 'i', username: 'plain' } }
    assert.equal(render('{{ user.username | localpart }}', vars), 'plain')
    renderError('{{ user.username | domain }}', vars, /renders empty/)
    assert.equal(render('{{ user.username | domain | default("none") }}', vars), 'none')
  })

  it('maps to the Incus project name an incusProject action uses (incus_project)', () => {
    const name = (username: string) => render('{{ user.username | incus_project }}', { user: { subject: 's', issuer: 'i', username } })
    assert.equal(name('alice'), 'alice')
    assert.equal(name('ann.3f9a0c1b2d'), 'ann.3f9a0c1b2d')
    assert.equal(name('jane_doe'), incusProjectName('jane_doe'))
    assert.match(name('jane_doe'), /^jane-doe--[0-9a-f]{16}$/)
    assert.equal(render('project:{{ user.groups | incus_project | join(",") }}', { user: { subject: 's', issuer: 'i', groups: ['a_b', 'c'] } }), `project:${incusProjectName('a_b')},c`)
  })

  it('joins lists, applying text filters to each item', () => {
    assert.equal(render('{{ user.groups | join(",") }}'), 'Ops Team,dev')
    assert.equal(render('{{ user.groups | slug | join(" ") }}'), 'ops-team dev')
    assert.equal(render('{{ user.organizations.id | join(",") }}'), 'o1,o2')
    assert.equal(render("{{ user.organizations.name | upper | join('; ') }}"), 'ACME; BETA CORP')
  })

  it('fails instead of rendering a missing value, unless a default is given', () => {
    renderError('home-{{ user.email }}', bob, /no value for user\.email in "\{\{ user\.email \}\}"; add \| default/)
    renderError('{{ user.email | lower }}', bob, /no value for user\.email/)
    renderError('{{ user.groups | join(",") }}', bob, /renders empty/)
    renderError('{{ user.email }}', {}, /no value for user\.email/)
    assert.equal(render('{{ user.email | default("nobody@example.com") | domain }}', bob), 'example.com')
    assert.equal(render('{{ user.groups | join(",") | default("") }}', bob), '')
    assert.equal(render('[{{ user.name | default("") }}]', { user: { subject: 's', issuer: 'i', name: '' } }), '[]')
  })

  it('treats values of the wrong type as missing', () => {
    const odd = { user: { subject: 's', issuer: 'i', email: 42, groups: 'not-a-list' } } as unknown as TemplateVars
    renderError('{{ user.email }}', odd, /no value for user\.email/)
    assert.equal(render('{{ user.groups | join(",") | default("-") }}', odd), '-')
  })

  it('group and project variables only where the rule kind has them', () => {
    assert.equal(render('{{ group | slug }}', { group: 'Ops Team' }, GROUP_SYNC_VARIABLES), 'ops-team')
    const project = { project: { id: 'p1', name: 'Web', organization: 'o1' } }
    assert.equal(render('{{ project.organization }}-{{ project.name | lower }}', project, PROJECT_VARIABLES), 'o1-web')
    configError('{{ group }}', /unknown variable "group" .*available here: user\.subject/)
    configError('{{ project.id }}', /unknown variable "project\.id"/, GROUP_SYNC_VARIABLES)
    configError('{{ incus.project }}', /unknown variable "incus\.project"/, PROJECT_VARIABLES)
  })

  it('lists the variables a template reads, once each', () => {
    const t = compileTemplate('{{ user.email }} {{ user.name }} {{ user.email | lower }}', 'w', USER_VARIABLES)
    assert.deepEqual(t.variables, ['user.email', 'user.name'])
  })
})

describe('template escaping', () => {
  it('writes literal braces as \\{{ and \\}}', () => {
    assert.equal(render('\\{{ user.email }}'), '{{ user.email }}')
    assert.equal(render('\\{{ {{ user.username }} \\}}'), '{{ alice }}')
    assert.equal(render('a \\ b {x} } { }}'), 'a \\ b {x} } { }}')
  })

  it('reads quotes and } inside filter arguments as text', () => {
    assert.equal(render('{{ user.groups | join("}}") }}'), 'Ops Team}}dev')
    assert.equal(render('{{ user.groups | join("\\"") }}'), 'Ops Team"dev')
    assert.equal(render("{{ user.email | default('it\\'s') }}", bob), "it's")
  })
})

describe('template compile errors', () => {
  it('names the column and what was expected for unbalanced braces', () => {
    configError('x-{{ user.email', /expected '}}' to close the '\{\{' at column 3, found the end of the template at column 16/)
    configError('{{ user.email }', /expected '\|' or '}}', found "}" at column 15/)
    configError('{{ }}', /expected a variable name, found "}}" at column 4/)
    configError('{{', /expected a variable name, found the end of the template at column 3/)
    configError('{{ {{ user.email }} }}', /expected a variable name, found "\{\{" at column 4/)
    configError('{{ user. }}', /expected a name after 'user\.', found "}}"/)
    configError('line one\n  {{ user.email', /at line 2, column 16/)
  })

  it('rejects unknown variables and filters, listing what exists', () => {
    configError('{{ user.phone }}', /unknown variable "user\.phone" at column 4 \(available here: user\.subject, user\.issuer/)
    configError('{{ user.email | reverse }}', /expected a known filter, found "reverse" at column 17 \(filters: lower, upper, localpart, domain, slug, incus_project, truncate, default, join\)/)
    configError('{{ user.email | }}', /expected a filter name, found "}}"/)
    configError('{{ user.email | lower() }}', /filter 'lower' takes no argument/)
    configError('{{ user.email | default }}', /expected '\(' after 'default'/)
    configError('{{ user.email | default(x) }}', /expected a quoted text, found "x\)"/)
    configError('{{ user.email | default("x) }}', /unterminated text: expected a closing "/)
    configError('{{ user.email | default("x" }}', /expected '\)' to close 'default\('/)
    configError('{{ user.name | truncate(0) }}', /filter 'truncate': the length must be at least 1/)
    configError('{{ user.name | truncate("3") }}', /expected a whole number/)
  })

  it('requires lists to be joined and joins only lists', () => {
    configError('{{ user.groups }}', /user\.groups is a list: end with \| join\(", "\)/)
    configError('{{ user.groups | lower }}', /user\.groups is a list/)
    configError('{{ user.groups | default("x") }}', /filter 'default' does not apply to a list \(user\.groups is one\): join it first/)
    configError('{{ user.email | join(",") }}', /filter 'join' applies to lists only/)
    configError('{{ user.organizations }}', /unknown variable "user\.organizations"; it is a list of \{id, name\}: use user\.organizations\.id/)
  })
})

describe('hostile templates', () => {
  it('reaches nothing outside the catalogue', () => {
    for (const name of ['constructor', '__proto__.x', 'user.toString', 'user.__proto__', 'user.constructor.name',
      'toString', 'hasOwnProperty', 'user.email.length', 'process.env', 'globalThis', 'this', 'prototype']) {
      configError(`{{ ${name} }}`, /unknown variable/)
    }
    for (const filter of ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty']) {
      configError(`{{ user.email | ${filter} }}`, /expected a known filter/)
    }
  })

  it('rejects anything but a dotted name: no calls, indexing or expressions', () => {
    configError('{{ user["email"] }}', /unknown variable "user" at column 4/)
    configError('{{ user.email() }}', /expected '\|' or '}}', found "\(\)"/)
    configError('{{ 1 + 1 }}', /expected a variable name/)
    configError('{{ `x` }}', /expected a variable name/)
    configError("{{ 'lit' }}", /expected a variable name/)
    configError('{{ user.email || lower }}', /expected a filter name, found "\|/)
  })

  it('ignores a caller that allows names outside the catalogue', () => {
    configError('{{ constructor }}', /unknown variable "constructor"/, new Set(['constructor', 'user.email']))
  })

  it('takes prototype-named data as data', () => {
    const vars = JSON.parse('{"user":{"subject":"s","issuer":"i","__proto__":{"email":"evil@x"}}}') as TemplateVars
    renderError('{{ user.email }}', vars, /no value for user\.email/)
  })

  it('bounds sizes: source, substitutions and output', () => {
    assert.throws(() => compileTemplate('x'.repeat(TEMPLATE_LIMITS.sourceChars + 1), 'w', USER_VARIABLES), /w: template longer than 4096/)
    assert.throws(() => compileTemplate('{{ user.email }}'.repeat(TEMPLATE_LIMITS.expressions + 1), 'w', USER_VARIABLES),
      /more than 64 substitutions at column 1025/)
    const many = { user: { subject: 's', issuer: 'i', groups: Array.from({ length: 20_000 }, (_, i) => `group-${i}`) } }
    renderError('{{ user.groups | join(",") }}', many, /renders more than 65536 characters/)
    const long = 'a'.repeat(2_000)
    configError(`{{ ${long} }}`, /unknown variable "a{40}…"/)
    assert.throws(() => compileTemplate(`{{ user.email | ${'\u0000'.repeat(3)} }}`, 'w', USER_VARIABLES), /found "\?\?"/)
  })

  it('refuses a non-text source', () => {
    assert.throws(() => compileTemplate(42 as unknown as string, 'w', USER_VARIABLES), /w: expected a text template/)
  })
})

describe('object templates', () => {
  const allowed = USER_VARIABLES

  it('renders every value, taking YAML numbers and booleans as text', () => {
    const t = compileObjectTemplate({ 'user.name': '{{ user.username }}', 'limits.cpu': 4, 'features.images': false }, 'incus.config', allowed)
    assert.deepEqual(t.render(alice), { 'user.name': 'alice', 'limits.cpu': '4', 'features.images': 'false' })
    assert.deepEqual(t.variables, ['user.username'])
  })

  it('reports errors at where.key', () => {
    assert.throws(() => compileObjectTemplate({ ok: 'x', 'limits.memory': '{{ user.quota }}' }, 'incus.config', allowed),
      /^AppError: incus\.config\.limits\.memory: unknown variable "user\.quota"/)
    assert.throws(() => compileObjectTemplate({ 'odd key': '{{' }, 'incus.config', allowed), /incus\.config\["odd key"\]: expected/)
    assert.throws(() => compileObjectTemplate({ a: null } as never, 'c', allowed), /c\.a: expected a text template, found null/)
    assert.throws(() => compileObjectTemplate({ a: { b: 1 } } as never, 'c', allowed), /c\.a: expected a text template, found object/)
    assert.throws(() => compileObjectTemplate([] as never, 'c', allowed), /c: expected an object of text templates/)
    const t = compileObjectTemplate({ mail: '{{ user.email }}' }, 'incus.config', allowed)
    assert.throws(() => t.render(bob), (err: unknown) => isAppError(err) && err.code === ProvisioningCodes.templateFailed &&
      err.message.startsWith('incus.config.mail: no value for user.email'))
  })

  it('keeps a __proto__ key as plain data', () => {
    const source = JSON.parse('{"__proto__":"{{ user.username }}"}') as Record<string, string>
    const out = compileObjectTemplate(source, 'c', allowed).render(alice)
    assert.equal(Object.getPrototypeOf(out), Object.prototype)
    assert.ok(Object.hasOwn(out, '__proto__'))
    assert.equal(({} as Record<string, unknown>).username, undefined)
  })
})
