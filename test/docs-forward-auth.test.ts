// docs/forward-auth.md shows the proxy configurations the end-to-end tests run: the copies in
// the page must be the files, character for character.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { it } from 'node:test'

const docs = join(import.meta.dirname, '..', 'docs')

for (const [file, lang] of [['Caddyfile', 'caddyfile'], ['Caddyfile.local', 'caddyfile'], ['local.yaml', 'yaml'], ['nginx.conf', 'nginx'], ['traefik.yml', 'yaml']] as const) {
  it(`docs/forward-auth.md shows docs/forward-auth/${file} as tested`, () => {
    const page = readFileSync(join(docs, 'forward-auth.md'), 'utf8')
    const at = page.indexOf(`(forward-auth/${file})`)
    assert.ok(at > 0, `no link to forward-auth/${file}`)
    const start = page.indexOf('```' + lang + '\n', at) + lang.length + 4
    const shown = page.slice(start, page.indexOf('\n```', start))
    assert.equal(shown, readFileSync(join(docs, 'forward-auth', file), 'utf8').replace(/\n+$/, ''))
  })
}
