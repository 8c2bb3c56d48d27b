import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { accentStyle, brandFor, DEFAULT_BRAND, setBranding } from './branding.ts'
import { page, safeImageUrl } from './pages.ts'

describe('branding', () => {
  afterEach(() => setBranding({ product: DEFAULT_BRAND, organizations: {} }))

  it('puts white text on a dark accent and black text on a light one', () => {
    assert.match(accentStyle('#1f2937'), /--on-accent:#fff/)
    assert.match(accentStyle('#fde047'), /--on-accent:#000/)
    assert.match(accentStyle('#6D28D9'), /--accent:#6D28D9;/)
    assert.equal(accentStyle(undefined), '')
    // Only a colour reaches the stylesheet.
    assert.equal(accentStyle('red;}body{display:none'), '')
  })

  it('gives an organization its own brand, falling back to the product\'s', () => {
    setBranding({
      product: { name: 'Northwind', logoUrl: '/branding/logo', accent: '#6d28d9' },
      organizations: { acme: { name: 'Acme', accent: '#0f766e' }, tint: { accent: '#b91c1c' } },
    })
    // A renamed brand does not wear the product's logo.
    assert.deepEqual(brandFor('acme'), { name: 'Acme', logoUrl: undefined, accent: '#0f766e' })
    assert.deepEqual(brandFor('tint'), { name: 'Northwind', logoUrl: '/branding/logo', accent: '#b91c1c' })
    assert.deepEqual(brandFor('other'), brandFor())
    const html = page('Sign in', '<p>x</p>', { brand: brandFor('acme') })
    assert.match(html, /<title>Sign in · Acme<\/title>/)
    assert.match(html, /--accent:#0f766e/)
  })

  it('lets only web URLs and this server\'s paths into an image', () => {
    assert.equal(safeImageUrl('https://cdn.example/logo.svg'), 'https://cdn.example/logo.svg')
    assert.equal(safeImageUrl('/branding/logo'), '/branding/logo')
    for (const bad of ['javascript:alert(1)', 'data:image/svg+xml,<svg/>', '//evil.example/x.png', 'not a url']) assert.equal(safeImageUrl(bad), undefined, bad)
    assert.doesNotMatch(page('T', '', { app: { name: 'App', logoUrl: 'javascript:alert(1)' } }), /javascript:/)
  })
})
