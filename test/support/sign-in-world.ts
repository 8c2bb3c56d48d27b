// A company IdP whose users (chosen by the email Gatehouse forwards as login_hint) and their
// groups a test sets, and a federated sign-in through Gatehouse to the first-party client, as a
// browser would do it. Gatehouse answers at a fixed issuer URL routed to the test server.
import assert from 'node:assert/strict'
import type { Server } from 'node:http'
import Provider from 'oidc-provider'
import * as oidc from 'openid-client'
import { formAction } from './browser.ts'
import { companyIdpOptions, listenLoopback, serveSignedIn, spaRelyingParty } from './upstream.ts'

export const RP = 'http://rp.example'

/** The relationship model of the store provisioning rules write group memberships and project operators into. */
export const LAB_MODEL = `model
  schema 1.1
type user
type group
  relations
    define member: [user]
type project
  relations
    define operator: [user]`
export const CALLBACK = `${RP}/callback`

export interface CompanyIdp {
  issuer: string
  server: Server
  /** Groups of each user (by local part of the email), as the IdP reports them at the next sign-in. */
  groups: Record<string, string[]>
  close(): Promise<void>
}

export async function startCompanyIdp(gatehouseCallback: string): Promise<CompanyIdp> {
  const { server, issuer } = await listenLoopback()
  const groups: Record<string, string[]> = {}
  const provider = new Provider(issuer, companyIdpOptions(gatehouseCallback, async (_ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, email: `${sub}@acme.test`, email_verified: true, name: sub, preferred_username: sub, groups: groups[sub] ?? [] }),
  })))
  serveSignedIn(server, provider, (details) => String(details.params.login_hint ?? 'pat@acme.test').split('@')[0]!)
  return { issuer, server, groups, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

/** The upstream entry for Gatehouse's configuration. */
export function companyUpstream(idp: CompanyIdp, domains: string[] = ['acme.test']) {
  return {
    id: 'corp', kind: 'oidc', name: 'Acme IdP', issuer: idp.issuer, clientId: 'gatehouse', clientSecret: 'upstream-secret',
    scopes: ['openid', 'email', 'profile', 'groups'], groupsClaim: 'groups', domains,
  }
}

/** Signs `email` in through the upstream its domain routes to; resolves to the tokens of the relying party. */
export async function federatedSignIn(issuer: string, serverUrl: () => string, email: string): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
  const rp = await spaRelyingParty(issuer, serverUrl, RP)
  const browser = rp.browser()
  const flow = await rp.begin({ redirect_uri: CALLBACK, scope: 'openid email profile groups' })
  const page = await browser.browse(flow.url)
  const done = await browser.browse(formAction(page.html, '/upstream'), { method: 'POST', form: { email } })
  assert.equal(done.location.origin, RP, `sign-in of ${email} did not reach the relying party: ${done.status} ${done.html.slice(0, 500)}`)
  return flow.redeem(done.location)
}
