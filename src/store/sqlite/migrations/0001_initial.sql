-- Stores, models, assertions, tuples and the changelog. Timestamps are epoch milliseconds.
-- seq columns give insertion order for listings; revisions are per store (stores.revision).

CREATE TABLE stores (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  revision INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER
);
CREATE INDEX stores_by_name ON stores (name, seq) WHERE deleted_at IS NULL;

CREATE TABLE authorization_models (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  store_id TEXT NOT NULL REFERENCES stores (id),
  id TEXT NOT NULL,
  model TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (store_id, id)
);
CREATE INDEX authorization_models_by_store ON authorization_models (store_id, seq);

CREATE TABLE assertions (
  store_id TEXT NOT NULL REFERENCES stores (id),
  model_id TEXT NOT NULL,
  assertions TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (store_id, model_id)
) WITHOUT ROWID;

-- The primary key serves reads by object (+relation) and the whole-store snapshot.
CREATE TABLE tuples (
  store_id TEXT NOT NULL REFERENCES stores (id),
  object_type TEXT NOT NULL,
  object_id TEXT NOT NULL,
  relation TEXT NOT NULL,
  subject TEXT NOT NULL,
  condition_name TEXT,
  condition_context TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (store_id, object_type, object_id, relation, subject)
) WITHOUT ROWID;
CREATE INDEX tuples_by_user ON tuples (store_id, subject, object_type, relation);

CREATE TABLE changelog (
  store_id TEXT NOT NULL REFERENCES stores (id),
  revision INTEGER NOT NULL,
  ordinal INTEGER NOT NULL,
  operation TEXT NOT NULL CHECK (operation IN ('write', 'delete')),
  object_type TEXT NOT NULL,
  object_id TEXT NOT NULL,
  relation TEXT NOT NULL,
  subject TEXT NOT NULL,
  condition_name TEXT,
  condition_context TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (store_id, revision, ordinal)
) WITHOUT ROWID;
CREATE INDEX changelog_by_type ON changelog (store_id, object_type, revision, ordinal);
