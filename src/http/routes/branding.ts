// The brand's logo files, read at start (app/branding.ts) and served from memory. An SVG is
// served under a policy of its own that runs no script, should anyone open it directly.

import type { FastifyInstance } from 'fastify'

export interface BrandingMount {
  /** URL path → file. */
  logos: ReadonlyMap<string, { body: Buffer; contentType: string }>
}

export function brandingRoutes(app: FastifyInstance, mount: BrandingMount): void {
  for (const [path, logo] of mount.logos) {
    app.get(path, { config: { public: true } }, async (_request, reply) => reply.headers({
      'content-type': logo.contentType,
      'cache-control': 'public, max-age=3600',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
      'x-content-type-options': 'nosniff',
    }).send(logo.body))
  }
}
