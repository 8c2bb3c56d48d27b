import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isStoreError, StoreErrorCodes } from '../errors.ts'
import { isRetryable, mapPgError } from './errors.ts'

const pgError = (code: string): Error => Object.assign(new Error(`pg ${code}`), { code })

describe('PostgreSQL error mapping', () => {
  it('maps serialization failures and deadlocks to a retryable write_conflict', () => {
    for (const code of ['40001', '40P01']) {
      assert.ok(isRetryable(pgError(code)))
      const mapped = mapPgError(pgError(code))
      assert.ok(isStoreError(mapped, StoreErrorCodes.writeConflict))
      assert.equal(mapped.status, 409)
    }
  })

  it('maps a unique violation to write_conflict without retrying it', () => {
    assert.equal(isRetryable(pgError('23505')), false)
    assert.ok(isStoreError(mapPgError(pgError('23505')), StoreErrorCodes.writeConflict))
  })

  it('maps connection failures to store_unavailable', () => {
    for (const code of ['ECONNREFUSED', '57P01', '08006', '53300']) {
      assert.ok(isStoreError(mapPgError(pgError(code)), StoreErrorCodes.unavailable), code)
    }
  })

  it('leaves programming errors untouched', () => {
    const syntax = pgError('42601')
    assert.equal(mapPgError(syntax), syntax)
    const plain = new Error('no code')
    assert.equal(mapPgError(plain), plain)
  })
})
