// Baseline for HTTP benchmarks: the least a Node HTTP server can do per request.
import { createServer } from 'node:http'

const body = process.env.BARE_BODY ?? '{"allowed":true}'
const server = createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
})
server.keepAliveTimeout = 60_000
server.listen(Number(process.env.BARE_PORT), '127.0.0.1')
process.on('SIGTERM', () => server.close(() => process.exit(0)))
