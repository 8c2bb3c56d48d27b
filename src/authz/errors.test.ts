import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { StoreError, StoreErrorCodes } from '../store/errors.ts'
import { AuthzError, errorNameOf, fromStoreError, httpStatusOf } from './errors.ts'

describe('OpenFGA errors', () => {
  it('maps numeric codes to names and names to HTTP statuses by OpenFGA\'s ranges', () => {
    assert.equal(errorNameOf(2027), 'invalid_tuple')
    assert.equal(errorNameOf(2002), 'authorization_model_resolution_too_complex')
    assert.equal(httpStatusOf('validation_error'), 400)
    assert.equal(httpStatusOf('throttled_timeout_error'), 422)
    assert.equal(httpStatusOf('internal_error'), 500)
    assert.equal(httpStatusOf('store_id_not_found'), 404)
    assert.equal(httpStatusOf('Aborted'), 409)
    const err = new AuthzError('invalid_tuple', 'bad')
    assert.equal(err.numericCode, 2027)
    assert.equal(err.status, 400)
  })

  it('turns store failures into the errors OpenFGA clients expect', () => {
    const tuple = { object: 'doc:1', relation: 'viewer', user: 'user:a' }
    const exists = fromStoreError(new StoreError(StoreErrorCodes.tupleExists, 'x', { tuple })) as AuthzError
    assert.equal(exists.code, 'write_failed_due_to_invalid_input')
    assert.match(exists.message, /doc:1#viewer@user:a/)
    assert.equal((fromStoreError(new StoreError(StoreErrorCodes.conditionConflict, 'x')) as AuthzError).status, 409)
    assert.equal((fromStoreError(new StoreError(StoreErrorCodes.storeNotFound, 'x')) as AuthzError).code, 'store_id_not_found')
    assert.equal((fromStoreError(new StoreError(StoreErrorCodes.tokenTypeMismatch, 'x')) as AuthzError).numericCode, 2052)
  })
})
