// A second reference for HTTP benchmarks: an empty Fastify route answering a fixed JSON body —
// what the framework itself costs per request, before any Gatehouse code runs.
import Fastify from 'fastify'

const body = JSON.parse(process.env.BARE_BODY ?? '{"allowed":true}')
const app = Fastify({ logger: false })
app.get('/', async () => body)
app.post('/*', async () => body)
await app.listen({ port: Number(process.env.BARE_PORT), host: '127.0.0.1' })
process.on('SIGTERM', () => { void app.close().then(() => process.exit(0)) })
