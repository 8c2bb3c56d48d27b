// Service clients over mutual TLS (RFC 8705) against a real server process: a throwaway CA made
// with openssl, a tls_client_auth client (subject DN) and a self_signed_tls_client_auth client
// (JWKS with x5c) stored in the database. Tokens are bound to the presented certificate
// (cnf.x5t#S256 in introspection); a certificate from another CA, another subject, or none at
// all gets invalid_client.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHash, createPublicKey, X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { BACKENDS, backendSkip, serverPerSuite, type GatehouseProcess } from '../support/gatehouse.ts'
import { freePort } from '../support/process.ts'
import { withServerStore } from '../support/server-store.ts'

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-mtls-'))
const file = (name: string) => join(dir, name)
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })

function newKey(name: string): void {
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file(`${name}.key`))
}

function makeCa(name: string, subject: string): void {
  newKey(name)
  openssl('req', '-x509', '-new', '-key', file(`${name}.key`), '-out', file(`${name}.crt`), '-days', '2', '-subj', subject,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
}

function issue(name: string, ca: string, subject: string, extensions: string): void {
  newKey(name)
  openssl('req', '-new', '-key', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', subject)
  writeFileSync(file(`${name}.ext`), extensions)
  openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file(`${ca}.crt`), '-CAkey', file(`${ca}.key`), '-CAcreateserial',
    '-out', file(`${name}.crt`), '-days', '2', '-extfile', file(`${name}.ext`))
}

function selfSigned(name: string, subject: string): void {
  newKey(name)
  openssl('req', '-x509', '-new', '-key', file(`${name}.key`), '-out', file(`${name}.crt`), '-days', '2', '-subj', subject)
}

const pem = (name: string) => readFileSync(file(name))
const thumbprint = (name: string) => createHash('sha256').update(new X509Certificate(pem(`${name}.crt`)).raw).digest('base64url')

interface Reply { status: number; body: Record<string, unknown> }

/** POSTs a form over TLS, optionally presenting the client certificate `identity`. */
function post(url: string, form: Record<string, string>, identity?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = new URLSearchParams(form).toString()
    const req = request(url, {
      method: 'POST',
      agent: false,
      ca: pem('ca.crt'),
      ...(identity === undefined ? {} : { cert: pem(`${identity}.crt`), key: pem(`${identity}.key`) }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) },
    }, (res) => {
      let text = ''
      res.on('data', (d) => { text += String(d) })
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) })
        } catch (err) {
          reject(new Error(`not JSON (${res.statusCode}): ${text}`, { cause: err }))
        }
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

const SVC_DN = 'CN=svc-a,OU=services,O=Gatehouse\\, Test,C=DE'
const CLIENT_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n'

