-- Tuples and changelog rows no longer carry a foreign key to stores. PostgreSQL checks one with a
-- row trigger and an SPI query per inserted row, which was about a third of the database's time
-- in a bulk import (both tables together). The key could never fail: stores are only ever
-- soft-deleted, and every statement that inserts tuples or changes first runs
-- `UPDATE stores ... WHERE id = $1 AND deleted_at IS NULL` in the same transaction, which fails
-- the write for an unknown or deleted store and row-locks the store until commit.
-- Models and assertions keep theirs (one row per write).

ALTER TABLE tuples DROP CONSTRAINT IF EXISTS tuples_store_id_fkey;
ALTER TABLE changelog DROP CONSTRAINT IF EXISTS changelog_store_id_fkey;
