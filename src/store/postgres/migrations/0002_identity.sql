-- Identity: oidc-provider artefacts, signing keys, clients, local accounts with their failed-login
-- windows, and audit-only user records. Timestamps are epoch milliseconds; key columns use the
-- "C" collation (byte order, as on SQLite) for paging.

-- One table for every oidc-provider model. seq breaks ties between rows written in the same
-- millisecond when picking the newest session of a uid.
CREATE TABLE oidc_artifacts (
  model TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  seq BIGINT GENERATED ALWAYS AS IDENTITY,
  payload JSONB NOT NULL,
  grant_id TEXT COLLATE "C",
  uid TEXT COLLATE "C",
  user_code TEXT COLLATE "C",
  expires_at BIGINT,
  consumed_at BIGINT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (model, id)
);
CREATE INDEX oidc_artifacts_by_grant ON oidc_artifacts (model, grant_id) WHERE grant_id IS NOT NULL;
-- Not unique: a re-login saves the session under a new id with the same uid.
CREATE INDEX oidc_artifacts_by_uid ON oidc_artifacts (model, uid) WHERE uid IS NOT NULL;
CREATE UNIQUE INDEX oidc_artifacts_by_user_code ON oidc_artifacts (model, user_code) WHERE user_code IS NOT NULL;
CREATE INDEX oidc_artifacts_by_expiry ON oidc_artifacts (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE signing_keys (
  kid TEXT COLLATE "C" PRIMARY KEY,
  alg TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('next', 'active', 'retired')),
  public_jwk JSONB NOT NULL,
  private_jwk_ciphertext TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  activated_at BIGINT,
  retired_at BIGINT,
  expires_at BIGINT
);
-- Exactly one key of an algorithm signs.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (alg) WHERE status = 'active';

CREATE TABLE oidc_clients (
  client_id TEXT COLLATE "C" PRIMARY KEY,
  metadata JSONB NOT NULL,
  secret_hash TEXT,
  source TEXT NOT NULL CHECK (source IN ('api', 'bootstrap', 'cli')),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- username_key is the normalized (case-folded) username; username keeps the spelling given.
CREATE TABLE local_accounts (
  username_key TEXT COLLATE "C" PRIMARY KEY,
  username TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  disabled BOOLEAN NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  last_login_at BIGINT
);

-- No foreign key: failures against unknown usernames are throttled too.
CREATE TABLE local_login_attempts (
  username_key TEXT COLLATE "C" PRIMARY KEY,
  window_started_at BIGINT NOT NULL,
  failures INTEGER NOT NULL
);

CREATE TABLE user_records (
  issuer TEXT COLLATE "C" NOT NULL,
  subject TEXT COLLATE "C" NOT NULL,
  email TEXT,
  name TEXT,
  last_groups JSONB NOT NULL,
  first_login_at BIGINT NOT NULL,
  last_login_at BIGINT NOT NULL,
  login_count BIGINT NOT NULL,
  PRIMARY KEY (issuer, subject)
);
