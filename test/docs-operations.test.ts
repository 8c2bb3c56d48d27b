// The operations recipes in docs/operations/: the systemd unit is checked by `systemd-analyze
// verify` where the machine has it (and always by a small parser: sections, known keys, the
// values that matter), the Dockerfile statically (stages on Debian Node 24 images, every copied
// path present, a non-root user, the health check), and built only where a Docker engine answers.
// docs/operations.md may name only metrics the code registers and commands the CLI knows.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, it } from 'node:test'
import { HELP } from '../src/cli/help.ts'

const root = resolve(import.meta.dirname, '..')
const ops = join(root, 'docs', 'operations')
const unitText = readFileSync(join(ops, 'gatehouse.service'), 'utf8')
const dockerfile = readFileSync(join(ops, 'Dockerfile'), 'utf8')

const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0

type Unit = Map<string, [string, string][]>

function parseUnit(text: string): Unit {
  const sections: Unit = new Map()
  let current: [string, string][] | undefined
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return
    const section = /^\[([A-Za-z]+)\]$/.exec(line)
    if (section) {
      assert.ok(!sections.has(section[1]!), `section [${section[1]}] twice`)
      sections.set(section[1]!, (current = []))
      return
    }
    const eq = line.indexOf('=')
    assert.ok(current && eq > 0, `line ${i + 1} is neither a section nor Key=value: ${raw}`)
    current.push([line.slice(0, eq), line.slice(eq + 1)])
  })
  return sections
}

/** The directives the unit may use; a typo shows up here where systemd-analyze is missing. */
const KNOWN: Record<string, string[]> = {
  Unit: ['Description', 'Documentation', 'After', 'Wants', 'Requires'],
  Service: [
    'Type', 'User', 'Group', 'WorkingDirectory', 'Environment', 'EnvironmentFile', 'ExecStartPre', 'ExecStart', 'KillSignal',
    'TimeoutStopSec', 'Restart', 'RestartSec', 'LimitNOFILE', 'StateDirectory', 'StateDirectoryMode', 'ConfigurationDirectory',
    'UMask', 'NoNewPrivileges', 'ProtectSystem', 'ProtectHome', 'PrivateTmp', 'PrivateDevices', 'ProtectKernelTunables',
    'ProtectKernelModules', 'ProtectKernelLogs', 'ProtectControlGroups', 'ProtectClock', 'ProtectHostname', 'RestrictAddressFamilies',
    'RestrictNamespaces', 'RestrictRealtime', 'RestrictSUIDSGID', 'LockPersonality', 'SystemCallArchitectures', 'CapabilityBoundingSet',
    'AmbientCapabilities',
  ],
  Install: ['WantedBy'],
}

