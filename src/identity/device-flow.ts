// The device authorization grant (RFC 8628) for clients without a browser (Incus's CLI): the
// provider's feature with Gatehouse's own pages (with every page's headers, pages.ts),
// and throttling of user-code entry per client address. User codes stay oidc-provider's: 8
// characters of a 20-letter alphabet (20^8 ≈ 2.6e10), entered as XXXX-XXXX.

import type { Client, Configuration, KoaContextWithOIDC } from 'oidc-provider'
import type { LocalAccountsRepo } from '../store/index.ts'
import { peerAddress, type ClientAddress } from './client-address.ts'
import { confirmDevicePage, deviceSuccessPage, tooManyCodesPage, userCodePage, type UserCodeProblem } from './login/device-pages.ts'

/** Paths of the device endpoints relative to the issuer. */
export const DEVICE_ROUTES = {
  device_authorization: '/device/auth',
  code_verification: '/device',
} as const

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

/**
 * Seconds a client waits between token polls, sent as `interval`. RFC 8628 lets a server leave it
 * out (meaning 5), but clients built on zitadel/oidc (Incus's CLI) read a missing value as 0 and
 * use it as the timeout of each poll, which then fails at once.
 */
export const DEVICE_POLL_INTERVAL_SECONDS = 5

/** Code entries (wrong or right) one address may make per window; a sign-in takes two. */
export const USER_CODE_MAX_ATTEMPTS = 20
export const USER_CODE_WINDOW_SECONDS = 300

/** Counts one code entry from an address in a window shared by every replica; returns the count so far. */
export type AttemptCounter = (address: string, windowSeconds: number) => Promise<number>

/**
 * The counter over the local-account attempt windows (atomic, shared by replicas, pruned by the
 * maintenance run). The key starts with a control character, which no username may contain,
 * so no account's login throttling can collide with it.
 */
export function userCodeAttemptCounter(repo: Pick<LocalAccountsRepo, 'recordFailedAttempt'>, now: () => Date = () => new Date()): AttemptCounter {
  return (address, windowSeconds) => repo.recordFailedAttempt(`\u001fdevice-code\u001f${address}`, now(), windowSeconds)
}

type Middleware = (ctx: KoaContextWithOIDC, next: () => Promise<unknown>) => Promise<void>

const RE_RENDERED = new Set<string>(['NoCodeError', 'NotFoundError', 'ExpiredError', 'AlreadyUsedError', 'AbortedError'])

const clientName = (client: Client | undefined): string => client?.clientName || client?.clientId || 'An application'

function send(ctx: KoaContextWithOIDC, html: string): void {
  ctx.type = 'html'
  ctx.body = html
}

/** oidc-provider's form carries the xsrf token of this session; our own form posts it back. */
const xsrfOf = (form: string): string => /name="xsrf" value="([^"]*)"/.exec(form)?.[1] ?? ''

export function deviceFlowFeature(): NonNullable<Configuration['features']>['deviceFlow'] {
  return {
    enabled: true,
    charset: 'base-20',
    mask: '****-****',
    userCodeInputSource(ctx, form, _out, err) {
      const name = err === undefined ? undefined : (err as Error).name
      const problem: UserCodeProblem | undefined = name === undefined ? undefined : RE_RENDERED.has(name) ? name as UserCodeProblem : 'other'
      if (problem !== undefined && problem !== 'AbortedError' && ctx.status < 400) ctx.status = 400
      const code = (err as { userCode?: unknown } | undefined)?.userCode
      send(ctx, userCodePage({ action: ctx.oidc.urlFor('code_verification'), xsrf: xsrfOf(form), code: typeof code === 'string' ? code : undefined, problem }))
    },
    userCodeConfirmSource(ctx, form, client, _deviceInfo, userCode) {
      send(ctx, confirmDevicePage({ form, client: clientName(client), userCode, logoUrl: client?.logoUri }))
    },
    successSource(ctx) {
      send(ctx, deviceSuccessPage(clientName(ctx.oidc.client)))
    },
  }
}

/** Adds `interval` to device authorization responses (oidc-provider sends none). */
export function devicePollInterval(): Middleware {
  return async (ctx, next) => {
    await next()
    if (ctx.method !== 'POST' || ctx.path !== DEVICE_ROUTES.device_authorization || ctx.status !== 200) return
    const body = ctx.body as Record<string, unknown> | undefined
    if (body !== null && typeof body === 'object' && typeof body.device_code === 'string' && body.interval === undefined) {
      ctx.body = { ...body, interval: DEVICE_POLL_INTERVAL_SECONDS }
    }
  }
}

/**
 * Refuses code entries beyond the limit before the provider looks the code up, so a throttled
 * guesser learns nothing, not even from a right guess. Every POST to /device counts (the body is
 * the provider's to read): a sign-in posts twice, the code and the confirmation. A right code
 * does not reset the count: anyone can make right codes by starting device flows.
 */
export function userCodeThrottle(count: AttemptCounter, options: { maxAttempts?: number; windowSeconds?: number; clientAddress?: ClientAddress } = {}): Middleware {
  const clientAddress = options.clientAddress ?? peerAddress
  const max = options.maxAttempts ?? USER_CODE_MAX_ATTEMPTS
  const window = options.windowSeconds ?? USER_CODE_WINDOW_SECONDS
  return async (ctx, next) => {
    if (ctx.method === 'POST' && ctx.path === DEVICE_ROUTES.code_verification) {
      // The peer address, or the client's behind a configured trusted proxy.
      const address = clientAddress(ctx.req)
      if ((await count(address, window)) > max) {
        ctx.status = 429
        ctx.set('retry-after', String(window))
        send(ctx, tooManyCodesPage())
        return
      }
    }
    await next()
  }
}
