// A minimal browser for sign-in tests: fetch with a cookie jar (cookies scoped to their origin
// and path, as oidc-provider's interaction and resume cookies need), redirects followed by hand
// so a test sees each hop, and a stop at the relying party, which is never fetched.
import { request as httpRequest } from 'node:http'

export interface Page {
  /** Where the browser ended: the page's URL, or the relying party URL it was sent to. */
  location: URL
  /** 0 when the browser stopped at the relying party. */
  status: number
  html: string
  headers: Headers
}

export interface BrowserOptions {
  /** Resolves relative URLs (usually the issuer). */
  base: string
  /** Origins the browser stops at instead of fetching (the relying party's). */
  stopAt: readonly string[]
  /** Where a request really goes: maps the configured issuer to the test server's address. */
  route?: (url: URL) => URL
  maxHops?: number
  /** Source address of the browser's connections (a loopback address such as 127.0.0.2), for per-address behaviour. */
  localAddress?: string
}

/** `headers`: sent with the first request only (an Origin a browser adds to a form post). */
type RequestInit = { method?: string; form?: Record<string, string>; headers?: Record<string, string> }

interface Cookie { origin: string; path: string; name: string; value: string }

export class CookieJar {
  private cookies = new Map<string, Cookie>()

  store(url: URL, res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim())
      const eq = pair!.indexOf('=')
      if (eq <= 0) continue
      const name = pair!.slice(0, eq)
      const value = pair!.slice(eq + 1)
      const attr = (key: string) => attrs.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1)
      const path = attr('path') ?? defaultPath(url)
      const expires = attr('expires')
      const maxAge = attr('max-age')
      const expired = (expires !== undefined && Date.parse(expires) < Date.now()) || (maxAge !== undefined && Number(maxAge) <= 0)
      const key = `${url.origin};${path};${name}`
      if (expired || value === '') this.cookies.delete(key)
      else this.cookies.set(key, { origin: url.origin, path, name, value })
    }
  }

  header(url: URL): string {
    return [...this.cookies.values()]
      .filter((c) => c.origin === url.origin && pathMatches(url.pathname, c.path))
      .map((c) => `${c.name}=${c.value}`).join('; ')
  }
}

/** RFC 6265 5.1.4: the request path up to its last slash. */
function defaultPath(url: URL): string {
  const slash = url.pathname.lastIndexOf('/')
  return slash <= 0 ? '/' : url.pathname.slice(0, slash)
}

function pathMatches(path: string, cookiePath: string): boolean {
  return path === cookiePath || path.startsWith(cookiePath.endsWith('/') ? cookiePath : `${cookiePath}/`)
}

export class Browser {
  readonly jar = new CookieJar()
  private readonly options: BrowserOptions

  constructor(options: BrowserOptions) {
    this.options = options
  }

  /** One request with this browser's cookies; redirects are not followed. */
  async request(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url, this.options.base)
    const headers: Record<string, string> = { ...init.headers, cookie: this.jar.header(target) }
    const body = init.form ? new URLSearchParams(init.form).toString() : undefined
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
    const routed = this.options.route?.(target) ?? target
    const method = init.method ?? (body === undefined ? 'GET' : 'POST')
    const res = this.options.localAddress === undefined
      ? await fetch(routed, { method, headers, body, redirect: 'manual' })
      : await fromAddress(this.options.localAddress, routed, method, headers, body)
    this.jar.store(target, res)
    return res
  }

  /** Follows redirects (a POST becomes a GET after one) until a page or the relying party. */
  async browse(url: string | URL, init: RequestInit = {}): Promise<Page> {
    let target = new URL(url, this.options.base)
    let next: RequestInit = init
    for (let hops = 0; hops < (this.options.maxHops ?? 20); hops++) {
      if (this.options.stopAt.includes(target.origin)) return { location: target, status: 0, html: '', headers: new Headers() }
      const res = await this.request(target, next)
      const location = res.headers.get('location')
      if (res.status >= 300 && res.status < 400 && location) {
        target = new URL(location, target)
        next = {}
        continue
      }
      return { location: target, status: res.status, html: await res.text(), headers: res.headers }
    }
    throw new Error('too many redirects')
  }
}

/** The action of the first form posting to a path ending in `suffix` (default: any). */
export function formAction(html: string, suffix = ''): string {
  const pattern = new RegExp(`<form method="post" action="([^"]*${suffix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})"`)
  const action = pattern.exec(html)?.[1]
  if (action === undefined) throw new Error(`no form posting to …${suffix} in:\n${html}`)
  return action.replaceAll('&amp;', '&')
}

/** fetch cannot choose its source address; node:http can. The answer as a fetch Response. */
function fromAddress(localAddress: string, url: URL, method: string, headers: Record<string, string>, body?: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, localAddress }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const out = new Headers()
        for (const [name, value] of Object.entries(res.headers)) {
          for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) out.append(name, v)
        }
        resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0, headers: out }))
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}
