// A real incusd per test file: its own INCUS_DIR and HTTPS port, so files may run side by side.
// No storage pool and no network (a bridge needs a free subnet these machines do not have):
// projects need neither. Absent incusd: skip with the reason locally, fail under CI=true.
//
// incusd runs as root without systemd, AppArmor or lxcfs (it warns and carries on) and is ready
// in about half a second. It mounts two small tmpfs under INCUS_DIR and removes them when it gets
// SIGTERM, so it is always stopped that way. A wrapper shell stops it too when this process dies
// without cleaning up (its stdin, a pipe from here, reaches EOF).

import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './process.ts'

const run = promisify(execFile)

export const INCUSD = process.env.GATEHOUSE_TEST_INCUSD || '/usr/libexec/incus/incusd'

export interface PemPair { cert: string; key: string }

export interface TestIncus {
  /** INCUS_DIR of this daemon. */
  dir: string
  /** `https://127.0.0.1:<port>` */
  url: string
  /** The daemon's self-signed certificate (PEM) and its SHA-256 fingerprint (lower-case hex). */
  serverCert: string
  serverFingerprint: string
  /** A client certificate the daemon trusts. */
  client: PemPair
  /** Milliseconds from spawning incusd to ready. */
  startupMs: number
  /** Runs the incus CLI against this daemon (over its unix socket); resolves to stdout. */
  incus(...args: string[]): Promise<string>
  /** The trusted client certificate as PKCS#12 bytes. */
  pfx(passphrase: string): Promise<Buffer>
  /** A new self-signed client certificate (trusted only when `trust` is true). */
  newClient(trust: boolean): Promise<PemPair>
  /** Stops the daemon (the directory stays). Safe to call twice. */
  stop(): Promise<void>
  /** Starts the daemon again on the same directory (and address), stopping it first if needed. */
  restart(): Promise<void>
  /** Stops the daemon and removes its directory. */
  destroy(): Promise<void>
}

let reasonPromise: Promise<string | undefined> | undefined

/** Why incusd cannot run here, or undefined. */
export function incusUnavailableReason(): Promise<string | undefined> {
  reasonPromise ??= (async () => {
    if (!existsSync(INCUSD)) return `incusd is not installed (${INCUSD}); run .ci/install-incus`
    if (process.getuid?.() !== 0) return 'incusd must run as root'
    for (const tool of ['incus', 'openssl']) {
      try {
        await run(tool, ['version'], { timeout: 10_000 })
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return `${tool} is not on PATH`
      }
    }
    return undefined
  })()
  return reasonPromise
}

/** For `describe(name, { skip }, ...)`: the skip reason, or undefined; throws under CI=true. */
export async function incusSkipReason(): Promise<string | undefined> {
  const reason = await incusUnavailableReason()
  if (reason !== undefined && process.env.CI === 'true') throw new Error(`${reason} — incusd is required when CI=true`)
  return reason
}

