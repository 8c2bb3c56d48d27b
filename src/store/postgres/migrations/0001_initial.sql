-- Stores, models, assertions, tuples and the changelog. Timestamps are epoch milliseconds.
-- seq columns give insertion order for listings; revisions are per store (stores.revision),
-- never a global sequence, because sequence order is not commit order.
-- Key columns use the "C" collation: byte order, the same as SQLite, for paging and prefix ranges.

CREATE TABLE stores (
  seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id TEXT COLLATE "C" PRIMARY KEY,
  name TEXT NOT NULL,
  revision BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  deleted_at BIGINT
);
CREATE INDEX stores_by_name ON stores (name, seq) WHERE deleted_at IS NULL;

CREATE TABLE authorization_models (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  store_id TEXT COLLATE "C" NOT NULL REFERENCES stores (id),
  id TEXT COLLATE "C" NOT NULL,
  model JSONB NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (store_id, id)
);
CREATE INDEX authorization_models_by_store ON authorization_models (store_id, seq);

CREATE TABLE assertions (
  store_id TEXT COLLATE "C" NOT NULL REFERENCES stores (id),
  model_id TEXT COLLATE "C" NOT NULL,
  assertions JSONB NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (store_id, model_id)
);

-- The primary key serves reads by object (+relation) and the whole-store snapshot.
CREATE TABLE tuples (
  store_id TEXT COLLATE "C" NOT NULL REFERENCES stores (id),
  object_type TEXT COLLATE "C" NOT NULL,
  object_id TEXT COLLATE "C" NOT NULL,
  relation TEXT COLLATE "C" NOT NULL,
  subject TEXT COLLATE "C" NOT NULL,
  condition_name TEXT,
  condition_context JSONB,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (store_id, object_type, object_id, relation, subject)
);
CREATE INDEX tuples_by_user ON tuples (store_id, subject, object_type, relation);

CREATE TABLE changelog (
  store_id TEXT COLLATE "C" NOT NULL REFERENCES stores (id),
  revision BIGINT NOT NULL,
  ordinal INTEGER NOT NULL,
  operation TEXT NOT NULL CHECK (operation IN ('write', 'delete')),
  object_type TEXT COLLATE "C" NOT NULL,
  object_id TEXT COLLATE "C" NOT NULL,
  relation TEXT COLLATE "C" NOT NULL,
  subject TEXT COLLATE "C" NOT NULL,
  condition_name TEXT,
  condition_context JSONB,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (store_id, revision, ordinal)
);
CREATE INDEX changelog_by_type ON changelog (store_id, object_type, revision, ordinal);
