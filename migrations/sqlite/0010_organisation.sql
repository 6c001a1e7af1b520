-- The organisation (see migrations/postgres/0009_organisation.sql).
CREATE TABLE departments (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    area       TEXT NOT NULL,
    staff      TEXT NOT NULL,
    limits     TEXT,
    updated_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX departments_area ON departments (area);

ALTER TABLE users ADD COLUMN department TEXT;
ALTER TABLE incidents ADD COLUMN chain TEXT NOT NULL DEFAULT '{}';
ALTER TABLE incidents ADD COLUMN assignee_limits TEXT;
