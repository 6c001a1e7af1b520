-- 电子围栏 (see migrations/postgres/0012_fences.sql).
CREATE TABLE fences (
    id TEXT PRIMARY KEY,
    updated_ms INTEGER NOT NULL,
    body TEXT NOT NULL
) STRICT;
