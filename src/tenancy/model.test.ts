// The published tenancy model (docs/tenancy-model.fga) is what OpenFGA clients and auditors read
// to understand the system store: it must be the model Gatehouse actually loads, and valid.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { it } from 'node:test'
import { compileModelJson, modelFromDsl } from '../authz/index.ts'
import { TENANCY_MODEL_DSL } from './model.ts'
import { TENANCY_MODEL_JSON } from './model-json.ts'

const published = resolve(import.meta.dirname, '../../docs/tenancy-model.fga')

it('docs/tenancy-model.fga is exactly TENANCY_MODEL_DSL', () => {
  assert.equal(readFileSync(published, 'utf8'), TENANCY_MODEL_DSL, 'regenerate docs/tenancy-model.fga from src/tenancy/model.ts')
})

it('the tenancy model parses and compiles', () => {
  const compiled = compileModelJson(modelFromDsl(TENANCY_MODEL_DSL))
  assert.deepEqual([...compiled.types.keys()].sort(), ['group', 'organization', 'permission', 'platform', 'project', 'service', 'upstream_group', 'user'])
})

it('the JSON model a server loads is TENANCY_MODEL_DSL, key order included', () => {
  // The server rewrites the stored model whenever its JSON text differs, so the order counts.
  assert.equal(JSON.stringify(TENANCY_MODEL_JSON), JSON.stringify(modelFromDsl(TENANCY_MODEL_DSL)), 'regenerate it: npx node scripts/tenancy-model-json.ts')
})
