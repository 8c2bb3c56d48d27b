import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadConfig } from '../../config/index.ts'
import { externalSubject } from './federation.ts'
import { providerForEmail, resolveUpstreams } from './providers.ts'

const upstreams = (value: unknown) => loadConfig({ env: { GATEHOUSE_UPSTREAMS: JSON.stringify(value) } }).config.upstreams

describe('upstream providers', () => {
  it('routes an email to the provider registered for its domain, ignoring case', () => {
    const providers = resolveUpstreams(upstreams([
      { id: 'corp', kind: 'oidc', issuer: 'https://id.corp.example', clientId: 'a', clientSecret: 's', domains: ['Corp.Example'] },
      { id: 'g', kind: 'google', clientId: 'b', clientSecret: 's', domains: ['gmail.example'] },
    ]))
    assert.equal(providerForEmail(providers, 'Anne@CORP.example')?.id, 'corp')
    assert.equal(providerForEmail(providers, 'bob@gmail.example')?.id, 'g')
    assert.equal(providerForEmail(providers, 'eve@other.example'), undefined)
    assert.equal(providerForEmail(providers, 'not-an-email'), undefined)
    assert.equal(providers[1]!.issuer, 'https://accounts.google.com')
    assert.deepEqual(providers[0]!.scopes, ['openid', 'email', 'profile'])
  })

  it('routes a domain an organization claims to its first upstream, ahead of the configured domains', () => {
    const providers = resolveUpstreams(upstreams([
      { id: 'corp', kind: 'oidc', issuer: 'https://id.corp.example', clientId: 'a', clientSecret: 's', domains: ['corp.example'] },
      { id: 'okta', kind: 'oidc', issuer: 'https://acme.okta.example', clientId: 'b', clientSecret: 's' },
    ]))
    const orgs: Record<string, string | undefined> = { 'corp.example': 'okta', 'acme.example': 'okta', 'gone.example': 'removed-upstream', 'bare.example': undefined }
    const route = (domain: string) => orgs[domain]
    assert.equal(providerForEmail(providers, 'anne@Corp.Example', route)?.id, 'okta', 'the organization wins over the configuration')
    assert.equal(providerForEmail(providers, 'bob@acme.example', route)?.id, 'okta')
    assert.equal(providerForEmail(providers, 'eve@gone.example', route), undefined)
    assert.equal(providerForEmail(providers, 'anne@corp.example', () => 'removed-upstream')?.id, 'corp', 'an organization upstream no longer configured falls back to the configuration')
    assert.equal(providerForEmail(providers, 'eve@bare.example', route), undefined)
    assert.equal(providerForEmail(providers, 'anne@corp.example')?.id, 'corp', 'without organizations the configuration decides')
    const asked: string[] = []
    providerForEmail(providers, 'x@Sub.Acme.Example', (d) => { asked.push(d); return undefined })
    assert.deepEqual(asked, ['sub.acme.example'], 'organizations are asked with the lower-cased domain')
  })

  it('refuses an oidc provider without issuer, microsoft without tenants, a plain-http remote issuer and a domain routed twice', () => {
    assert.throws(() => upstreams([{ id: 'x', kind: 'oidc', clientId: 'a', clientSecret: 's' }]), /needs an issuer/)
    assert.throws(() => upstreams([{ id: 'm', kind: 'microsoft', clientId: 'a', clientSecret: 's' }]), /tenants/)
    assert.throws(() => upstreams([{ id: 'x', kind: 'oidc', issuer: 'http://id.example', clientId: 'a', clientSecret: 's' }]), /https/)
    assert.throws(() => upstreams([
      { id: 'a', kind: 'oidc', issuer: 'https://a.example', clientId: 'a', clientSecret: 's', domains: ['d.example'] },
      { id: 'b', kind: 'oidc', issuer: 'https://b.example', clientId: 'a', clientSecret: 's', domains: ['d.example'] },
    ]), /routed to both/)
  })

  it('fills in Microsoft defaults: the multi-tenant issuer, Graph, and a Graph scope for the group lookup', () => {
    const [ms] = resolveUpstreams(upstreams([{ id: 'm', kind: 'microsoft', clientId: 'a', clientSecret: 's', tenants: ['t1'] }]))
    assert.equal(ms!.issuer, 'https://login.microsoftonline.com/organizations/v2.0')
    assert.equal(ms!.graphUrl, 'https://graph.microsoft.com')
    assert.deepEqual(ms!.scopes, ['openid', 'email', 'profile', 'User.Read'])
    assert.throws(() => upstreams([{ id: 'x', kind: 'oidc', issuer: 'https://a.example', clientId: 'a', clientSecret: 's', graphUrl: 'https://graph.example' }]), /graphUrl is for kind microsoft/)
    assert.throws(() => upstreams([{ id: 'm', kind: 'microsoft', clientId: 'a', clientSecret: 's', tenants: ['t'], graphUrl: 'http://graph.example' }]), /https/)
  })

  it('gives a subject stable per (issuer, sub) and distinct across issuers', () => {
    assert.equal(externalSubject('https://a.example', '1'), externalSubject('https://a.example', '1'))
    assert.notEqual(externalSubject('https://a.example', '1'), externalSubject('https://b.example', '1'))
    assert.match(externalSubject('https://a.example', '1'), /^ext:[A-Za-z0-9_-]{43}$/)
  })
})
