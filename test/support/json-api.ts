// A small JSON client for the admin API in end-to-end tests: a call, and an expectation on its
// status (and error code) that shows the body when it fails.
import assert from 'node:assert/strict'

export interface Reply { status: number; body: any }

export function jsonApi(base: () => string) {
  async function call(method: string, path: string, token: string | undefined, body?: unknown): Promise<Reply> {
    const res = await fetch(new URL(path, base()), {
      method,
      headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    })
    const text = await res.text()
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) }
  }
  const expect = async (reply: Promise<Reply>, status: number, code?: string) => {
    const r = await reply
    assert.equal(r.status, status, JSON.stringify(r.body))
    if (code !== undefined) assert.equal(r.body.code, code)
    return r.body
  }
  return { call, expect }
}
