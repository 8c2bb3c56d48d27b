// The console's entry: settings, sign-in (or its callback), then the page for the path.

import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { get, whenUnauthenticated } from './api.ts'
import { completeSignIn, currentTokens, forgetTokens, signIn } from './auth.ts'
import { Layout } from './layout.tsx'
import { Routes } from './routes.tsx'
import { UpstreamTestPage } from './pages/directory.tsx'
import { currentPath, navigate } from './router.ts'
import { isPlatform, type Session } from './session.ts'
import type { CallerAcl, ConsoleSettings } from './types.ts'
import { messageOf } from './ui.tsx'

/** A test sign-in through an upstream (opened from the upstreams page in a new tab). */
interface UpstreamTest { upstreamTest: string }

async function start(): Promise<Session | UpstreamTest | 'redirecting'> {
  const settings = (await (await fetch('/admin/config.json')).json()) as ConsoleSettings
  whenUnauthenticated(() => {
    forgetTokens()
    void signIn(settings, currentPath() + location.search)
  })
  if (currentPath() === '/callback') {
    const next = await completeSignIn(settings, new URL(location.href))
    navigate(next === '/callback' ? '/' : next, true)
  }
  if (currentPath() === '/upstream-test') {
    const query = new URLSearchParams(location.search)
    const upstream = query.get('upstream') ?? ''
    // Always a fresh sign-in through the upstream: the result is who comes back from it.
    if (query.get('signed') === null) {
      forgetTokens()
      await signIn(settings, `/upstream-test?upstream=${encodeURIComponent(upstream)}&signed=1`, { upstream, prompt: 'login' })
      return 'redirecting'
    }
    return { upstreamTest: upstream }
  }
  const tokens = currentTokens()
  if (tokens === undefined) {
    await signIn(settings, currentPath() + location.search)
    return 'redirecting'
  }
  const acl = await get<CallerAcl>('/api/v1/acl')
  return { settings, username: tokens.username, acl, platform: isPlatform(acl) }
}

function App() {
  const [session, setSession] = useState<Session | UpstreamTest | undefined>(undefined)
  const [error, setError] = useState<unknown>(undefined)
  useEffect(() => {
    start().then((s) => s !== 'redirecting' && setSession(s), setError)
  }, [])
  if (error !== undefined) {
    return (
      <main class="signin-problem" id="main">
        <h1>Could not sign in to the console</h1>
        <p role="alert" class="error">{messageOf(error)}</p>
        <p><a class="button primary" href="/admin/">Try again</a></p>
      </main>
    )
  }
  if (session === undefined) return <main id="main" class="signin-problem"><p aria-live="polite">Signing in…</p></main>
  if ('upstreamTest' in session) return <main id="main"><UpstreamTestPage upstream={session.upstreamTest} /></main>
  return (
    <Layout session={session}>
      <Routes session={session} />
    </Layout>
  )
}

render(<App />, document.getElementById('app')!)
