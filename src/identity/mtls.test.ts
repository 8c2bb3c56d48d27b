import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { dnEquals, subjectToRfc4514 } from './mtls.ts'

describe('certificate subjects as RFC 4514 names', () => {
  it('turns Node\'s subject (certificate order, one RDN a line) into the form openssl -nameopt RFC2253 prints', () => {
    // What X509Certificate.subject gives for /C=DE/O=Acme\, Inc./OU=a+OU=b/CN=svc-a.
    const subject = 'C=DE\nO=Acme\\, Inc.\nOU=a + OU=b\nCN=svc-a'
    assert.equal(subjectToRfc4514(subject), 'CN=svc-a,OU=a+OU=b,O=Acme\\, Inc.,C=DE')
  })

  it('matches names the way operators write them: case, spacing, AVA order and escapes do not matter', () => {
    const registered = 'CN=svc-a,OU=b+OU=a,O=Acme\\, Inc.,C=DE'
    assert.ok(dnEquals('cn=SVC-A, ou=a + ou=b, o=Acme\\2C Inc., c=de', registered))
    assert.ok(dnEquals(subjectToRfc4514('C=DE\nO=Acme\\, Inc.\nOU=a + OU=b\nCN=svc-a'), registered))
  })

  it('does not let an escaped comma or a different order pass for another name', () => {
    assert.ok(!dnEquals('CN=svc-a,O=Acme,OU=Inc.,C=DE', 'CN=svc-a,O=Acme\\, Inc.,C=DE'))
    assert.ok(!dnEquals('C=DE,CN=svc-a', 'CN=svc-a,C=DE'))
    assert.ok(!dnEquals('CN=svc-a', 'CN=svc-a,C=DE'))
    assert.ok(!dnEquals('', 'CN=svc-a'))
  })
})
