// The configured targets as clients: files read and checked once at start (a missing
// certificate or a malformed secret stops the start naming the field), clients built once and
// shared by every delivery. Tuples for this Gatehouse's own stores go through `localTuples`,
// which the composition root provides (the engine validates them against the store's model).

import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import type { ProvisioningConfig, ProvisioningTargetConfig } from '../config/index.ts'
import type { TupleKey } from '../store/index.ts'
import type { DeliveryTargets, IncusTarget, WebhookTarget } from './deliver.ts'
import { provisioningConfigError, rejectedDelivery } from './errors.ts'
import { createIncusClient, incusProjectName, type IncusClient } from './incus/index.ts'
import { createRemoteTupleWriter, type RemoteTupleWriter } from './openfga-remote.ts'
import type { TupleDestination } from './rules.ts'
import { tupleId, type TupleBackend } from './tuple-sync.ts'
import { checkWebhookTarget, deliverWebhook } from './webhook.ts'

export interface TargetOptions {
  /** Relative file names are resolved against this folder (the file that declared them). */
  baseDir: string
  /** Tuples in a store of this Gatehouse. */
  localTuples(storeId: string): TupleBackend
}

export interface BuiltTargets extends DeliveryTargets {
  close(): void
}

export function buildTargets(config: ProvisioningConfig, options: TargetOptions): BuiltTargets {
  const incus = new Map<string, IncusTarget & { client: IncusClient }>()
  const webhooks = new Map<string, WebhookTarget>()
  const openfga = new Map<string, TupleBackend>()
  for (const [i, t] of config.targets.entries()) {
    const where = `provisioning.targets[${i}] (${t.id})`
    const file = (field: string, name: string) => readConfigFile(options.baseDir, name, `${where}.${field}`)
    if (t.kind === 'incus') incus.set(t.id, incusTarget(t, where, file))
    if (t.kind === 'webhook') webhooks.set(t.id, webhookTarget(t, where, file))
    if (t.kind === 'openfga') {
      const token = t.tokenFile === undefined ? undefined : file('tokenFile', t.tokenFile).toString('utf8').trim()
      openfga.set(t.id, remoteTuples(createRemoteTupleWriter({ url: t.url, storeId: t.storeId, timeoutMs: t.timeoutSeconds * 1000, ...(token ? { token } : {}) }, where)))
    }
  }
  const missing = (kind: string, id: string) => rejectedDelivery(`${kind} target ${id} is no longer configured`)
  return {
    incus(id) {
      const t = incus.get(id)
      if (t === undefined) throw missing('incus', id)
      return t
    },
    webhook(id) {
      const t = webhooks.get(id)
      if (t === undefined) throw missing('webhook', id)
      return t
    },
    tuples(d: TupleDestination) {
      if (d.kind === 'store') return options.localTuples(d.storeId)
      const t = openfga.get(d.targetId)
      if (t === undefined) throw missing('openfga', d.targetId)
      return t
    },
    close() {
      for (const t of incus.values()) t.client.close()
    },
  }
}

type ReadFile = (field: string, name: string) => Buffer

function incusTarget(t: Extract<ProvisioningTargetConfig, { kind: 'incus' }>, where: string, file: ReadFile): IncusTarget & { client: IncusClient } {
  const cc = t.clientCertificate
  const credentials = 'pfxFile' in cc
    ? { pfx: file('clientCertificate.pfxFile', cc.pfxFile), ...(cc.passphraseFile ? { passphrase: file('clientCertificate.passphraseFile', cc.passphraseFile).toString('utf8').trim() } : {}) }
    : { cert: file('clientCertificate.certFile', cc.certFile).toString('utf8'), key: file('clientCertificate.keyFile', cc.keyFile).toString('utf8') }
  const sc = t.serverCertificate
  const trust = 'caFile' in sc ? { ca: file('serverCertificate.caFile', sc.caFile).toString('utf8') } : { serverFingerprint: sc.fingerprint.replace(/^sha256:/, '') }
  const client = createIncusClient({ url: t.url, timeoutMs: t.timeoutSeconds * 1000, where, ...credentials, ...trust })
  return {
    client,
    projectName: incusProjectName,
    ensureProject: (name, desired, owner) => client.ensureProject(name, desired, owner),
    retireProject: async (name, policy, owner) => {
      const outcome = await client.retireProject(name, policy, owner)
      return outcome === 'already-restricted' ? 'restricted' : outcome
    },
  }
}

function webhookTarget(t: Extract<ProvisioningTargetConfig, { kind: 'webhook' }>, where: string, file: ReadFile): WebhookTarget {
  const secrets = file('secretFile', t.secretFile).toString('utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  if (secrets.length === 0) throw provisioningConfigError(`${where}.secretFile`, 'holds no secret (one whsec_… per line)')
  const target = { url: t.url, secrets, timeoutMs: t.timeoutSeconds * 1000, ...(t.headers ? { headers: t.headers } : {}) }
  checkWebhookTarget(target, where)
  return {
    async send(message) {
      // The signature's timestamp is the attempt's: receivers refuse old ones, and a retry may come much later.
      await deliverWebhook(target, { ...message, timestamp: new Date() })
    },
  }
}

function remoteTuples(writer: RemoteTupleWriter): TupleBackend {
  return {
    async existing(keys: readonly TupleKey[]) {
      // One read per (user, relation, object type) rather than one per tuple: a group sync asks for many of one shape.
      const groups = new Map<string, { user: string; relation: string; object: string }>()
      for (const k of keys) groups.set(`${k.user} ${k.relation} ${k.object.split(':')[0]}`, { user: k.user, relation: k.relation, object: `${k.object.split(':')[0]}:` })
      const found = new Set<string>()
      for (const filter of groups.values()) for (const t of await writer.read(filter)) found.add(tupleId(t))
      return found
    },
    write: (writes, deletes) => writer.write(writes, deletes),
  }
}

function readConfigFile(baseDir: string, name: string, where: string): Buffer {
  const path = isAbsolute(name) ? name : resolve(baseDir, name)
  try {
    return readFileSync(path)
  } catch (err) {
    throw provisioningConfigError(where, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
}
