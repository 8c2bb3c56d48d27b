// Owns the running oidc-provider instance and replaces it when the stored signing keys change.
// oidc-provider turns `jwks` into a keystore once, in its constructor, and keeps it private, so a
// rotation made elsewhere (the CLI, another replica) only takes effect in a new instance. Every
// artefact (sessions, codes, tokens, grants) lives in the store and cookie keys derive from the
// secret key, so a new instance carries on where the old one stopped; a request that already
// started finishes on the instance it began on.

import type { IncomingMessage, ServerResponse } from 'node:http'
import type Provider from 'oidc-provider'
import type { JWK } from 'jose'
import { systemClock, type Clock } from '../lib/index.ts'
import type { SigningKeys } from './keys.ts'

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void

export interface ProviderHolderOptions {
  keys: Pick<SigningKeys, 'list' | 'jwks'>
  /** Builds a provider with these private JWKs (the same options every time otherwise). */
  build: (jwks: { keys: JWK[] }) => Provider
  /** A new instance took over; `kids` are the keys it publishes. */
  onRebuilt?: (info: { kids: string[] }) => void
  /** A periodic refresh failed; the current instance stays in service. */
  onRefreshError?: (err: unknown) => void
  clock?: Clock
}

export interface ProviderHolder {
  /** The instance new work should use. */
  current(): Provider
  /** A Node handler that hands each request to the instance current when it arrives. */
  readonly handler: NodeHandler
  /** Re-reads the keys and rebuilds when they changed; resolves true when it rebuilt. */
  refresh(): Promise<boolean>
  /** Refreshes every `intervalMs` until `stop()`; the timer does not keep the process alive. */
  startRefreshing(intervalMs: number): void
  /** Stops refreshing and waits for a refresh in progress, so the store can close after it. */
  stop(): Promise<void>
}

type KeyMeta = Awaited<ReturnType<SigningKeys['list']>>[number]

/** What decides the published key set: each key's kid and status, and whether a retired key has expired. */
function fingerprint(keys: KeyMeta[], now: number): string {
  return keys
    .map((k) => `${k.kid}:${k.status}${k.status === 'retired' && k.expiresAt !== null && k.expiresAt.getTime() <= now ? ':expired' : ''}`)
    .sort()
    .join(',')
}

export async function createProviderHolder(options: ProviderHolderOptions): Promise<ProviderHolder> {
  const clock = options.clock ?? systemClock

  async function load(): Promise<{ provider: Provider; callback: NodeHandler; fingerprint: string; kids: string[] }> {
    // Fingerprint first: a change that lands between the two reads is seen again on the next refresh.
    const seen = fingerprint(await options.keys.list(), clock.now().getTime())
    const jwks = await options.keys.jwks()
    const provider = options.build(jwks)
    return { provider, callback: provider.callback() as NodeHandler, fingerprint: seen, kids: jwks.keys.map((k) => String(k.kid)) }
  }

  let active = await load()
  let running: Promise<boolean> | undefined
  let timer: NodeJS.Timeout | undefined

  async function refreshNow(): Promise<boolean> {
    if (fingerprint(await options.keys.list(), clock.now().getTime()) === active.fingerprint) return false
    const next = await load()
    active = next
    options.onRebuilt?.({ kids: next.kids })
    return true
  }

  const holder: ProviderHolder = {
    current: () => active.provider,
    handler: (req, res) => active.callback(req, res),
    refresh() {
      // One refresh at a time: a slow store must not pile up rebuilds.
      running ??= refreshNow().finally(() => { running = undefined })
      return running
    },
    startRefreshing(intervalMs) {
      if (timer !== undefined) return
      timer = setInterval(() => {
        holder.refresh().catch((err: unknown) => options.onRefreshError?.(err))
      }, intervalMs)
      timer.unref()
    },
    async stop() {
      clearInterval(timer)
      timer = undefined
      await running?.catch(() => undefined)
    },
  }
  return holder
}
