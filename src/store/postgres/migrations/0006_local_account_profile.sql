-- Local accounts may carry an email address and groups (operator-set), for relying parties that
-- read `email` and `groups` from tokens. Groups are a JSON array of strings, stored as text as in
-- SQLite.

ALTER TABLE local_accounts ADD COLUMN email TEXT;
ALTER TABLE local_accounts ADD COLUMN groups TEXT NOT NULL DEFAULT '[]';
