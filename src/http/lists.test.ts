// The one list shape of the admin APIs, with the old names kept for one release.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { listAnswer } from './routes/lists.ts'

describe('admin list answers', () => {
  it('are { items, continuation_token? }, the token absent on the last page', () => {
    assert.deepEqual(listAnswer([1, 2]), { items: [1, 2] })
    assert.deepEqual(listAnswer([1], ''), { items: [1] })
    assert.deepEqual(listAnswer([1], 'next'), { items: [1], continuation_token: 'next' })
  })

  it('repeat the items and token under their old names while those are deprecated', () => {
    assert.deepEqual(listAnswer(['a'], 'n', { key: 'clients', tokenKey: 'continuationToken' }), { items: ['a'], continuation_token: 'n', clients: ['a'], continuationToken: 'n' })
    assert.deepEqual(listAnswer(['a'], undefined, { key: 'applications' }), { items: ['a'], applications: ['a'] })
  })
})
