-- One intake, one feedback (一网归集, 一网反馈): what an incident from outside
-- remembers (JSON beside its columns), uploaded photos (content-addressed,
-- in the store so that every node of a cluster serves them) and the
-- incidents that carry them, the external systems that push reports, their
-- tickets (one incident per ticket, across nodes), and the call-backs owed
-- to them (written in the same transaction as the change they report).
ALTER TABLE incidents ADD COLUMN intake TEXT;
CREATE INDEX incidents_merged_into ON incidents (merged_into);

CREATE TABLE attachments (
    id          TEXT COLLATE "C" PRIMARY KEY,
    mime        TEXT NOT NULL,
    width       BIGINT NOT NULL,
    height      BIGINT NOT NULL,
    bytes       BYTEA NOT NULL,
    thumb       BYTEA NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_ms  BIGINT NOT NULL
);

CREATE TABLE attachment_links (
    attachment TEXT COLLATE "C" NOT NULL,
    incident   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (attachment, incident)
);

CREATE TABLE intake_sources (
    name             TEXT COLLATE "C" PRIMARY KEY,
    title            TEXT NOT NULL,
    kind             TEXT NOT NULL,
    secret           TEXT NOT NULL,
    categories       TEXT NOT NULL,
    default_category TEXT,
    callback_url     TEXT,
    updated_ms       BIGINT NOT NULL
);

CREATE TABLE intake_tickets (
    source   TEXT COLLATE "C" NOT NULL,
    ticket   TEXT COLLATE "C" NOT NULL,
    incident TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (source, ticket)
);
CREATE INDEX intake_tickets_incident ON intake_tickets (incident);

CREATE TABLE callbacks (
    id           BIGSERIAL PRIMARY KEY,
    source       TEXT COLLATE "C" NOT NULL,
    ticket       TEXT COLLATE "C" NOT NULL,
    incident     TEXT COLLATE "C" NOT NULL,
    seq          BIGINT NOT NULL,
    state        TEXT NOT NULL,
    attempts     BIGINT NOT NULL,
    next_ms      BIGINT NOT NULL,
    last_error   TEXT,
    created_ms   BIGINT NOT NULL,
    delivered_ms BIGINT
);
CREATE INDEX callbacks_due ON callbacks (state, next_ms);
