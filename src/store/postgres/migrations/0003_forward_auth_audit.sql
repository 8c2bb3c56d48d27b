-- Forward-auth applications and the audit log. Timestamps are epoch milliseconds; text compared
-- in ranges or paging uses the "C" collation (byte order, as on SQLite).

CREATE TABLE forward_auth_apps (
  id TEXT COLLATE "C" PRIMARY KEY,
  spec JSONB NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('api', 'bootstrap', 'cli')),
  version BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- One row, bumped in the transaction of every change to forward_auth_apps: replicas poll it to
-- learn that their compiled registry is stale, deletes included. A sequence would not do:
-- sequence order is not commit order, and a rolled-back change would still move it.
CREATE TABLE forward_auth_revision (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  revision BIGINT NOT NULL
);
INSERT INTO forward_auth_revision (singleton, revision) VALUES (1, 0);

-- Append-only. id is a ULID; listings go newest first by (at, id), so every index ends with them.
CREATE TABLE audit_log (
  id TEXT COLLATE "C" PRIMARY KEY,
  at BIGINT NOT NULL,
  actor TEXT COLLATE "C" NOT NULL,
  actor_type TEXT NOT NULL CHECK (actor_type IN ('user', 'service', 'system', 'anonymous')),
  action TEXT COLLATE "C" NOT NULL,
  target TEXT COLLATE "C" NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
  source_ip TEXT,
  organization_id TEXT COLLATE "C",
  details JSONB
);
-- Also serves time ranges and prune.
CREATE INDEX audit_log_by_time ON audit_log (at, id);
-- Exact actions, and action prefixes as a range.
CREATE INDEX audit_log_by_action ON audit_log (action, at, id);
CREATE INDEX audit_log_by_actor ON audit_log (actor, at, id);
CREATE INDEX audit_log_by_target ON audit_log (target, at, id);
CREATE INDEX audit_log_by_organization ON audit_log (organization_id, at, id) WHERE organization_id IS NOT NULL;
-- Few values, but a rare one ('denied' among many successes) would otherwise scan the whole log.
CREATE INDEX audit_log_by_outcome ON audit_log (outcome, at, id);
