-- 排班 (see migrations/postgres/0013_roster.sql).
CREATE TABLE roster_shifts (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    grid TEXT NOT NULL,
    body TEXT NOT NULL
) STRICT;
CREATE INDEX roster_shifts_grid ON roster_shifts (grid);
