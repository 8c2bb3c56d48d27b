// The admin console: a static single-page application under /admin, built ahead of time into
// web/dist (see docs/console.md). It talks to the HTTP API only, with the signed-in
// administrator's access token; this route serves its files, its settings and nothing else.

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { extname, join } from 'node:path'
import type { FastifyInstance, FastifyReply } from 'fastify'

export interface ConsoleMount {
  /** Directory of the built console (index.html, assets/). */
  root: string
  /** What the console needs to sign in, served as JSON: issuer, client id, audience, version. */
  settings: () => Record<string, unknown>
}

export const CONSOLE_BASE = '/admin'
export const CONSOLE_CONFIG_PATH = `${CONSOLE_BASE}/config.json`

/**
 * Scripts and styles from this origin only (no inline code), API calls to this origin only,
 * never framed. The console is the one page here that runs script, so it states all of it.
 */
export const CONSOLE_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ')

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
}

function secured(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    // The callback URL carries an authorization code: no other site may see it.
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
}

/** The built files, read once: a handful of small files, answered from memory. */
function loadAssets(root: string): Map<string, Buffer> {
  const assets = new Map<string, Buffer>()
  const dir = join(root, 'assets')
  if (!existsSync(dir)) return assets
  for (const name of readdirSync(dir)) if (TYPES[extname(name)] !== undefined) assets.set(name, readFileSync(join(dir, name)))
  return assets
}

export function consoleRoutes(app: FastifyInstance, mount: ConsoleMount): void {
  const indexPath = join(mount.root, 'index.html')
  const index = existsSync(indexPath) ? readFileSync(indexPath) : undefined
  const assets = loadAssets(mount.root)
  const config = { public: true }

  // Every page of the application is the same document; the script routes on the path.
  const page = async (_request: unknown, reply: FastifyReply) => {
    secured(reply).header('cache-control', 'no-store')
    if (index === undefined) {
      return reply.code(503).type('text/plain; charset=utf-8')
        .send('The admin console is not built in this installation (web/dist is missing): run `npm run build:web`.')
    }
    return reply.type('text/html; charset=utf-8').send(index)
  }

  app.get(CONSOLE_BASE, { config }, async (_request, reply) => secured(reply).redirect(`${CONSOLE_BASE}/`, 302))
  app.get(CONSOLE_CONFIG_PATH, { config }, async (_request, reply) =>
    secured(reply).header('cache-control', 'no-store').send(mount.settings()))
  app.get<{ Params: { name: string } }>(`${CONSOLE_BASE}/assets/:name`, { config }, async (request, reply) => {
    const body = assets.get(request.params.name)
    secured(reply)
    if (body === undefined) return reply.code(404).type('text/plain; charset=utf-8').send('not found')
    // Names carry a content hash: a new build is a new name.
    return reply.header('cache-control', 'public, max-age=31536000, immutable').type(TYPES[extname(request.params.name)]!).send(body)
  })
  app.get(`${CONSOLE_BASE}/`, { config }, page)
  app.get(`${CONSOLE_BASE}/*`, { config }, page)
}
