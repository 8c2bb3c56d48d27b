-- The provisioning outbox and what provisioning actions made downstream. Timestamps are epoch
-- milliseconds; text compared in ranges or paging uses the "C" collation (byte order, as on SQLite).

CREATE TABLE outbox (
  id BIGSERIAL PRIMARY KEY,
  event_id TEXT COLLATE "C" NOT NULL,
  event_type TEXT COLLATE "C" NOT NULL,
  subject TEXT COLLATE "C" NOT NULL,
  target TEXT COLLATE "C" NOT NULL,
  action TEXT COLLATE "C" NOT NULL,
  ordering_key TEXT COLLATE "C" NOT NULL,
  payload JSONB NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  lease_owner TEXT,
  lease_until BIGINT,
  last_error TEXT,
  history JSONB NOT NULL DEFAULT '[]',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  finished_at BIGINT
);
CREATE UNIQUE INDEX outbox_event_action ON outbox (event_id, action);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX outbox_order ON outbox (ordering_key, id) WHERE state = 'pending';
CREATE INDEX outbox_by_state ON outbox (state, id);
CREATE INDEX outbox_by_subject ON outbox (subject, id);
CREATE INDEX outbox_by_target ON outbox (target, id);
CREATE INDEX outbox_finished ON outbox (finished_at) WHERE state = 'done';

CREATE TABLE provisioning_owned (
  owner TEXT COLLATE "C" NOT NULL,
  subject TEXT COLLATE "C" NOT NULL,
  item TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (owner, subject, item)
);
