// Raw HTTP for tests that send what a well-behaved client would not: any method, any body text,
// any header, and (rawRequest) a path exactly as written, without URL normalization.
import assert from 'node:assert/strict'
import { request } from 'node:http'

export interface Reply {
  status: number
  /** Parsed JSON body; undefined when the body is empty or not JSON. */
  body: any
  text: string
  headers: Record<string, string | string[] | undefined>
}

export interface SendOptions {
  /** Sent as is when a string, JSON-encoded otherwise. */
  body?: unknown
  headers?: Record<string, string>
  /** false: no Authorization header even though the client has a key. */
  auth?: boolean
}

/**
 * `send(method, path, options)` against `baseUrl`, with `Authorization: Bearer <key>` when a key
 * is given. Every reply is checked to be below 500: bad input must never reach an internal error.
 */
export function apiClient(baseUrl: string, key?: string) {
  return async function send(method: string, path: string, options: SendOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = {}
    if (key !== undefined && options.auth !== false) headers.authorization = `Bearer ${key}`
    let body: string | undefined
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
      headers['content-type'] = 'application/json'
    }
    Object.assign(headers, options.headers)
    const res = await fetch(baseUrl + path, { method, headers, body })
    const reply = toReply(res.status, await res.text(), Object.fromEntries(res.headers))
    assert.ok(reply.status < 500, `${method} ${path} answered ${reply.status}: ${reply.text.slice(0, 300)}`)
    return reply
  }
}

/** One request with the path sent byte for byte (no `..` or `//` folding, no re-encoding). */
export function rawRequest(baseUrl: string, method: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  const url = new URL(baseUrl)
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      res.on('end', () => resolve(toReply(res.statusCode ?? 0, text, res.headers)))
    })
    req.on('error', reject)
    req.end()
  })
}

function toReply(status: number, text: string, headers: Reply['headers']): Reply {
  let body: unknown
  try {
    body = text === '' ? undefined : JSON.parse(text)
  } catch {
    body = undefined
  }
  return { status, body, text, headers }
}

/** Asserts the status and the stable OpenFGA-style `code` of an error reply. */
export function assertError(reply: Reply, status: number, code: string, what = ''): void {
  assert.equal(reply.status, status, `${what} status (body: ${reply.text.slice(0, 300)})`)
  assert.equal(reply.body?.code, code, `${what} code (body: ${reply.text.slice(0, 300)})`)
  assert.equal(typeof reply.body?.message, 'string', `${what} message`)
}
