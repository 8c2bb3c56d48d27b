-- Tenancy: organizations, roles, groups, projects, service accounts and global bindings as JSON
-- documents, and each user's upstream groups. Timestamps are epoch milliseconds.

-- scope is the owning organization's id, or '' for global records. Names are unique per kind
-- and scope; derived uniqueness (email domains, slugs) gets records of its own kind.
CREATE TABLE tenancy_records (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  scope TEXT NOT NULL,
  name TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (kind, id),
  UNIQUE (kind, scope, name)
) WITHOUT ROWID;

-- One row, bumped with a compare-and-set in the transaction of every tenancy commit: writers
-- computed their change from a snapshot at some revision, and a moved revision means it is stale.
CREATE TABLE tenancy_revision (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  revision INTEGER NOT NULL
);
INSERT INTO tenancy_revision (singleton, revision) VALUES (1, 0);

-- groups is a JSON array of qualified group names, sorted and distinct.
CREATE TABLE upstream_groups (
  subject TEXT PRIMARY KEY,
  groups TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
