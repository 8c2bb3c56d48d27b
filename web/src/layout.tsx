// The frame of every console page: skip link, brand, navigation (what the administrator may
// use), who is signed in and sign-out; the page itself in <main>.

import type { ComponentChildren } from 'preact'
import { signOut } from './auth.ts'
import { useRoute } from './router.ts'
import type { Session } from './session.ts'
import { Link } from './ui.tsx'

const SECTIONS: Array<{ href: string; label: string; platform: boolean }> = [
  { href: '/', label: 'Overview', platform: false },
  { href: '/organizations', label: 'Organizations', platform: false },
  { href: '/roles', label: 'Roles', platform: false },
  { href: '/people', label: 'People', platform: true },
  { href: '/clients', label: 'Clients', platform: true },
  { href: '/applications', label: 'Applications', platform: true },
  { href: '/audit', label: 'Audit log', platform: true },
  { href: '/provisioning', label: 'Provisioning', platform: true },
  { href: '/stores', label: 'Stores', platform: true },
  { href: '/resource-servers', label: 'APIs', platform: true },
  { href: '/upstreams', label: 'Upstreams', platform: true },
]

export function Layout(props: { session: Session; children: ComponentChildren }) {
  const { path } = useRoute()
  const active = (href: string) => (href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`))
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <div class="top-inner">
          <p class="brand"><Link href="/">Gatehouse <span>console</span></Link></p>
          <div class="who">
            <span class="muted">Signed in as <strong>{props.session.username}</strong></span>
            <button type="button" class="secondary" onClick={() => signOut(props.session.settings)}>Sign out</button>
          </div>
        </div>
        <nav aria-label="Console">
          <ul>
            {SECTIONS.filter((s) => !s.platform || props.session.platform).map((s) => (
              <li key={s.href}><Link href={s.href} current={active(s.href)}>{s.label}</Link></li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>{props.children}</main>
      <footer class="muted">Gatehouse {props.session.settings.version} · <a href="/">Your account</a></footer>
    </>
  )
}
