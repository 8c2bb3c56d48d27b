import assert from 'node:assert/strict'
import { it } from 'node:test'
import { escapeRelationshipId, externalSubject, localSubject, relationshipUser, serviceSubject } from './subjects.ts'

it('maps subjects to engine users as documented', () => {
  assert.equal(relationshipUser(localSubject('Admin')), 'user:local.admin')
  assert.equal(relationshipUser(serviceSubject('ci:a#b c')), 'service:ci%3Aa%23b%20c')
  assert.match(relationshipUser(externalSubject('https://idp.example', 'alice')), /^user:ext\.[A-Za-z0-9_-]{43}$/)
})

it('escapes one-to-one: no two texts share an id, whatever white space they hold', () => {
  const texts = ['tier 01', 'tier\u200101', 'tier\u2001', 'tier%2001', 'a:b', 'a%3Ab', 'x\u3000y', 'x%E3%80%80y']
  const ids = texts.map(escapeRelationshipId)
  assert.equal(new Set(ids).size, texts.length, ids.join(' '))
  assert.equal(escapeRelationshipId('tier\u2001'), 'tier%E2%80%81')
  for (const id of ids) assert.doesNotMatch(id, /[:#\s]/)
})
