-- Alerts (告警): a worker's SOS, and the alerts track rules raise. The whole
-- record (its steps, the helpers proposed) is JSON text in `body`; the
-- columns beside it are what lists and the start-up load select by.
CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    staff_id TEXT NOT NULL,
    grid TEXT,
    raised_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX alerts_raised ON alerts (raised_ms);
CREATE INDEX alerts_active ON alerts (state) WHERE state <> 'closed';
