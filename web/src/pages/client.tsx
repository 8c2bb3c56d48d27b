// One OIDC client: its settings, edited in place (redirect URIs, sign-out URIs, grant types,
// scopes, CORS origins, home page and logo). The type and the secret are not edited here: a secret is rotated.

import { get, put, seg } from '../api.ts'
import type { ClientView } from '../types.ts'
import { ActionForm, Field, PageHeader, Show, lines, text, useLoad } from '../ui.tsx'

const GRANT_TYPES: Array<{ value: string; label: string; hint: string }> = [
  { value: 'authorization_code', label: 'Authorization code', hint: 'Sign people in through a browser (with PKCE for public clients).' },
  { value: 'refresh_token', label: 'Refresh token', hint: 'Keep a session going without signing in again.' },
  { value: 'client_credentials', label: 'Client credentials', hint: 'A service gets tokens for itself.' },
  { value: 'urn:ietf:params:oauth:grant-type:device_code', label: 'Device code', hint: 'Command-line tools and TVs: the person approves on another device.' },
]

/** What PUT takes: the client as read, without the fields only reads carry. */
function specOf(c: ClientView): Record<string, unknown> {
  const { source: _s, hasSecret: _h, createdAt: _c, updatedAt: _u, ...spec } = c
  return spec
}

export function ClientPage({ id }: { id: string }) {
  const client = useLoad(() => get<{ client: ClientView }>(`/api/v1/clients/${seg(id)}`).then((a) => a.client), [id])
  return (
    <>
      <PageHeader title={`Client ${id}`} back={{ href: '/clients', label: 'OIDC clients' }} />
      <Show loaded={client}>
        {(c) => (
          <>
            <dl class="facts card">
              <div><dt>Type</dt><dd>{c.type}</dd></div>
              <div><dt>Authentication</dt><dd><code>{c.tokenEndpointAuthMethod}</code></dd></div>
              <div><dt>Source</dt><dd>{c.source}</dd></div>
            </dl>
            {c.source === 'bootstrap'
              ? <p class="notice">This client is declared in the bootstrap file: change it there.</p>
              : (
                <ActionForm label="Settings" submit="Save changes" keep action={async (f) => {
                  const name = text(f.get('name'))
                  const logoUri = text(f.get('logoUri'))
                  const clientUri = text(f.get('clientUri'))
                  const { name: _n, logoUri: _l, clientUri: _c, ...rest } = specOf(c)
                  const saved = await put<{ client: ClientView }>(`/api/v1/clients/${seg(c.id)}`, {
                    ...rest, ...(name ? { name } : {}), ...(logoUri ? { logoUri } : {}), ...(clientUri ? { clientUri } : {}),
                    redirectUris: lines(f.get('redirectUris')),
                    postLogoutRedirectUris: lines(f.get('postLogoutRedirectUris')),
                    grantTypes: f.getAll('grantTypes').map(String),
                    scopes: lines(f.get('scopes')).flatMap((s) => s.split(/\s+/)),
                    corsOrigins: lines(f.get('corsOrigins')),
                  })
                  client.reload()
                  return `Saved ${saved.client.id}.`
                }}>
                  <Field name="name" label="Display name" autocomplete="off" defaultValue={c.name ?? ''} hint="Shown on the sign-in and consent pages." />
                  <Field name="clientUri" label="Home page" autocomplete="off" defaultValue={c.clientUri ?? ''} hint="Where the signed-out page links back to." />
                  <Field name="logoUri" label="Logo URL" autocomplete="off" defaultValue={c.logoUri ?? ''} hint="An https image shown on the sign-in page." />
                  <Field name="redirectUris" label="Redirect URIs" autocomplete="off" defaultValue={c.redirectUris.join(', ')} hint="Comma separated; exact matches only." />
                  <Field name="postLogoutRedirectUris" label="Sign-out redirect URIs" autocomplete="off" defaultValue={c.postLogoutRedirectUris.join(', ')} hint="Where people may be sent back after signing out." />
                  <fieldset>
                    <legend>Grant types</legend>
                    {GRANT_TYPES.map((g) => (
                      <label class="check" key={g.value}>
                        <input type="checkbox" name="grantTypes" value={g.value} defaultChecked={c.grantTypes.includes(g.value as never)} />
                        <span>{g.label} <small class="muted">{g.hint}</small></span>
                      </label>
                    ))}
                  </fieldset>
                  <Field name="scopes" label="Scopes" autocomplete="off" defaultValue={c.scopes.join(' ')} hint="Space separated, e.g. openid email profile groups." />
                  <Field name="corsOrigins" label="CORS origins" autocomplete="off" defaultValue={c.corsOrigins.join(', ')} hint="Browser apps calling the token endpoint directly." />
                </ActionForm>
              )}
          </>
        )}
      </Show>
    </>
  )
}
