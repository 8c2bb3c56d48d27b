// The admin API as the console calls it: the signed-in administrator's bearer token on every
// request, JSON in and out, and the API's error code and message kept for the page to show.

import { currentTokens } from './auth.ts'

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  constructor(status: number, code: string, message: string) {
    super(message)
    this.status = status
    this.code = code
  }
}

/** Set by the application: what to do when the token is gone or refused (sign in again). */
let onUnauthenticated: () => void = () => {}
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const tokens = currentTokens()
  if (tokens === undefined) {
    onUnauthenticated()
    throw new ApiError(401, 'unauthenticated', 'Your sign-in has expired.')
  }
  const headers: Record<string, string> = { authorization: `Bearer ${tokens.accessToken}`, accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
  if (res.status === 401) onUnauthenticated()
  if (res.status === 204) return undefined as T
  const text = await res.text()
  const parsed = text === '' ? undefined : (JSON.parse(text) as unknown)
  if (!res.ok) {
    const err = (parsed ?? {}) as { code?: unknown; message?: unknown }
    throw new ApiError(res.status, String(err.code ?? res.status), String(err.message ?? res.statusText))
  }
  return parsed as T
}

export const get = <T,>(path: string) => api<T>('GET', path)
export const post = <T,>(path: string, body?: unknown) => api<T>('POST', path, body ?? {})
export const put = <T,>(path: string, body: unknown) => api<T>('PUT', path, body)
export const del = (path: string) => api<void>('DELETE', path)

/** A path segment from user input. */
export const seg = (s: string) => encodeURIComponent(s)
