// Real reverse proxies for forward-auth tests: the distribution's Caddy and nginx, each loading
// the configuration documented in docs/forward-auth/ with only its addresses filled in, so the
// tests prove the files operators copy. Every byte the proxies write stays in a temp directory.
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { freePort } from './process.ts'

export const CADDY_PATH = '/usr/bin/caddy'
export const NGINX_PATH = '/usr/sbin/nginx'
export const DOCS_DIR = resolve(import.meta.dirname, '../../docs/forward-auth')

/**
 * Undefined when the program at `path` can be run; else why the suite is skipped. Under CI=true
 * a missing program throws instead: a green CI run must mean the proxies were really tested.
 */
export function toolSkipReason(what: string, path: string, install: string): string | undefined {
  try {
    accessSync(path, constants.X_OK)
    return undefined
  } catch {
    const reason = `${what} is not installed at ${path} (${install})`
    if (process.env.CI === 'true') throw new Error(`${reason} — it is required when CI=true`)
    return reason
  }
}

export const caddySkipReason = (): string | undefined => toolSkipReason('Caddy', CADDY_PATH, 'apt-get install caddy')
export const nginxSkipReason = (): string | undefined => toolSkipReason('nginx', NGINX_PATH, 'apt-get install nginx')

export interface RunningProxy {
  /** Port on 127.0.0.1 the proxy serves the protected application on. */
  port: number
  /** stdout + stderr so far (and nginx's error log), for failure messages. */
  output(): string
  /** Stops the proxy and removes its temp directory. Safe to call twice. */
  stop(): Promise<void>
}

const READY_TIMEOUT_MS = 20_000
const STOP_TIMEOUT_MS = 10_000

function canConnect(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.setTimeout(1_000)
    socket.once('connect', () => { socket.destroy(); done(true) })
    socket.once('timeout', () => { socket.destroy(); done(false) })
    socket.once('error', () => { socket.destroy(); done(false) })
  })
}

interface Launch {
  name: string
  command: string
  args: string[]
  env: Record<string, string>
  port: number
  dir: string
  /** Extra diagnostics read on failure (a log file the program writes). */
  extraOutput?: () => string
}

async function launch(o: Launch): Promise<RunningProxy> {
  const child: ChildProcess = spawn(o.command, o.args, { cwd: o.dir, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', (d) => { out += String(d) })
  child.stderr?.on('data', (d) => { out += String(d) })
  let spawnError: Error | undefined
  child.once('error', (err) => { spawnError = err })
  const exited = new Promise<void>((done) => child.once('close', () => done()))
  const output = () => out + (o.extraOutput?.() ?? '')
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    if (child.exitCode === null && child.signalCode === null && spawnError === undefined) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
      await exited
      clearTimeout(timer)
    }
    rmSync(o.dir, { recursive: true, force: true })
  }

  const deadline = Date.now() + READY_TIMEOUT_MS
  for (;;) {
    if (spawnError !== undefined || child.exitCode !== null || child.signalCode !== null) {
      await stop()
      throw new Error(`${o.name} did not start (${spawnError?.message ?? `exit ${child.exitCode ?? child.signalCode}`}):\n${output()}`)
    }
    if (await canConnect(o.port)) break
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`${o.name} is not listening on 127.0.0.1:${o.port} after ${READY_TIMEOUT_MS} ms:\n${output()}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return { port: o.port, output, stop }
}

export interface CaddyOptions {
  /** Protected host name, e.g. app.gh.localhost. */
  appHost: string
  /** Gatehouse as Caddy dials it: host:port. */
  gatehouse: string
  /** The application as Caddy dials it: host:port. */
  app: string
}

/** Runs docs/forward-auth/Caddyfile, its `{$…}` placeholders given through the environment. */
export async function startCaddy(o: CaddyOptions): Promise<RunningProxy> {
  const port = await freePort()
  return startCaddyFile('Caddyfile', port, {
    APP_SITE: `http://${o.appHost}:${port}`,
    BIND_ADDRESS: '127.0.0.1',
    GATEHOUSE: o.gatehouse,
    APP_UPSTREAM: o.app,
  })
}

