// A path router for the console under /admin: real URLs (bookmarkable, shareable), history
// navigation without reloads, and nothing else — the console has a dozen fixed routes.

import { useEffect, useState } from 'preact/hooks'

export const BASE = '/admin'

type Listener = () => void
const listeners = new Set<Listener>()

/** The path inside the console, e.g. `/organizations/acme`. */
export function currentPath(): string {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname
  return path === '' ? '/' : path
}

export function navigate(path: string, replace = false): void {
  const url = BASE + path
  if (replace) history.replaceState(null, '', url)
  else history.pushState(null, '', url)
  for (const l of listeners) l()
  // A new page starts at its top, as a full load would.
  window.scrollTo(0, 0)
}

addEventListener('popstate', () => {
  for (const l of listeners) l()
})

/** Re-renders on navigation; answers the current path and its query. */
export function useRoute(): { path: string; query: URLSearchParams } {
  const [, tick] = useState(0)
  useEffect(() => {
    const l = () => tick((n) => n + 1)
    listeners.add(l)
    return () => {
      listeners.delete(l)
    }
  }, [])
  return { path: currentPath(), query: new URLSearchParams(location.search) }
}

/** `pattern` like `/organizations/:org`; the decoded parameters when the path matches. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split('/')
  const s = path.replace(/\/$/, '').split('/')
  if (p.length !== s.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < p.length; i++) {
    if (p[i]!.startsWith(':')) params[p[i]!.slice(1)] = decodeURIComponent(s[i]!)
    else if (p[i] !== s[i]) return undefined
  }
  return params
}
