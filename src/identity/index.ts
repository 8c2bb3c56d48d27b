// Identity: OpenID Connect provider foundations — store adapter, signing keys, secrets, local accounts.
// May import: src/lib, src/config, src/store (types and error codes), src/authz; never Fastify or SQL drivers.
export { createAdapterFactory, type AdapterOptions } from './adapter.ts'
export { createKeyCipher, KeyCipherErrorCodes, type KeyCipher } from './key-cipher.ts'
export {
  createSigningKeys, KeyErrorCodes, SIGNING_ALGS, type RotationResult, type SigningKeys, type SigningKeysOptions,
} from './keys.ts'
export {
  createLocalAccounts, LocalAccountErrorCodes, MIN_PASSWORD_LENGTH,
  type BootstrapResult, type LocalAccount, type LocalAccounts, type LocalAccountsOptions,
} from './local-accounts.ts'
export {
  generateSecret, GENERATED_SECRET_PARAMS, hashSecret, needsRehash, parseSecretHash, PASSWORD_PARAMS, SecretErrorCodes,
  verifySecret, type ParsedSecretHash, type ScryptParams,
} from './secrets.ts'
