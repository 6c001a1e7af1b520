-- The track log becomes a row per fix batch, its fixes packed
-- (server/src/store/sqlite/batch.rs), instead of a row per fix: one row and
-- one bound value a batch instead of a row and ten values a fix, and a
-- compaction pass deletes a handful of rows instead of every fix's.
--
-- The old log, `track_log`, is left here: SQL cannot pack its rows, so the
-- store moves them into batches when it opens and then drops it
-- (server/src/store/sqlite/legacy.rs).
CREATE TABLE track_batches (
    -- Ascending: a batch appends; a pass takes the oldest.
    id         INTEGER PRIMARY KEY,
    -- The oldest and newest fix time in the batch: replay and retention
    -- pass over a batch outside their window without reading it.
    min_fix_ms INTEGER NOT NULL,
    max_fix_ms INTEGER NOT NULL,
    fixes      INTEGER NOT NULL CHECK (fixes > 0),
    data       BLOB NOT NULL
) STRICT;

-- A pass's fixes come from batches that each reach into many of its
-- segments, so the batches can leave the log only once every segment is
-- written: until that last transaction a segment is not done, and replay
-- reads no chunk of it. A pass that stopped before it left segments that
-- are not done; the next pass drops them.
ALTER TABLE track_segments ADD COLUMN done INTEGER NOT NULL DEFAULT 1 CHECK (done IN (0, 1));
CREATE INDEX track_segments_unfinished ON track_segments (seq) WHERE done = 0;
