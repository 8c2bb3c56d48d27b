// The admin console's built-in public client and the resource server its tokens are for. The
// console signs administrators in through this provider (code + PKCE) and calls the admin APIs
// with their access token; only this client may get tokens for the console's audience, so a
// token handed to any other application can never drive the admin APIs.

import { CLIENT_EXTRA_METADATA, type ResourceServerEntry } from './provider.ts'

export const CONSOLE_CLIENT_ID = 'gatehouse-console'
export const CONSOLE_PATH = '/admin'
export const CONSOLE_CALLBACK_PATH = `${CONSOLE_PATH}/callback`

/** The audience (and resource indicator) of the console's JWT access tokens. */
export function consoleAudience(issuer: string): string {
  return `${issuer}${CONSOLE_PATH}/api`
}

export function consoleClientMetadata(issuer: string): Record<string, unknown> {
  return {
    client_id: CONSOLE_CLIENT_ID,
    client_name: 'Gatehouse console',
    token_endpoint_auth_method: 'none',
    redirect_uris: [issuer + CONSOLE_CALLBACK_PATH],
    post_logout_redirect_uris: [`${issuer}${CONSOLE_PATH}/`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    [CLIENT_EXTRA_METADATA.firstParty]: true,
    // Every token the console gets is a JWT for the admin APIs: reads and changes alike.
    [CLIENT_EXTRA_METADATA.defaultAudience]: consoleAudience(issuer),
  }
}

/** The console's resource server: short-lived tokens carrying the username for display. */
export function consoleResourceServer(issuer: string, accessTokenTtl: number): ResourceServerEntry {
  return {
    indicator: consoleAudience(issuer),
    scopes: [],
    accessTokenTtl,
    accessTokenClaims: ['preferred_username'],
    clients: [CONSOLE_CLIENT_ID],
  }
}
