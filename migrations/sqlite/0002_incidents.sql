-- The incident closed loop: each incident's current row, and its append-only
-- flow log (流转记录). Enums are stored by their API names; photos, detail,
-- pending_extension and step_times are JSON text.
CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    category TEXT NOT NULL,
    source TEXT NOT NULL,
    priority TEXT NOT NULL,
    lon REAL NOT NULL,
    lat REAL NOT NULL,
    grid TEXT NOT NULL,
    area TEXT NOT NULL,
    description TEXT NOT NULL,
    photos TEXT NOT NULL,
    reporter TEXT NOT NULL,
    reporter_staff TEXT,
    state TEXT NOT NULL,
    report_only INTEGER NOT NULL,
    assignee_staff TEXT,
    assignee_department TEXT,
    merged_into TEXT,
    possible_duplicate_of TEXT,
    rework_count INTEGER NOT NULL,
    extension_hours REAL NOT NULL,
    step_extension_hours REAL NOT NULL,
    pending_extension TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    step_started_ms INTEGER NOT NULL,
    handled_ms INTEGER,
    closed_ms INTEGER,
    on_time INTEGER,
    step_times TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX incidents_created ON incidents (created_ms);
CREATE INDEX incidents_state ON incidents (state);

CREATE TABLE incident_log (
    incident TEXT NOT NULL REFERENCES incidents (id),
    seq INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    actor_area TEXT NOT NULL,
    comment TEXT NOT NULL,
    photos TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (incident, seq)
);
CREATE INDEX incident_log_at ON incident_log (at_ms);

-- There is no path that edits or deletes the flow log, not even by hand.
CREATE TRIGGER incident_log_no_update BEFORE UPDATE ON incident_log
BEGIN
    SELECT RAISE(ABORT, 'the incident flow log is append-only');
END;
CREATE TRIGGER incident_log_no_delete BEFORE DELETE ON incident_log
BEGIN
    SELECT RAISE(ABORT, 'the incident flow log is append-only');
END;
