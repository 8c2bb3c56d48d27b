// The committed console bundle (web/dist) is what its sources build: `npm install && npm start`
// serves web/dist as committed, so a source change without `npm run build:web` must fail here.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { staleFiles } from '../web/build.ts'

it('web/dist is built from the current console sources', async () => {
  assert.deepEqual(await staleFiles(), [], 'run npm run build:web and commit web/dist')
})
