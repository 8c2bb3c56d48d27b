// The config rules without an incusd: own keys only, hand-set keys kept, dropped keys removed
// (features excepted), restrictions remembered and undone, no write when nothing changes.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DeliveryError, ProvisioningCodes } from '../errors.ts'
import { MANAGED_KEYS_KEY, OWNER_KEY, planCreate, planRestrict, planUpdate, RESTRICTED_KEY } from './plan.ts'

describe('project config plans', () => {
  it('create marks the owner and the managed keys', () => {
    assert.deepEqual(planCreate({ config: { 'limits.instances': '3', 'user.a': 'x' } }, 'u1'), {
      description: '',
      config: { 'limits.instances': '3', 'user.a': 'x', [OWNER_KEY]: 'u1', [MANAGED_KEYS_KEY]: 'limits.instances,user.a' },
    })
  })

  it('update keeps foreign keys, removes dropped managed keys, keeps dropped features', () => {
    const current = {
      description: 'old',
      config: {
        [OWNER_KEY]: 'u1', [MANAGED_KEYS_KEY]: 'features.images,limits.cpu,limits.instances',
        'features.images': 'false', 'limits.cpu': '2', 'limits.instances': '3', 'user.hand': 'kept', 'features.profiles': 'true',
      },
    }
    assert.deepEqual(planUpdate(current, { config: { 'limits.instances': '5' } }), {
      description: 'old',
      config: {
        [OWNER_KEY]: 'u1', [MANAGED_KEYS_KEY]: 'limits.instances',
        'features.images': 'false', 'limits.instances': '5', 'user.hand': 'kept', 'features.profiles': 'true',
      },
    })
  })

  it('update is undefined when nothing managed changes', () => {
    const created = planCreate({ description: 'd', config: { 'limits.instances': '3' } }, 'u1')
    assert.equal(planUpdate({ ...created, config: { ...created.config, 'user.hand': 'x' } }, { description: 'd', config: { 'limits.instances': '3' } }), undefined)
    assert.notEqual(planUpdate(created, { description: 'new', config: { 'limits.instances': '3' } }), undefined)
  })

  it('restrict remembers earlier values once; the next update restores them', () => {
    const created = planCreate({ config: { 'limits.instances': '3' } }, 'u1')
    const withHand = { ...created, config: { ...created.config, 'limits.memory': '4GiB' } }
    const r1 = planRestrict(withHand, { 'limits.instances': '0', 'limits.memory': '0', 'limits.cpu': '0' })!
    assert.deepEqual(JSON.parse(r1.config[RESTRICTED_KEY]), { 'limits.cpu': null, 'limits.instances': '3', 'limits.memory': '4GiB' })
    assert.equal(planRestrict(r1, { 'limits.instances': '0', 'limits.memory': '0', 'limits.cpu': '0' }), undefined)
    const r2 = planRestrict(r1, { 'limits.instances': '1' })!
    assert.deepEqual(JSON.parse(r2.config[RESTRICTED_KEY]), JSON.parse(r1.config[RESTRICTED_KEY]))
    const back = planUpdate(r2, { config: { 'limits.instances': '3' } })!
    assert.deepEqual(back.config, withHand.config)
  })

  it('templates may not write the marker keys', () => {
    assert.throws(() => planCreate({ config: { [OWNER_KEY]: 'me' } }, 'u1'),
      (err: unknown) => err instanceof DeliveryError && err.code === ProvisioningCodes.invalidConfig && !err.retryable)
  })
})
