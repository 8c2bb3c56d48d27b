// The start-up banner's "sign in" URL: the bootstrap admin signs in on the issuer's home page
// through Gatehouse's own provider, sees who they are, and signs out again.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Browser, formAction } from '../support/browser.ts'
import { BACKENDS, backendSkip, serverPerSuite } from '../support/gatehouse.ts'

const ISSUER = 'http://localhost:7445'
const PASSWORD = 'home-page-password-123'

for (const backend of BACKENDS) {
  describe(`issuer home page sign-in (${backend})`, { skip: await backendSkip(backend) }, () => {
    const server = serverPerSuite(backend, { GATEHOUSE_ISSUER: ISSUER, GATEHOUSE_BOOTSTRAP_PASSWORD: PASSWORD })
    const browser = () => new Browser({
      base: ISSUER, stopAt: [],
      route: (url) => (url.origin === ISSUER ? new URL(url.pathname + url.search, server.current()!.url) : url),
    })

    it('signs the bootstrap admin in from the home page and back, then out everywhere', async (t) => {
      const b = browser()
      const home = await b.browse('/')
      assert.equal(home.status, 200)
      const signIn = /<a class="button primary" href="([^"]+)">Sign in<\/a>/.exec(home.html)?.[1]?.replaceAll('&amp;', '&')
      assert.ok(signIn, home.html)
      const login = await b.browse(signIn)
      assert.equal(login.status, 200)
      assert.match(login.html, /<label for="password">/)
      const wrong = await b.browse(formAction(login.html, '/login'), { method: 'POST', form: { username: 'admin', password: 'not-the-password' } })
      assert.equal(wrong.status, 401)
      const back = await b.browse(formAction(wrong.html, '/login'), { method: 'POST', form: { username: 'admin', password: PASSWORD } })
      assert.equal(back.location.href, `${ISSUER}/`)
      assert.match(back.html, /Signed in as <strong>admin<\/strong>/)

      const cookie = b.jar.header(new URL(`${ISSUER}/`))
      assert.match(cookie, /gatehouse_session=[A-Za-z0-9_-]{43}/)
      const logoutPage = await b.browse('/api/forward-auth/logout')
      assert.match(logoutPage.html, /<form method="post" action="\/api\/forward-auth\/logout">/)
      // The POST must come from the issuer's own page: a cross-site form is refused.
      const forged = await fetch(new URL('/api/forward-auth/logout', server.current()!.url), { method: 'POST', headers: { cookie, origin: 'https://evil.example' }, redirect: 'manual' })
      assert.equal(forged.status, 403)
      assert.match((await b.browse('/')).html, /Signed in as/)
      // A browser submitting the sign-out form sends the issuer's Origin.
      const logoutUrl = new URL('/api/forward-auth/logout', ISSUER)
      const signedOut = await fetch(new URL(logoutUrl.pathname, server.current()!.url), { method: 'POST', headers: { cookie, origin: ISSUER }, redirect: 'manual' })
      assert.equal(signedOut.status, 303)
      // With the session's ID token as id_token_hint: the provider's sign-out needs no second confirmation.
      const end = new URL(signedOut.headers.get('location') ?? '')
      assert.equal(`${end.origin}${end.pathname}`, `${ISSUER}/session/end`)
      assert.match(end.searchParams.get('id_token_hint') ?? '', /^[\w-]+\.[\w-]+\.[\w-]+$/)
      b.jar.store(logoutUrl, signedOut)
      assert.doesNotMatch(b.jar.header(new URL(`${ISSUER}/`)), /gatehouse_session=/)
      // The session is gone on the server too, not only the cookie.
      const replayed = await fetch(new URL('/', server.current()!.url), { headers: { cookie } })
      assert.doesNotMatch(await replayed.text(), /Signed in as/)
    })
  })
}
