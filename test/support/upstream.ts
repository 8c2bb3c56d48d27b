// Pieces every test upstream IdP and every test relying party shares: an oidc-provider that
// grants whatever was asked without pages of its own, and the first-party public client.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type Provider from 'oidc-provider'
import type { Configuration, Interaction, KoaContextWithOIDC } from 'oidc-provider'
import * as oidc from 'openid-client'
import { Browser } from './browser.ts'

/** oidc-provider options for an upstream whose test answers interactions itself. */
export const silentUpstreamOptions = {
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
  loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! })
    grant.addOIDCScope(ctx.oidc.requestParamScopes ? [...ctx.oidc.requestParamScopes].join(' ') : 'openid')
    await grant.save()
    return grant
  },
} satisfies Configuration

/** A first-party public client (code + PKCE, refresh) registered behind the server's back. */
export function spaClient(redirectUri: string) {
  return {
    clientId: 'spa',
    metadata: {
      redirect_uris: [redirectUri], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
      token_endpoint_auth_method: 'none', 'urn:gatehouse:first_party': true,
    },
    secretHash: null,
    source: 'api' as const,
  }
}

/** An HTTP server on a free loopback port, and its origin (the upstream's issuer). */
export async function listenLoopback(): Promise<{ server: Server; issuer: string }> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, issuer: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

/** A company IdP's options: Gatehouse as its one client, the OIDC scopes with groups. */
export function companyIdpOptions(gatehouseCallback: string, findAccount: Configuration['findAccount']): Configuration {
  return {
    clients: [{ client_id: 'gatehouse', client_secret: 'upstream-secret', redirect_uris: [gatehouseCallback], grant_types: ['authorization_code'], response_types: ['code'] }],
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'], groups: ['groups'] },
    findAccount,
    ...silentUpstreamOptions,
  }
}

/**
 * Serves `provider` on `server`, answering every interaction by signing in the account
 * `accountFor` names (default `pat`): a stand-in upstream that never shows a page.
 */
export function serveSignedIn(server: Server, provider: Provider, accountFor: (details: Interaction) => string = () => 'pat'): void {
  const handler = provider.callback()
  server.on('request', (req, res) => {
    if (!req.url?.startsWith('/interaction/')) return handler(req, res)
    void provider.interactionDetails(req, res)
      .then((details) => provider.interactionFinished(req, res, { login: { accountId: accountFor(details) } }, { mergeWithLastSubmission: false }))
      .catch((err: unknown) => { res.statusCode = 500; res.end(String(err)) })
  })
}

/**
 * The first-party public client `spa` as a relying party of a test server that answers for
 * `issuer` at another address: discovery, a browser routed there, and one code + PKCE round.
 */
export async function spaRelyingParty(issuer: string, serverUrl: () => string, stopAt: string) {
  const toServer = (url: URL) => (url.origin === issuer ? new URL(url.pathname + url.search, serverUrl()) : url)
  const spa = await oidc.discovery(new URL(issuer), 'spa', { token_endpoint_auth_method: 'none' }, oidc.None(),
    { execute: [oidc.allowInsecureRequests], [oidc.customFetch]: (url, options) => fetch(toServer(new URL(url)), options as RequestInit) })
  return {
    spa,
    browser: () => new Browser({ base: issuer, stopAt: [stopAt], route: toServer }),
    /** Starts an authorization request; `redeem` completes it from the redirect back. */
    async begin(params: Record<string, string>) {
      const verifier = oidc.randomPKCECodeVerifier()
      const state = oidc.randomState()
      const url = oidc.buildAuthorizationUrl(spa, { ...params, state, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' })
      return { url, redeem: (location: URL) => oidc.authorizationCodeGrant(spa, location, { pkceCodeVerifier: verifier, expectedState: state }) }
    },
  }
}
