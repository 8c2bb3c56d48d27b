import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import {
  assertSafeToListen,
  configurationMarkdown,
  CONFIG_KEY_NAMES,
  ConfigError,
  describeDatabase,
  envVarFor,
  formatConfig,
  loadConfig,
  parseDatabaseUrl,
} from './index.ts'

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-config-'))
after(() => rmSync(dir, { recursive: true, force: true }))

function yamlFile(name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`)
    return err
  }
  assert.fail('expected a ConfigError')
}

describe('config loading', () => {
  it('has working defaults: loopback, port 8080, SQLite under the data dir', () => {
    const { config, sources } = loadConfig({ env: {} })
    assert.equal(config.host, '127.0.0.1')
    assert.equal(config.port, 8080)
    assert.equal(config.databaseUrl, 'sqlite:./data/gatehouse.db')
    assert.deepEqual(config.presharedKeys, [])
    assert.equal(config.maxTuplesPerWrite, 100)
    assert.equal(config.listObjectsDeadlineMs, 3000)
    assert.equal(sources.port, 'default')
  })

  it('binds to all interfaces by default once a preshared key is configured', () => {
    const { config } = loadConfig({ env: { GATEHOUSE_PRESHARED_KEYS: 'k1, k2 ,' } })
    assert.deepEqual(config.presharedKeys, ['k1', 'k2'])
    assert.equal(config.host, '0.0.0.0')
  })

  it('names where a problem is: the field inside a value, and the config file line', () => {
    assert.throws(() => loadConfig({ env: { GATEHOUSE_UPSTREAMS: JSON.stringify([{ id: 'corp', kind: 'oidc', issuer: 'https://idp.example.com', clientId: 'x' }]) } }),
      /upstreams \(GATEHOUSE_UPSTREAMS\): \[0\]\.clientSecret: is required \(from GATEHOUSE_UPSTREAMS\)/)
    const file = join(mkdtempSync(join(tmpdir(), 'gh-config-')), 'gatehouse.yaml')
    writeFileSync(file, 'host: 127.0.0.1\n\nlogLevel: loud\n')
    assert.throws(() => loadConfig({ env: {}, configFile: file }), (err: Error) => err.message.includes(`from config file ${file}:3`))
  })

  it('refuses GATEHOUSE_* variables that are not settings, naming the closest setting', () => {
    assert.throws(() => loadConfig({ env: { GATEHOUSE_PROT: '9000', GATEHOUSE_PRESHARED_KEY: 'k' } }), (err: Error) => {
      assert.match(err.message, /GATEHOUSE_PROT is not a setting; did you mean GATEHOUSE_PORT\?/)
      assert.match(err.message, /GATEHOUSE_PRESHARED_KEY is not a setting; did you mean GATEHOUSE_PRESHARED_KEYS\?/)
      return true
    })
    assert.throws(() => loadConfig({ env: { GATEHOUSE_ENTIRELY_DIFFERENT_THING: 'x' } }), (err: Error) => !/did you mean/.test(err.message) && /not a setting/.test(err.message))
    // Read by the command line and the test suites, not settings.
    assert.equal(loadConfig({ env: { GATEHOUSE_NEW_PASSWORD: 'x', GATEHOUSE_TEST_PG_URL: 'x', GATEHOUSE_CONFORMANCE_DIR: 'x' } }).config.port, 8080)
  })

  it('derives the default database from the data dir', () => {
    const { config } = loadConfig({ env: { GATEHOUSE_DATA_DIR: '/var/lib/gatehouse/' } })
    assert.equal(config.databaseUrl, 'sqlite:/var/lib/gatehouse/gatehouse.db')
  })

  it('applies defaults < YAML file < environment < options', () => {
    const file = yamlFile('precedence.yaml', 'port: 9000\nlogLevel: debug\nlistObjectsMaxResults: 10\nmaxTuplesPerWrite: 7\n')
    const { config, sources, configFile } = loadConfig({
      configFile: file,
      env: { GATEHOUSE_PORT: '9001', GATEHOUSE_LIST_OBJECTS_MAX_RESULTS: '20' },
      overrides: { listObjectsMaxResults: 30 },
    })
    assert.equal(configFile, file)
    assert.equal(config.logLevel, 'debug')
    assert.equal(sources.logLevel, 'file')
    assert.equal(config.maxTuplesPerWrite, 7)
    assert.equal(config.port, 9001)
    assert.equal(sources.port, 'environment')
    assert.equal(config.listObjectsMaxResults, 30)
    assert.equal(sources.listObjectsMaxResults, 'option')
    assert.equal(config.maxChecksPerBatchCheck, 50)
  })

  it('finds the file through GATEHOUSE_CONFIG, and --config wins over it', () => {
    const a = yamlFile('a.yaml', 'port: 1111\n')
    const b = yamlFile('b.yaml', 'port: 2222\n')
    assert.equal(loadConfig({ env: { GATEHOUSE_CONFIG: a } }).config.port, 1111)
    assert.equal(loadConfig({ env: { GATEHOUSE_CONFIG: a }, configFile: b }).config.port, 2222)
  })

  it('accepts YAML lists and quoted numbers, and comma-separated lists in the file', () => {
    const file = yamlFile('lists.yaml', 'presharedKeys:\n  - one\n  - two\nport: "8181"\nallowUnauthenticated: "yes"\n')
    const { config } = loadConfig({ configFile: file, env: {} })
    assert.deepEqual(config.presharedKeys, ['one', 'two'])
    assert.equal(config.port, 8181)
    assert.equal(config.allowUnauthenticated, true)
    assert.deepEqual(loadConfig({ configFile: yamlFile('csv.yaml', 'presharedKeys: "a,b"\n'), env: {} }).config.presharedKeys, ['a', 'b'])
  })

  it('checks the branding keys: a colour as #rgb or #rrggbb, a logo as an https URL or an image file path', () => {
    const ok = loadConfig({ env: {
      GATEHOUSE_BRAND_NAME: 'Northwind', GATEHOUSE_BRAND_ACCENT_COLOR: '#6d28d9', GATEHOUSE_BRAND_LOGO: 'https://cdn.example/logo.svg',
      GATEHOUSE_BRAND_ORGANIZATIONS: JSON.stringify({ acme: { logo: '/etc/gatehouse/acme.png', accentColor: '#0f7' } }),
    } }).config
    assert.equal(ok.brandAccentColor, '#6d28d9')
    assert.deepEqual(ok.brandOrganizations, { acme: { logo: '/etc/gatehouse/acme.png', accentColor: '#0f7' } })
    assert.throws(() => loadConfig({ env: { GATEHOUSE_BRAND_ACCENT_COLOR: 'purple' } }), /brandAccentColor.*#rgb or #rrggbb/)
    assert.throws(() => loadConfig({ env: { GATEHOUSE_BRAND_LOGO: 'http://cdn.example/logo.svg' } }), /brandLogo.*https/)
    assert.throws(() => loadConfig({ env: { GATEHOUSE_BRAND_LOGO: 'javascript:alert(1)' } }), /brandLogo.*https/)
    assert.throws(() => loadConfig({ env: { GATEHOUSE_BRAND_LOGO: '/etc/gatehouse/logo.exe' } }), /brandLogo.*\.svg/)
    assert.throws(() => loadConfig({ env: { GATEHOUSE_BRAND_ORGANIZATIONS: JSON.stringify({ acme: { accentColor: 'blue' } }) } }), /brandOrganizations.*acme/)
  })

  it('treats an empty environment variable as unset', () => {
    assert.equal(loadConfig({ env: { GATEHOUSE_PORT: '', GATEHOUSE_HOST: '  ' } }).config.port, 8080)
  })

  it('names the key and its env var for a bad value, and reports every problem at once', () => {
    const err = configError(() => loadConfig({ env: { GATEHOUSE_PORT: 'eighty', GATEHOUSE_MAX_TUPLES_PER_WRITE: '0', GATEHOUSE_LOG_LEVEL: 'loud' } }))
    assert.equal(err.problems.length, 3)
    assert.match(err.message, /port \(GATEHOUSE_PORT\): must be a whole number/)
    assert.match(err.message, /maxTuplesPerWrite \(GATEHOUSE_MAX_TUPLES_PER_WRITE\): must be at least 1/)
    assert.match(err.message, /logLevel \(GATEHOUSE_LOG_LEVEL\): must be one of/)
  })

  it('rejects out-of-range ports and bad booleans', () => {
    assert.match(configError(() => loadConfig({ env: { GATEHOUSE_PORT: '70000' } })).message, /GATEHOUSE_PORT.*between 0 and 65535/)
    assert.match(configError(() => loadConfig({ env: { GATEHOUSE_ALLOW_UNAUTHENTICATED: 'maybe' } })).message, /GATEHOUSE_ALLOW_UNAUTHENTICATED.*true or false/)
  })

  it('rejects unsupported database URLs without echoing the secret value', () => {
    const err = configError(() => loadConfig({ env: { GATEHOUSE_DATABASE_URL: 'mysql://root:hunter2@db/x' } }))
    assert.match(err.message, /databaseUrl \(GATEHOUSE_DATABASE_URL\): must start with postgres:\/\/, postgresql:\/\/ or sqlite:/)
    assert.doesNotMatch(err.message, /hunter2/)
    assert.match(configError(() => loadConfig({ env: { GATEHOUSE_DATABASE_URL: 'sqlite://relative' } })).message, /sqlite:\/\/\/abs\/path/)
  })

  it('rejects unknown keys, bad YAML and a missing file, naming the file', () => {
    const typo = yamlFile('typo.yaml', 'prot: 80\n')
    assert.match(configError(() => loadConfig({ configFile: typo, env: {} })).message, /unknown key "prot" in config file .*typo\.yaml/)
    const bad = yamlFile('bad.yaml', 'port: [1, 2\n')
    assert.match(configError(() => loadConfig({ configFile: bad, env: {} })).message, /not valid YAML/)
    assert.match(configError(() => loadConfig({ configFile: join(dir, 'missing.yaml'), env: {} })).message, /cannot read config file .*missing\.yaml.*file not found/)
    const wrongType = yamlFile('type.yaml', 'port: true\n')
    assert.match(configError(() => loadConfig({ configFile: wrongType, env: {} })).message, /port \(GATEHOUSE_PORT\)/)
  })
})

describe('env var names', () => {
  it('are GATEHOUSE_ plus the key in SCREAMING_SNAKE case, one per key', () => {
    assert.equal(envVarFor('listObjectsDeadlineMs'), 'GATEHOUSE_LIST_OBJECTS_DEADLINE_MS')
    assert.equal(envVarFor('dataDir'), 'GATEHOUSE_DATA_DIR')
    assert.equal(new Set(CONFIG_KEY_NAMES.map(envVarFor)).size, CONFIG_KEY_NAMES.length)
  })
})

describe('listening safety', () => {
  const base = loadConfig({ env: {} }).config
  it('refuses a non-loopback address without a preshared key and says how to opt in', () => {
    const err = configError(() => assertSafeToListen({ ...base, host: '0.0.0.0' }))
    assert.match(err.message, /refusing to listen on 0\.0\.0\.0/)
    assert.match(err.message, /GATEHOUSE_ALLOW_UNAUTHENTICATED=true/)
  })
  it('allows loopback, a configured key, or the explicit opt-in', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.0.0.5']) assertSafeToListen({ ...base, host })
    assertSafeToListen({ ...base, host: '0.0.0.0', presharedKeys: ['k'] })
    assertSafeToListen({ ...base, host: '0.0.0.0', allowUnauthenticated: true })
  })
})

describe('database URLs', () => {
  it('understands every documented SQLite form and PostgreSQL', () => {
    assert.deepEqual(parseDatabaseUrl('sqlite::memory:'), { kind: 'sqlite', path: ':memory:' })
    assert.deepEqual(parseDatabaseUrl('sqlite:///var/db/g.db'), { kind: 'sqlite', path: '/var/db/g.db' })
    assert.deepEqual(parseDatabaseUrl('sqlite:data/g.db', '/srv'), { kind: 'sqlite', path: '/srv/data/g.db' })
    assert.deepEqual(parseDatabaseUrl('postgresql://u:p@h/db'), { kind: 'postgres', connectionString: 'postgresql://u:p@h/db' })
  })
  it('describes PostgreSQL without the password', () => {
    const text = describeDatabase(parseDatabaseUrl('postgres://gate:s3cret@db.internal:5433/authz'))
    assert.equal(text, 'PostgreSQL gate@db.internal:5433/authz')
  })
})

describe('config print', () => {
  it('redacts preshared keys and the database password', () => {
    const loaded = loadConfig({ env: { GATEHOUSE_PRESHARED_KEYS: 'topsecret1,topsecret2', GATEHOUSE_DATABASE_URL: 'postgres://u:pw-xyz@h:5432/d' } })
    const text = formatConfig(loaded)
    assert.doesNotMatch(text, /topsecret|pw-xyz/)
    assert.match(text, /presharedKeys: \["\[redacted\]","\[redacted\]"\]/)
    assert.match(text, /databaseUrl: "postgres:\/\/u:redacted@h:5432\/d"/)
    assert.match(text, /# GATEHOUSE_PRESHARED_KEYS, environment/)
  })
})

describe('docs/configuration.md', () => {
  it('matches the schema (regenerate with `npm run docs:config`)', () => {
    const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8')
    assert.equal(committed, configurationMarkdown(), 'docs/configuration.md is stale: run `npm run docs:config`')
  })
  it('lists every key with its env var', () => {
    const text = configurationMarkdown()
    for (const name of CONFIG_KEY_NAMES) assert.ok(text.includes(`| \`${name}\` | \`${envVarFor(name)}\` |`), name)
  })
})

