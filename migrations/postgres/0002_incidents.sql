-- The incident closed loop: each incident's current row, and its append-only
-- flow log (流转记录). Enums are stored by their API names; photos, detail,
-- pending_extension and step_times are JSON text (the same text SQLite keeps).
CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    category TEXT NOT NULL,
    source TEXT NOT NULL,
    priority TEXT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    geom geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED,
    grid TEXT NOT NULL,
    area TEXT NOT NULL,
    description TEXT NOT NULL,
    photos TEXT NOT NULL,
    reporter TEXT NOT NULL,
    reporter_staff TEXT,
    state TEXT NOT NULL,
    report_only BOOLEAN NOT NULL,
    assignee_staff TEXT,
    assignee_department TEXT,
    merged_into TEXT,
    possible_duplicate_of TEXT,
    rework_count BIGINT NOT NULL,
    extension_hours DOUBLE PRECISION NOT NULL,
    step_extension_hours DOUBLE PRECISION NOT NULL,
    pending_extension TEXT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    step_started_ms BIGINT NOT NULL,
    handled_ms BIGINT,
    closed_ms BIGINT,
    on_time BOOLEAN,
    step_times TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX incidents_created ON incidents (created_ms);
CREATE INDEX incidents_state ON incidents (state);
CREATE INDEX incidents_geom ON incidents USING GIST (geom);

CREATE TABLE incident_log (
    incident TEXT NOT NULL REFERENCES incidents (id),
    seq BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
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
CREATE FUNCTION incident_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the incident flow log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER incident_log_no_change BEFORE UPDATE OR DELETE ON incident_log
    FOR EACH ROW EXECUTE FUNCTION incident_log_append_only();
