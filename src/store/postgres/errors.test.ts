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

  it('names the server and the cause when PostgreSQL cannot be reached or refuses the connection', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5433'), { code: 'ECONNREFUSED', address: '10.0.0.5', port: 5433 })
    assert.equal((mapPgError(refused) as Error).message, 'the PostgreSQL database at 10.0.0.5:5433 is unreachable (ECONNREFUSED)')
    const noDb = Object.assign(new Error('database "gh" does not exist'), { code: '3D000' })
    const mapped = mapPgError(noDb)
    assert.ok(isStoreError(mapped, StoreErrorCodes.unavailable))
    assert.match(mapped.message, /3D000: database "gh" does not exist/)
    assert.ok(isStoreError(mapPgError(Object.assign(new Error('statement timeout'), { code: '57014' })), StoreErrorCodes.unavailable))
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