export async function startIncus(): Promise<TestIncus> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-incus-'))
  const env = { ...process.env, INCUS_DIR: dir, INCUS_CONF: join(dir, 'client-config') }
  // stdin is closed (not a pipe left open): `create` commands read YAML from a non-terminal stdin.
  const incus = (...args: string[]) => runWithInput('incus', args, '', env)
  const group = hasGroup('incus-admin') ? ['--group', 'incus-admin'] : []
  const logfile = join(dir, 'incusd.log')
  const started = Date.now()
  let output = ''
  const spawnDaemon = () => {
    const child = spawn('bash', ['-c', WRAPPER, 'incus-wrapper', INCUSD, ...group, '--logfile', logfile], {
      env, stdio: ['pipe', 'pipe', 'pipe'],
    })
    child.stdout!.on('data', (d) => { output += String(d) })
    child.stderr!.on('data', (d) => { output += String(d) })
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    const stopDaemon = async () => {
      if (child.exitCode === null && child.signalCode === null) child.stdin!.end()
      await exited
    }
    return { exited, stop: stopDaemon }
  }
  let daemon = spawnDaemon()
  const stop = () => daemon.stop()
  const ready = () => Promise.race([
    run('incus', ['admin', 'waitready', '--timeout', '30'], { env, timeout: 35_000 }),
    daemon.exited.then(() => { throw new Error('incusd exited during start') }),
  ])
  try {
    await ready()
    const startupMs = Date.now() - started
    const port = await freePort()
    await runWithInput('incus', ['admin', 'init', '--preseed'], `config:\n  core.https_address: 127.0.0.1:${port}\n`, env)
    const serverCert = readFileSync(join(dir, 'server.crt'), 'utf8')
    const newClient = async (trust: boolean): Promise<PemPair> => {
      const name = `client-${Math.random().toString(36).slice(2, 10)}`
      const certFile = join(dir, `${name}.crt`)
      const keyFile = join(dir, `${name}.key`)
      await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=gatehouse-test-${name}`], { timeout: 30_000 })
      if (trust) await incus('config', 'trust', 'add-certificate', certFile, '--name', name)
      return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') }
    }
    const client = await newClient(true)
    return {
      dir,
      url: `https://127.0.0.1:${port}`,
      serverCert,
      serverFingerprint: new X509Certificate(serverCert).fingerprint256.replace(/:/g, '').toLowerCase(),
      client,
      startupMs,
      incus,
      newClient,
      async pfx(passphrase: string) {
        writeFileSync(join(dir, 'pfx.crt'), client.cert)
        writeFileSync(join(dir, 'pfx.key'), client.key, { mode: 0o600 })
        const out = join(dir, 'client.p12')
        await run('openssl', ['pkcs12', '-export', '-in', join(dir, 'pfx.crt'), '-inkey', join(dir, 'pfx.key'),
          '-out', out, '-passout', `pass:${passphrase}`], { timeout: 30_000 })
        return readFileSync(out)
      },
      stop,
      async restart() {
        await daemon.stop()
        daemon = spawnDaemon()
        await ready()
      },
      async destroy() {
        await stop()
        unmountUnder(dir)
        rmSync(dir, { recursive: true, force: true })
      },
    }
  } catch (err) {
    await stop()
    unmountUnder(dir)
    const log = existsSync(logfile) ? readFileSync(logfile, 'utf8') : ''
    throw new Error(`incusd did not start in ${dir}: ${(err as Error).message}\n${output}\n${log}`.trim(), { cause: err })
  }
}

// Starts incusd, then waits for EOF on stdin (a stop request, or this process gone) and sends it
// SIGTERM; exits with incusd's status either way. The explicit `<&0` matters: without job control
// bash gives background commands /dev/null as stdin.
const WRAPPER = `
"$@" </dev/null &
pid=$!
( cat >/dev/null; kill -TERM "$pid" 2>/dev/null ) <&0 &
wait "$pid"
`

function hasGroup(name: string): boolean {
  try {
    return readFileSync('/etc/group', 'utf8').split('\n').some((line) => line.startsWith(`${name}:`))
  } catch {
    return false
  }
}

/** Runs `cmd` with `input` as its whole stdin; resolves to stdout. */
function runWithInput(cmd: string, args: string[], input: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const p: ChildProcess = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000 })
    let out = ''
    let err = ''
    p.stdout!.on('data', (d) => { out += String(d) })
    p.stderr!.on('data', (d) => { err += String(d) })
    p.once('error', reject)
    p.once('close', (code) => code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${err}`)))
    p.stdin!.end(input)
  })
}

/** A daemon killed hard leaves its tmpfs mounts behind; remove them before the directory. */
function unmountUnder(dir: string): void {
  let mounts: string[] = []
  try {
    mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m?.startsWith(dir + '/'))
  } catch {
    return
  }
  for (const m of mounts.reverse()) {
    // Best effort: the directory removal that follows reports what is left.
    spawnSync('umount', ['-l', m], { stdio: 'ignore', timeout: 10_000 })
  }
}
