-- Tracks become a log and compacted chunks (server/src/store/sqlite/tracks.rs).
--
-- A fix batch appended to a table indexed by (staff_id, fix_time_ms) dirtied
-- one index page per staff member per commit: tens of megabytes of WAL a
-- batch. Now a batch is appended to an unindexed log, and a background pass
-- moves the log into one packed chunk per staff member per pass.

-- The log: every fix as received, in arrival (rowid) order, until a pass
-- moves it. The old table already has exactly its shape; what it holds is
-- compacted by the first pass.
ALTER TABLE tracks RENAME TO track_log;
DROP INDEX tracks_staff_time;
DROP INDEX tracks_time;

-- One row per compaction pass: which fix times it holds, and how many.
CREATE TABLE track_segments (
    -- Ascending: a pass appends.
    seq        INTEGER PRIMARY KEY,
    -- The oldest and newest fix time in the segment (a late fix can make
    -- the span wide; that costs a replay one more probe, nothing else).
    min_fix_ms INTEGER NOT NULL,
    max_fix_ms INTEGER NOT NULL,
    fixes      INTEGER NOT NULL CHECK (fixes > 0)
) STRICT;
-- Retention and replay find segments by their newest fix.
CREATE INDEX track_segments_max ON track_segments (max_fix_ms);

-- One staff member's fixes from one pass, packed (server/src/store/sqlite/
-- chunk.rs): time-ordered, bit-exact.
CREATE TABLE track_chunks (
    seq        INTEGER NOT NULL,
    staff_id   TEXT NOT NULL,
    min_fix_ms INTEGER NOT NULL,
    max_fix_ms INTEGER NOT NULL,
    fixes      INTEGER NOT NULL CHECK (fixes > 0),
    data       BLOB NOT NULL
) STRICT;
-- A replay probes (segment, member); a pass appends in this order.
CREATE UNIQUE INDEX track_chunks_key ON track_chunks (seq, staff_id);
