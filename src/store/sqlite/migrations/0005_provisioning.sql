-- The provisioning outbox and what provisioning actions made downstream. Timestamps are epoch
-- milliseconds; JSON is stored as text.

CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  subject TEXT NOT NULL,
  target TEXT NOT NULL,
  action TEXT NOT NULL,
  ordering_key TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_owner TEXT,
  lease_until INTEGER,
  last_error TEXT,
  history TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE UNIQUE INDEX outbox_event_action ON outbox (event_id, action);
-- Due pending rows, and the head of each ordering key.
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX outbox_order ON outbox (ordering_key, id) WHERE state = 'pending';
CREATE INDEX outbox_by_state ON outbox (state, id);
CREATE INDEX outbox_by_subject ON outbox (subject, id);
CREATE INDEX outbox_by_target ON outbox (target, id);
CREATE INDEX outbox_finished ON outbox (finished_at) WHERE state = 'done';

CREATE TABLE provisioning_owned (
  owner TEXT NOT NULL,
  subject TEXT NOT NULL,
  item TEXT NOT NULL,
  PRIMARY KEY (owner, subject, item)
) WITHOUT ROWID;
