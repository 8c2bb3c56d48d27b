// OpenFGA's behaviour matrix (../shared/conformance/openfga) through the HTTP API of a real server
// process, on SQLite and on PostgreSQL. The in-process run of the same matrix is in src/authz.
import { describe } from 'node:test'
import { BACKENDS, serverPerSuite } from '../support/gatehouse.ts'
import { openFgaHttpClient } from '../support/openfga-http.ts'
import { matrixSkipReason, runOpenFgaMatrix } from '../support/openfga-matrix.ts'

for (const backend of BACKENDS) {
  describe(`OpenFGA matrix over HTTP (${backend})`, { skip: matrixSkipReason() }, () => {
    const server = serverPerSuite(backend)
    runOpenFgaMatrix(`matrix (${backend})`, () => {
      const s = server.current()
      return s ? openFgaHttpClient(s.url) : null
    })
  })
}