describe('identity configuration', () => {
  it('derives the issuer from the port and accepts https or loopback http origins', () => {
    assert.equal(loadConfig({ env: { GATEHOUSE_PORT: '9123' } }).config.issuer, 'http://127.0.0.1:9123')
    assert.equal(loadConfig({ env: { GATEHOUSE_ISSUER: 'https://id.example.com' } }).config.issuer, 'https://id.example.com')
    assert.equal(loadConfig({ env: { GATEHOUSE_ISSUER: 'http://localhost:8080' } }).config.issuer, 'http://localhost:8080')
  })

  it('refuses issuers that are relative, plain http on a public host, or carry a query, fragment or path', () => {
    for (const bad of ['id.example.com', 'http://id.example.com', 'https://id.example.com/?a=1', 'https://id.example.com#x', 'https://id.example.com/oidc', 'https://id.example.com/']) {
      const err = configError(() => loadConfig({ env: { GATEHOUSE_ISSUER: bad } }))
      assert.match(err.message, /issuer \(GATEHOUSE_ISSUER\)/, bad)
    }
  })

  it('requires a secret key of at least 32 characters and redacts it when printed', () => {
    const err = configError(() => loadConfig({ env: { GATEHOUSE_SECRET_KEY: 'short' } }))
    assert.match(err.message, /secretKey \(GATEHOUSE_SECRET_KEY\): must be at least 32/)
    assert.doesNotMatch(err.message, /short/)
    const loaded = loadConfig({ env: { GATEHOUSE_SECRET_KEY: 'x'.repeat(40), GATEHOUSE_BOOTSTRAP_PASSWORD: 'correct horse battery' } })
    const printed = formatConfig(loaded)
    assert.doesNotMatch(printed, /xxxxxxxx|correct horse/)
  })
})

