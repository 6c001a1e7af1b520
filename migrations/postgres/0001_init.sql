-- riskmap's PostgreSQL + PostGIS store. The engine in memory is the live
-- truth while the server runs; these tables are what survives a restart, and
-- what GIS tools (QGIS, ogr2ogr) can read directly.
--
-- Layers keep each feature's properties as the model's serde form (JSONB)
-- and its geometry as PostGIS geometry in WGS84 (SRID 4326) with a GiST
-- index. Loading goes through the same validating parser as a city
-- directory.

CREATE EXTENSION IF NOT EXISTS postgis;

-- 区域: the governance tree (city → district → street → community → grid).
CREATE TABLE areas (
    code       TEXT PRIMARY KEY,
    level      TEXT NOT NULL,
    parent     TEXT,
    properties JSONB NOT NULL,
    geom       geometry(MultiPolygon, 4326) NOT NULL
);
CREATE INDEX areas_geom ON areas USING gist (geom);

-- 工作人员. The last fix lives in columns (and a point) because it changes
-- every few seconds per person and is written in batches.
CREATE TABLE staff (
    id             TEXT PRIMARY KEY,
    properties     JSONB NOT NULL,
    geom           geometry(Point, 4326),   -- last fix; NULL until the first one
    accuracy_m     REAL,
    speed_mps      REAL,
    heading_deg    REAL,
    altitude_m     REAL,
    battery_pct    REAL,
    fix_time_ms    BIGINT,                  -- device time: a fix only replaces an older one
    server_time_ms BIGINT
);
CREATE INDEX staff_geom ON staff USING gist (geom);

CREATE TABLE cameras (
    id         TEXT PRIMARY KEY,
    properties JSONB NOT NULL,
    geom       geometry(Point, 4326) NOT NULL
);
CREATE INDEX cameras_geom ON cameras USING gist (geom);

CREATE TABLE risk_sources (
    id         TEXT PRIMARY KEY,
    properties JSONB NOT NULL,
    geom       geometry(Geometry, 4326) NOT NULL   -- Point, Polygon or MultiPolygon
);
CREATE INDEX risk_sources_geom ON risk_sources USING gist (geom);

CREATE TABLE key_places (
    id         TEXT PRIMARY KEY,
    properties JSONB NOT NULL,
    geom       geometry(Geometry, 4326) NOT NULL
);
CREATE INDEX key_places_geom ON key_places USING gist (geom);

-- Tracks: every fix received, append-only, written in batches, pruned by the
-- retention setting.
CREATE TABLE tracks (
    staff_id       TEXT NOT NULL,
    fix_time_ms    BIGINT NOT NULL,
    server_time_ms BIGINT NOT NULL,
    geom           geometry(Point, 4326) NOT NULL,
    accuracy_m     REAL,
    speed_mps      REAL,
    heading_deg    REAL,
    altitude_m     REAL,
    battery_pct    REAL
);
CREATE INDEX tracks_staff_time ON tracks (staff_id, fix_time_ms);
CREATE INDEX tracks_time ON tracks (fix_time_ms);
CREATE INDEX tracks_geom ON tracks USING gist (geom);

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    area          TEXT NOT NULL,
    staff_id      TEXT,
    password_hash TEXT NOT NULL,
    created_ms    BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
