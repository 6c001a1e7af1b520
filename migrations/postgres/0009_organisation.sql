-- The organisation (网格+): departments (with their own time limits, JSON),
-- the logins that belong to them, the limits an incident's department works
-- to, and
-- what the command chain did with each incident (三级联动: escalations,
-- 督办 orders) as one JSON document beside the incident's columns.
CREATE TABLE departments (
    code       TEXT COLLATE "C" PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    area       TEXT COLLATE "C" NOT NULL,
    staff      TEXT NOT NULL,
    limits     TEXT,
    updated_ms BIGINT NOT NULL
);
CREATE INDEX departments_area ON departments (area);

ALTER TABLE users ADD COLUMN department TEXT;
ALTER TABLE incidents ADD COLUMN chain TEXT NOT NULL DEFAULT '{}';
ALTER TABLE incidents ADD COLUMN assignee_limits TEXT;
