-- Identity: oidc-provider artefacts, signing keys, clients, local accounts with their failed-login
-- windows, and audit-only user records. Timestamps are epoch milliseconds.

-- One table for every oidc-provider model. seq (the rowid) breaks ties between rows written in
-- the same millisecond when picking the newest session of a uid.
CREATE TABLE oidc_artifacts (
  seq INTEGER PRIMARY KEY,
  model TEXT NOT NULL,
  id TEXT NOT NULL,
  payload TEXT NOT NULL,
  grant_id TEXT,
  uid TEXT,
  user_code TEXT,
  expires_at INTEGER,
  consumed_at INTEGER,
  updated_at INTEGER NOT NULL,
  UNIQUE (model, id)
);
CREATE INDEX oidc_artifacts_by_grant ON oidc_artifacts (model, grant_id) WHERE grant_id IS NOT NULL;
-- Not unique: a re-login saves the session under a new id with the same uid.
CREATE INDEX oidc_artifacts_by_uid ON oidc_artifacts (model, uid) WHERE uid IS NOT NULL;
CREATE UNIQUE INDEX oidc_artifacts_by_user_code ON oidc_artifacts (model, user_code) WHERE user_code IS NOT NULL;
CREATE INDEX oidc_artifacts_by_expiry ON oidc_artifacts (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY,
  alg TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('next', 'active', 'retired')),
  public_jwk TEXT NOT NULL,
  private_jwk_ciphertext TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  activated_at INTEGER,
  retired_at INTEGER,
  expires_at INTEGER
) WITHOUT ROWID;
-- Exactly one key of an algorithm signs.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (alg) WHERE status = 'active';

CREATE TABLE oidc_clients (
  client_id TEXT PRIMARY KEY,
  metadata TEXT NOT NULL,
  secret_hash TEXT,
  source TEXT NOT NULL CHECK (source IN ('api', 'bootstrap', 'cli')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- username_key is the normalized (case-folded) username; username keeps the spelling given.
CREATE TABLE local_accounts (
  username_key TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_login_at INTEGER
) WITHOUT ROWID;

-- No foreign key: failures against unknown usernames are throttled too.
CREATE TABLE local_login_attempts (
  username_key TEXT PRIMARY KEY,
  window_started_at INTEGER NOT NULL,
  failures INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE user_records (
  issuer TEXT NOT NULL,
  subject TEXT NOT NULL,
  email TEXT,
  name TEXT,
  last_groups TEXT NOT NULL,
  first_login_at INTEGER NOT NULL,
  last_login_at INTEGER NOT NULL,
  login_count INTEGER NOT NULL,
  PRIMARY KEY (issuer, subject)
) WITHOUT ROWID;
