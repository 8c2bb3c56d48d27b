-- Forward-auth applications and the audit log. Timestamps are epoch milliseconds.

CREATE TABLE forward_auth_apps (
  id TEXT PRIMARY KEY,
  spec TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('api', 'bootstrap', 'cli')),
  version INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- One row, bumped in the transaction of every change to forward_auth_apps: replicas poll it to
-- learn that their compiled registry is stale, deletes included.
CREATE TABLE forward_auth_revision (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  revision INTEGER NOT NULL
);
INSERT INTO forward_auth_revision (singleton, revision) VALUES (1, 0);

-- Append-only. id is a ULID; listings go newest first by (at, id), so every index ends with them.
CREATE TABLE audit_log (
  id TEXT PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  actor_type TEXT NOT NULL CHECK (actor_type IN ('user', 'service', 'system', 'anonymous')),
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
  source_ip TEXT,
  organization_id TEXT,
  details TEXT
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