describe('docs/operations/gatehouse.service', () => {
  const unit = parseUnit(unitText)
  const values = (section: string, key: string) => (unit.get(section) ?? []).filter(([k]) => k === key).map(([, v]) => v)
  const one = (section: string, key: string) => values(section, key).at(-1)

  it('has the sections and only known directives', () => {
    assert.deepEqual([...unit.keys()], ['Unit', 'Service', 'Install'])
    for (const [section, entries] of unit) {
      for (const [key] of entries) assert.ok(KNOWN[section]!.includes(key), `unknown or unexpected ${section}.${key}`)
    }
  })

  it('runs the launcher as an unprivileged user, migrates first, stops gracefully and keeps V8 working', () => {
    assert.equal(one('Service', 'ExecStart'), '/opt/gatehouse/bin/gatehouse.mjs serve')
    assert.equal(one('Service', 'ExecStartPre'), '/opt/gatehouse/bin/gatehouse.mjs migrate')
    assert.equal(one('Service', 'User'), 'gatehouse')
    assert.equal(one('Service', 'KillSignal'), 'SIGTERM')
    // Longer than the default shutdownTimeoutMs (10 s), so draining is not cut short by SIGKILL.
    assert.ok(Number.parseInt(one('Service', 'TimeoutStopSec')!, 10) > 10)
    assert.ok(values('Service', 'Environment').includes('GATEHOUSE_DATA_DIR=/var/lib/gatehouse'))
    assert.equal(one('Service', 'StateDirectory'), 'gatehouse')
    assert.equal(one('Service', 'MemoryDenyWriteExecute'), undefined)
    assert.equal(one('Install', 'WantedBy'), 'multi-user.target')
    assert.ok(statSync(join(root, 'bin', 'gatehouse.mjs')).mode & 0o111, 'the launcher must be executable')
  })

  it('passes systemd-analyze verify', (t) => {
    if (!has('systemd-analyze')) return t.skip('systemd-analyze is not installed here; the unit was checked by the parser above only')
    // The checkout stands in for /opt/gatehouse, so verify finds the executables it names.
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-unit-'))
    try {
      const path = join(dir, 'gatehouse.service')
      writeFileSync(path, unitText.replaceAll('/opt/gatehouse', root))
      const res = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' })
      assert.equal(res.status, 0, res.stderr)
      // Unknown keys and bad values are warnings ("…, ignoring") with exit status 0.
      const warnings = res.stderr.split('\n').filter((l) => l.includes(path))
      assert.deepEqual(warnings, [])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

interface Instruction { op: string; args: string }

function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ')
  return joined.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map((l) => {
    const space = l.indexOf(' ')
    return { op: l.slice(0, space).toUpperCase(), args: l.slice(space + 1).trim() }
  })
}

describe('docs/operations/Dockerfile', () => {
  const all = instructions(dockerfile)
  const stages: Instruction[][] = []
  for (const ins of all) {
    if (ins.op === 'FROM') stages.push([])
    stages.at(-1)!.push(ins)
  }
  const final = stages.at(-1)!

  it('uses known instructions, on Debian images with Node 24', () => {
    const ops = ['FROM', 'WORKDIR', 'COPY', 'RUN', 'ENV', 'USER', 'VOLUME', 'EXPOSE', 'HEALTHCHECK', 'STOPSIGNAL', 'ENTRYPOINT', 'CMD']
    for (const ins of all) assert.ok(ops.includes(ins.op), `unexpected instruction ${ins.op}`)
    assert.equal(stages.length, 2)
    for (const stage of stages) assert.match(stage[0]!.args, /^node:24-(bookworm|trixie)(-slim)?( AS \w+)?$/)
  })

  it('copies only what exists in the repository or in the build stage', () => {
    const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts as Record<string, string>
    assert.ok(scripts.build, 'npm run build must exist')
    for (const ins of all.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))) {
      const sources = ins.args.split(/\s+/).slice(0, -1)
      for (const s of sources) assert.ok(existsSync(join(root, s)), `COPY ${s}: not in the repository`)
    }
    const built = ['/src/package.json', '/src/node_modules', '/src/dist']
    for (const ins of final.filter((i) => i.op === 'COPY' && i.args.startsWith('--from=build'))) {
      assert.ok(built.includes(ins.args.split(/\s+/)[1]!), `COPY ${ins.args}: the build stage makes no such path`)
    }
    // What the launcher needs to find dist/main.js next to it.
    assert.ok(final.some((i) => i.op === 'COPY' && i.args === 'bin/gatehouse.mjs ./bin/gatehouse.mjs'))
    assert.ok(readdirSync(join(root, 'src')).includes('main.ts'), 'dist/main.js is built from src/main.ts')
  })

  it('runs unprivileged, exposes the port it sets, checks /healthz and starts the launcher in exec form', () => {
    const user = final.filter((i) => i.op === 'USER').at(-1)?.args
    assert.ok(user !== undefined && user !== 'root' && user !== '0', 'the final stage must switch to an unprivileged user')
    const env = final.filter((i) => i.op === 'ENV').map((i) => i.args).join(' ')
    const port = /GATEHOUSE_PORT=(\d+)/.exec(env)?.[1]
    assert.ok(port, 'GATEHOUSE_PORT is set')
    assert.ok(final.some((i) => i.op === 'EXPOSE' && i.args === port))
    assert.match(final.find((i) => i.op === 'HEALTHCHECK')!.args, /\/healthz/)
    assert.deepEqual(JSON.parse(final.find((i) => i.op === 'ENTRYPOINT')!.args), ['node', '/opt/gatehouse/bin/gatehouse.mjs'])
    assert.deepEqual(JSON.parse(final.find((i) => i.op === 'CMD')!.args), ['serve'])
    assert.ok(env.includes('GATEHOUSE_DATA_DIR=/var/lib/gatehouse'))
    assert.ok(final.some((i) => i.op === 'VOLUME' && i.args.includes('/var/lib/gatehouse')))
  })

  it('builds', (t) => {
    if (!has('docker') || spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) return t.skip('no Docker engine answers here; the Dockerfile was checked statically only')
    const res = spawnSync('docker', ['build', '-q', '-f', join(ops, 'Dockerfile'), '-t', 'gatehouse-docs-test', root], { encoding: 'utf8', timeout: 900_000 })
    assert.equal(res.status, 0, res.stderr)
  })
})

describe('docs/operations.md', () => {
  const page = readFileSync(join(root, 'docs', 'operations.md'), 'utf8')
  const sources = readdirSync(join(root, 'src'), { recursive: true }).filter((f) => String(f).endsWith('.ts') && !String(f).endsWith('.test.ts'))
    .map((f) => readFileSync(join(root, 'src', String(f)), 'utf8')).join('\n')

  it('names only metrics the code registers', () => {
    const named = new Set([...page.matchAll(/\b(gatehouse_[a-z_]+?)(?:_bucket|_sum|_count)?\b/g)].map((m) => m[1]!))
    assert.ok(named.size >= 5)
    for (const name of named) assert.ok(sources.includes(`'${name}'`), `${name} is not registered anywhere in src/`)
  })

  it('names only commands the CLI knows', () => {
    const commands = new Set([...page.matchAll(/`gatehouse ([a-z]+(?: [a-z-]+)?)/g)].map((m) => m[1]!))
    assert.ok(commands.size >= 5)
    const listed = (pattern: string) => new RegExp(`^  ${pattern}`, 'm').test(HELP)
    for (const c of commands) {
      const [first, second] = c.split(' ')
      // `gatehouse keys rotate` must be listed as such; `gatehouse backup nightly.db` as `backup FILE`.
      const known = second === undefined ? listed(`${first}\\b`) : listed(`${first} ${second}\\b`) || listed(`${first} [A-Z]`)
      assert.ok(known, `gatehouse ${c} is not in the help`)
    }
  })
})