// Certificates are made once; each backend gets its own server on its own mTLS port.
before(() => {
  makeCa('ca', '/CN=Gatehouse Test CA')
  makeCa('other-ca', '/CN=Someone Else CA')
  issue('server', 'ca', '/CN=localhost', 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n')
  issue('svc-a', 'ca', '/C=DE/O=Gatehouse\\, Test/OU=services/CN=svc-a', CLIENT_EXT)
  issue('svc-b', 'ca', '/C=DE/O=Gatehouse\\, Test/OU=services/CN=svc-b', CLIENT_EXT)
  issue('impostor', 'other-ca', '/C=DE/O=Gatehouse\\, Test/OU=services/CN=svc-a', CLIENT_EXT)
  selfSigned('self', '/CN=svc-self')
})
after(() => rmSync(dir, { recursive: true, force: true }))

for (const backend of BACKENDS) describe(`service clients over mutual TLS (${backend})`, { skip: await backendSkip(backend) }, async () => {
  const mtlsPort = await freePort()
  const mtlsUrl = `https://127.0.0.1:${mtlsPort}`
  const suite = serverPerSuite(backend, {
    GATEHOUSE_MTLS_PORT: String(mtlsPort),
    GATEHOUSE_MTLS_CERT: file('server.crt'),
    GATEHOUSE_MTLS_KEY: file('server.key'),
    GATEHOUSE_MTLS_CLIENT_CA: file('ca.crt'),
  })
  let server: GatehouseProcess

  before(async () => {
    const current = suite.current()
    if (!current) return
    server = current
    const selfCert = new X509Certificate(pem('self.crt'))
    const jwk = { ...createPublicKey(pem('self.key')).export({ format: 'jwk' }), x5c: [selfCert.raw.toString('base64')] }
    const common = { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], tls_client_certificate_bound_access_tokens: true }
    // Registered through the admin API like an operator would: the binding must follow from the auth method.
    const created = await fetch(`${server.url}/api/v1/clients`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'svc-a', type: 'confidential', grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'tls_client_auth', tlsClientAuthSubjectDn: SVC_DN }),
    })
    assert.equal(created.status, 201, await created.text())
    await withServerStore(server, async (store) => {
      await store.oidcClients.upsert({
        clientId: 'svc-self',
        metadata: { ...common, token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [jwk] } },
        secretHash: null,
        source: 'api',
      })
    })
  })

  it('advertises the mTLS endpoints, auth methods and certificate-bound tokens in discovery', async (t) => {
    const doc = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>
    assert.deepEqual(doc.mtls_endpoint_aliases, {
      token_endpoint: `${mtlsUrl}/token`,
      introspection_endpoint: `${mtlsUrl}/token/introspection`,
      revocation_endpoint: `${mtlsUrl}/token/revocation`,
    })
    assert.equal(doc.tls_client_certificate_bound_access_tokens, true)
    const methods = doc.token_endpoint_auth_methods_supported as string[]
    assert.ok(methods.includes('tls_client_auth') && methods.includes('self_signed_tls_client_auth'), String(methods))
  })

  it('issues a tls_client_auth client a token bound to its certificate, introspected and revoked over mTLS', async (t) => {
    const token = await post(`${mtlsUrl}/token`, { grant_type: 'client_credentials', client_id: 'svc-a' }, 'svc-a')
    assert.equal(token.status, 200, JSON.stringify(token.body))
    const accessToken = token.body.access_token as string

    const introspect = () => post(`${mtlsUrl}/token/introspection`, { token: accessToken, client_id: 'svc-a' }, 'svc-a')
    const active = await introspect()
    assert.equal(active.status, 200, JSON.stringify(active.body))
    assert.equal(active.body.active, true)
    assert.equal(active.body.client_id, 'svc-a')
    assert.deepEqual(active.body.cnf, { 'x5t#S256': thumbprint('svc-a') })

    const revoked = await post(`${mtlsUrl}/token/revocation`, { token: accessToken, client_id: 'svc-a' }, 'svc-a')
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body))
    assert.deepEqual((await introspect()).body, { active: false })
  })

  it('issues a self_signed_tls_client_auth client a token bound to its registered certificate', async (t) => {
    const token = await post(`${mtlsUrl}/token`, { grant_type: 'client_credentials', client_id: 'svc-self' }, 'self')
    assert.equal(token.status, 200, JSON.stringify(token.body))
    const active = await post(`${mtlsUrl}/token/introspection`, { token: token.body.access_token as string, client_id: 'svc-self' }, 'self')
    assert.equal(active.body.active, true)
    assert.deepEqual(active.body.cnf, { 'x5t#S256': thumbprint('self') })
  })

  it('refuses a certificate from another CA, another subject, an unregistered self-signed one, and none', async (t) => {
    const cases: Array<[clientId: string, identity: string, why: string]> = [
      ['svc-a', 'impostor', 'same subject, untrusted CA'],
      ['svc-a', 'svc-b', 'trusted CA, other subject'],
      ['svc-a', 'self', 'self-signed'],
      ['svc-self', 'svc-a', 'not the registered certificate'],
      ['svc-a', '', 'no certificate'],
      ['svc-self', '', 'no certificate'],
    ]
    for (const [clientId, identity, why] of cases) {
      const res = await post(`${mtlsUrl}/token`, { grant_type: 'client_credentials', client_id: clientId }, identity === '' ? undefined : identity)
      assert.equal(res.status, 401, `${clientId} with ${why}: ${JSON.stringify(res.body)}`)
      assert.equal(res.body.error, 'invalid_client', why)
    }
  })

  it('refuses certificate clients on the plain port, and serves nothing else on the mTLS port', async (t) => {
    const plain = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=svc-a',
    })
    assert.equal(plain.status, 401)
    assert.equal(((await plain.json()) as { error: string }).error, 'invalid_client')

    const other = await post(`${mtlsUrl}/session/end/confirm`, {}, 'svc-a')
    assert.equal(other.status, 404)
  })
})
