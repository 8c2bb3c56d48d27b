-- Where each live tuple was written (store revision, position in that write), so an unfiltered
-- Read answers in write order, oldest first, as OpenFGA's SQL stores do. Tuples written before
-- this migration keep 0 and come first, in key order (a backfill from the changelog would scan it
-- once per tuple on a large store).

ALTER TABLE tuples ADD COLUMN write_revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tuples ADD COLUMN write_ordinal INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tuples_by_write ON tuples (store_id, write_revision, write_ordinal);
