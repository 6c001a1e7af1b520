-- A batch of the track log that cannot be read (a bad sector, a hand
-- edit: SQLite keeps no checksum of a row) is set aside here by the
-- compaction pass, its bytes and the reason kept for whoever repairs it,
-- instead of failing every pass behind it while the log grows until the
-- disk is full.
CREATE TABLE track_batches_damaged (
    id         INTEGER PRIMARY KEY,
    min_fix_ms INTEGER NOT NULL,
    max_fix_ms INTEGER NOT NULL,
    fixes      INTEGER NOT NULL,
    data       BLOB NOT NULL,
    reason     TEXT NOT NULL,
    found_ms   INTEGER NOT NULL
) STRICT;
