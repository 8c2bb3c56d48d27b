// Client authentication for the answers given outside oidc-provider's pipeline (fast
// introspection, fast client_credentials tokens): only what the provider's client_auth.js would
// accept without any work of its own left to do. client_secret_basic with a well-formed header,
// a client the provider finds whose registered method takes a secret, whose secret has no expiry
// set, and whose secret the provider already verified once (secret-cache.ts). A new or wrong
// secret always goes through the provider's scrypt check and its error answers.

import type Provider from 'oidc-provider'
import type { ClientRecordStamp } from './client-cache.ts'

// oidc-provider's checks of a Basic header (lib/shared/client_auth.js): base64 alphabet with
// correct padding, percent-decoding with `+` as a space, visible ASCII only.
const BASE64 = /^([A-Za-z0-9+/]*)(={0,2})$/
const NOT_VSCHAR = /[^\x20-\x7E]/
const SECRET_METHODS: ReadonlySet<unknown> = new Set(['client_secret_basic', 'client_secret_post'])

function validBase64(input: string): boolean {
  const match = BASE64.exec(input)
  if (!match?.[1]) return false
  const remainder = match[1].length % 4
  if (!match[2]) return remainder !== 1
  return (match[1].length + match[2].length) % 4 === 0 && match[2].length === 4 - remainder
}

function decodePart(part: string): string | undefined {
  // Nothing to decode: the common case, spared the replace and decodeURIComponent.
  if (!part.includes('%') && !part.includes('+')) return NOT_VSCHAR.test(part) ? undefined : part
  try {
    const decoded = decodeURIComponent(part.replace(/\+/g, '%20'))
    return NOT_VSCHAR.test(decoded) ? undefined : decoded
  } catch {
    return undefined
  }
}

/** Client id and secret of a Basic header, or undefined where the provider would refuse it. */
export function basicCredentials(authorization: string): { id: string; secret: string } | undefined {
  const parts = authorization.split(' ')
  if (parts.length !== 2 || parts[0].toLowerCase() !== 'basic' || !validBase64(parts[1])) return undefined
  const basic = Buffer.from(parts[1], 'base64').toString('utf8')
  const i = basic.indexOf(':')
  if (i === -1) return undefined
  const id = decodePart(basic.slice(0, i))
  const secret = decodePart(basic.slice(i + 1))
  if (!id || !secret) return undefined
  return { id, secret }
}

/** The provider's Client as these answers read it. */
export interface ProviderClient {
  clientId: string
  clientAuthMethod: unknown
  clientSecret?: unknown
  clientSecretExpiresAt?: unknown
  [metadata: string]: unknown
}

/** Whether this secret was verified against this stored hash before (no scrypt). */
export type SecretKnown = (secret: string, stored: string) => boolean

/** Most clients whose provider Client is remembered against their cached record. */
const CLIENTS_KEPT = 1000

export type KnownClientAuth = ReturnType<typeof createKnownClientAuth>

/**
 * The authenticated client of a Basic header, or undefined when the provider must authenticate it.
 *
 * `stamp` (the client cache's, client-cache.ts) spares the provider's Client.find while the
 * cached record it was built from is still the one served: find would copy and parse that
 * record, hash it and return the Client it built from it before. Any change of the record (a
 * write, a re-read after the cache's TTL) is a new stamp, and find runs again.
 */
export function createKnownClientAuth(provider: Provider, secretKnown: SecretKnown, stamp?: ClientRecordStamp) {
  const find = (id: string) => provider.Client.find(id) as unknown as Promise<ProviderClient | undefined>
  const clients = new Map<string, { stamp: object; client: ProviderClient }>()
  async function findClient(id: string): Promise<ProviderClient | undefined> {
    const before = stamp?.(id)
    if (before === undefined) return find(id)
    const known = clients.get(id)
    if (known?.stamp === before) return known.client
    const client = await find(id)
    // Only when the record did not change while find read it: the client is then built from it.
    if (client !== undefined && stamp!(id) === before) {
      clients.delete(id)
      clients.set(id, { stamp: before, client })
      if (clients.size > CLIENTS_KEPT) clients.delete(clients.keys().next().value as string)
    }
    return client
  }
  return {
    findClient,
    async authenticate(authorization: string): Promise<ProviderClient | undefined> {
      const credentials = basicCredentials(authorization)
      if (credentials === undefined) return undefined
      const client = await findClient(credentials.id)
      if (client === undefined || !SECRET_METHODS.has(client.clientAuthMethod) || client.clientSecretExpiresAt) return undefined
      if (typeof client.clientSecret !== 'string' || !secretKnown(credentials.secret, client.clientSecret)) return undefined
      return client
    },
  }
}
