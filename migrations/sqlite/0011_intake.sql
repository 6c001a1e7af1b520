-- One intake, one feedback (see migrations/postgres/0010_intake.sql for why).
ALTER TABLE incidents ADD COLUMN intake TEXT;
CREATE INDEX incidents_merged_into ON incidents (merged_into);

CREATE TABLE attachments (
    id          TEXT PRIMARY KEY,
    mime        TEXT NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    bytes       BLOB NOT NULL,
    thumb       BLOB NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_ms  INTEGER NOT NULL
) STRICT;

CREATE TABLE attachment_links (
    attachment TEXT NOT NULL,
    incident   TEXT NOT NULL,
    PRIMARY KEY (attachment, incident)
) STRICT;

CREATE TABLE intake_sources (
    name             TEXT PRIMARY KEY,
    title            TEXT NOT NULL,
    kind             TEXT NOT NULL,
    secret           TEXT NOT NULL,
    categories       TEXT NOT NULL,
    default_category TEXT,
    callback_url     TEXT,
    updated_ms       INTEGER NOT NULL
) STRICT;

CREATE TABLE intake_tickets (
    source   TEXT NOT NULL,
    ticket   TEXT NOT NULL,
    incident TEXT NOT NULL,
    PRIMARY KEY (source, ticket)
) STRICT;
CREATE INDEX intake_tickets_incident ON intake_tickets (incident);

CREATE TABLE callbacks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    source       TEXT NOT NULL,
    ticket       TEXT NOT NULL,
    incident     TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    state        TEXT NOT NULL,
    attempts     INTEGER NOT NULL,
    next_ms      INTEGER NOT NULL,
    last_error   TEXT,
    created_ms   INTEGER NOT NULL,
    delivered_ms INTEGER
) STRICT;
CREATE INDEX callbacks_due ON callbacks (state, next_ms);
