-- Second factors of local accounts (TOTP, WebAuthn passkeys) and their recovery codes. A TOTP
-- secret is stored encrypted with the server's secret key; a passkey only by its public key.
-- Recovery codes are stored as SHA-256 hashes of high-entropy codes. Timestamps are epoch ms.

CREATE TABLE local_mfa_factors (
  id TEXT PRIMARY KEY,
  username_key TEXT NOT NULL REFERENCES local_accounts (username_key) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('totp', 'webauthn')),
  label TEXT NOT NULL,
  secret_ciphertext TEXT,
  credential_id TEXT UNIQUE,
  public_key TEXT,
  sign_count INTEGER NOT NULL DEFAULT 0,
  transports TEXT NOT NULL DEFAULT '[]',
  -- The last TOTP time step accepted: a code is good once.
  last_step INTEGER,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
) WITHOUT ROWID;
CREATE INDEX local_mfa_factors_by_account ON local_mfa_factors (username_key, created_at);

CREATE TABLE local_mfa_recovery_codes (
  username_key TEXT NOT NULL REFERENCES local_accounts (username_key) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (username_key, code_hash)
) WITHOUT ROWID;