/**
 * Runs the Caddyfile `file` of docs/forward-auth/ with `placeholders` in its environment; ready
 * once 127.0.0.1:`port` accepts connections. Its certificates and autosaved config stay in a
 * temp directory, and its admin endpoint is off (several runs on one machine would share it).
 */
export async function startCaddyFile(file: string, port: number, placeholders: Record<string, string>): Promise<RunningProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-caddy-'))
  return launch({
    name: 'Caddy',
    command: CADDY_PATH,
    args: ['run', '--config', join(DOCS_DIR, file), '--adapter', 'caddyfile'],
    env: { XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data'), HOME: dir, CADDY_ADMIN: 'off', ...placeholders },
    port,
    dir,
  })
}

/**
 * Fills `${NAME}` placeholders (upper-case names only: nginx's own `$variables` and
 * `${variables}` are lower-case and stay). A placeholder without a value is an error, so a
 * renamed one cannot silently reach nginx.
 */
export function fillTemplate(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (_m, name: string) => {
    const value = vars[name]
    if (value === undefined) throw new Error(`no value for the placeholder \${${name}}`)
    return value
  })
}

export interface NginxOptions {
  /** Protected host name (server_name). */
  appHost: string
  /** Gatehouse's base URL as nginx reaches it: http://host:port (no trailing slash). */
  gatehouse: string
  /** The application as nginx dials it: host:port. */
  app: string
}

/**
 * Runs docs/forward-auth/nginx.conf (a server block, as operators drop it into conf.d) inside a
 * minimal main configuration whose pid file, logs and temp paths all live in a temp directory.
 */
export async function startNginx(o: NginxOptions): Promise<RunningProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-nginx-'))
  const port = await freePort()
  const site = fillTemplate(readFileSync(join(DOCS_DIR, 'nginx.conf'), 'utf8'), {
    LISTEN: `127.0.0.1:${port}`, APP_HOST: o.appHost, APP_ORIGIN: `http://${o.appHost}:${port}`, GATEHOUSE: o.gatehouse, APP_UPSTREAM: o.app,
  })
  writeFileSync(join(dir, 'gatehouse-site.conf'), site)
  const temp = (name: string) => {
    mkdirSync(join(dir, name))
    return join(dir, name)
  }
  const errorLog = join(dir, 'error.log')
  const main = [
    // Workers otherwise drop to `nobody`, who cannot use the root-owned temp directory.
    ...(process.getuid?.() === 0 ? ['user root;'] : []),
    'worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${errorLog} info;`,
    'events { worker_connections 256; }',
    'http {',
    `  access_log ${join(dir, 'access.log')};`,
    `  client_body_temp_path ${temp('client_body')};`,
    `  proxy_temp_path ${temp('proxy')};`,
    `  fastcgi_temp_path ${temp('fastcgi')};`,
    `  uwsgi_temp_path ${temp('uwsgi')};`,
    `  scgi_temp_path ${temp('scgi')};`,
    `  include ${join(dir, 'gatehouse-site.conf')};`,
    '}',
    '',
  ].join('\n')
  const conf = join(dir, 'nginx.conf')
  writeFileSync(conf, main)
  const readLog = () => {
    try {
      return `\n--- nginx error.log ---\n${readFileSync(errorLog, 'utf8')}`
    } catch {
      return ''
    }
  }
  // -e: the log nginx writes before it has read the configuration (else /var/log/nginx).
  return launch({ name: 'nginx', command: NGINX_PATH, args: ['-p', dir, '-c', conf, '-e', errorLog, '-g', 'daemon off;'], env: {}, port, dir, extraOutput: readLog })
}
