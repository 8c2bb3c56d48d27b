import assert from 'node:assert/strict'
import { parse } from 'node:querystring'
import { describe, it } from 'node:test'
import { parseFastForm } from './fast-form.ts'

const NAMES = new Set(['token', 'token_type_hint', 'grant_type', 'scope', 'resource'])

describe('fast form bodies', () => {
  it('read every body exactly as querystring.parse reads it', () => {
    const bodies = [
      '', 'token=abc', 'token=eyJ.a-b_c.d~e', 'token=a=b==', 'grant_type=client_credentials&resource=https%3A%2F%2Fapi.example&scope=read+write',
      'scope=a%20b', 'scope=%E2%82%AC', 'token=%zz', 'token=%C3', 'token=%', 'token=a+b%2Bc', 'token=', 'token', '=x', '&token=a', 'token=a&',
      'token=a&&scope=b', 'token=a&token=b', 't%6Fken=a', 'tok+en=a', 'other=1', 'token=a b', 'token=ä', 'token=a&other=b', '__proto__=x',
    ]
    // And sequences of the pieces these bodies are made of.
    const atoms = ['token', 'scope', '=', '&', 'a', '%41', '%2B', '+', '%zz', '%C3', '%', 'https://x', '==', '_']
    let seed = 1
    const random = (n: number) => (seed = (seed * 48271) % 2147483647) % n
    for (let i = 0; i < 20000; i++) bodies.push(Array.from({ length: random(7) }, () => atoms[random(atoms.length)]).join(''))
    for (const body of bodies) assert.deepEqual({ ...parseFastForm(body, NAMES) }, { ...parse(body) }, body)
  })
})
