-- Tenancy: organizations, roles, groups, projects, service accounts and global bindings as JSON
-- documents, and each user's upstream groups. Timestamps are epoch milliseconds; key columns use
-- the "C" collation (byte order, as on SQLite), which load() orders by.

-- scope is the owning organization's id, or '' for global records. Names are unique per kind
-- and scope; derived uniqueness (email domains, slugs) gets records of its own kind.
CREATE TABLE tenancy_records (
  kind TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  scope TEXT COLLATE "C" NOT NULL,
  name TEXT COLLATE "C" NOT NULL,
  data JSONB NOT NULL,
  PRIMARY KEY (kind, id),
  UNIQUE (kind, scope, name)
);

-- One row, bumped with a compare-and-set in the transaction of every tenancy commit: writers
-- computed their change from a snapshot at some revision, and a moved revision means it is stale.
-- Its row lock also serializes commits, so their unique-name checks never race.
CREATE TABLE tenancy_revision (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  revision BIGINT NOT NULL
);
INSERT INTO tenancy_revision (singleton, revision) VALUES (1, 0);

-- groups is a JSON array of qualified group names, sorted and distinct.
CREATE TABLE upstream_groups (
  subject TEXT COLLATE "C" PRIMARY KEY,
  groups JSONB NOT NULL,
  updated_at BIGINT NOT NULL
);