describe('forward-auth cookie domain', () => {
  const load = (domain: string) => loadConfig({ env: { GATEHOUSE_FORWARD_AUTH_COOKIE_DOMAIN: domain } })

  it('accepts registrable domains and names under them, also under unlisted suffixes such as localhost', () => {
    for (const ok of ['example.com', 'id.example.co.uk', 'gatehouse.localhost', 'gh.localhost', 'corp.internal', 'me.github.io', 'Example.COM']) {
      assert.equal(load(ok).config.forwardAuthCookieDomain, ok.toLowerCase(), ok)
    }
  })

  it('refuses a single label, saying why (the cookie is dropped, sign-in loops) and what to use', () => {
    for (const bad of ['localtest', 'localhost', 'internal']) {
      const err = configError(() => load(bad))
      assert.match(err.message, /forwardAuthCookieDomain \(GATEHOUSE_FORWARD_AUTH_COOKIE_DOMAIN\)/, bad)
      assert.match(err.message, /single label/, bad)
      assert.match(err.message, /loop/, bad)
      assert.match(err.message, /gatehouse\.localhost/, bad)
    }
  })

  it('refuses public suffixes of the Public Suffix List, ICANN and private sections alike', () => {
    for (const bad of ['co.uk', 'com', 'github.io', 'com.au', 'home.arpa']) {
      const err = configError(() => load(bad))
      assert.match(err.message, /is a public suffix \(Public Suffix List\)/, bad)
      assert.match(err.message, new RegExp(`example\\.${bad.replace('.', '\\.')}`), bad)
    }
  })

  it('refuses an IP address and suggests leaving it unset', () => {
    const err = configError(() => load('127.0.0.1'))
    assert.match(err.message, /IP address/)
    assert.match(err.message, /Leave it unset/)
  })

  it('leaves the default (unset: the issuer\'s host alone) alone', () => {
    assert.equal(loadConfig({ env: {} }).config.forwardAuthCookieDomain, '')
  })
})
