import { z } from 'zod'
import { cookieDomainProblem } from './cookie-domain.ts'
import type { KeySpec } from './schema.ts'

// Forward-auth settings: the portal session that Caddy, nginx and Traefik ask about.

const seconds = (defaultValue: number, description: string): KeySpec<number> => ({
  kind: 'integer',
  schema: z.number({ error: 'must be a number' }).int('must be a whole number').min(60, 'must be at least 60').max(31_536_000, 'must be at most one year (31536000)'),
  default: defaultValue,
  description,
  secret: false,
})

const dnsName = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/

export const forwardAuthKeys = {
  forwardAuthCookieDomain: {
    kind: 'string',
    schema: z.string().toLowerCase().refine((s) => s === '' || dnsName.test(s), 'must be a DNS name such as example.com').superRefine((s, ctx) => {
      const problem = dnsName.test(s) ? cookieDomainProblem(s) : undefined
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem })
    }),
    default: '',
    defaultText: "the issuer's host name",
    description: 'Domain the forward-auth session cookie is scoped to: it reaches this domain and every host under it, so the issuer and every protected application must be under it (e.g. `example.com` for `id.example.com` and `grafana.example.com`). A public suffix (`co.uk`, `github.io`), a single label (`localtest`) or an IP address is refused: browsers drop such a cookie and every sign-in would loop; to try it locally use `gatehouse.localhost`.',
    secret: false,
  } satisfies KeySpec<string>,
  forwardAuthCookieName: {
    kind: 'string',
    schema: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, _ or -'),
    default: 'gatehouse_session',
    description: 'Name of the forward-auth session cookie. It holds only an opaque session id.',
    secret: false,
  } satisfies KeySpec<string>,
  forwardAuthIdleSeconds: seconds(43_200, 'A forward-auth session ends after this many seconds without a request (default 12 hours; tracked on the server, to the minute).'),
  forwardAuthMaxSeconds: seconds(604_800, 'A forward-auth session ends this many seconds after sign-in, however active (default 7 days).'),
  forwardAuthTrustedProxies: {
    kind: 'list',
    schema: z.array(z.string().regex(/^[0-9a-fA-F:.]+(\/[0-9]{1,3})?$/, 'entries are IP addresses or CIDR ranges')),
    default: ['127.0.0.0/8', '::1/128'],
    description: 'Proxies (addresses or CIDR ranges) whose X-Forwarded-For entries are believed when finding the client address: for forward-auth source-IP policies, and for sign-in and device-code throttling. The walk stops at the first address not in this list.',
    secret: false,
  } satisfies KeySpec<string[]>,
  forwardAuthBearerAudiences: {
    kind: 'list',
    schema: z.array(z.string().min(1).max(2048)),
    default: [],
    description: 'Audiences (resource-server indicators, see `resourceServers`) whose JWT access tokens forward-auth accepts as `Authorization: Bearer` for API clients and scripts. Empty: bearer tokens are not accepted, only the session cookie. Tokens for any other audience, opaque tokens and certificate-bound tokens are refused.',
    secret: false,
  } satisfies KeySpec<string[]>,
  forwardAuthAdminGroups: {
    kind: 'list',
    schema: z.array(z.string().min(1).max(256)),
    default: [],
    description: 'Groups whose members see why a forward-auth request was denied (header `X-Gatehouse-Deny-Reason` and on the 403 page). Local accounts always do.',
    secret: false,
  } satisfies KeySpec<string[]>,
}
