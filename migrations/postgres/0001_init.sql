-- riskmap's PostgreSQL + PostGIS store (server/src/store/postgis.rs).
--
-- The engine in memory is the live truth while the server runs; these tables
-- are what survives a restart, and what GIS tools (QGIS, ogr2ogr, GeoServer)
-- can read in place: every layer has a PostGIS geometry column in WGS84
-- (SRID 4326) with a GiST index.
--
-- Conventions, the same as migrations/sqlite:
-- * Each model field is a column of the same name.
-- * Enums are stored as the names serde gives them (`grid_worker`,
--   `available`, `city`), never as numbers that a reordering could change.
--   The loader checks them, reporting the table and row id of a bad one.
-- * Polygons are written with ST_GeomFromGeoJSON and read with ST_AsGeoJSON,
--   through the engine's validating GeoJSON parser. Points (a staff member's
--   last fix, track fixes, cameras) are exact `lon`/`lat` doubles; their
--   PostGIS point is a generated column, so the two can never disagree.
-- * Times are BIGINT milliseconds since the Unix epoch, UTC.
-- * Text ids are COLLATE "C": they sort byte-wise, as Rust sorts them, so
--   ORDER BY id gives the same order on every server whatever its locale,
--   and comparisons are cheaper.
-- * There are no foreign keys between layers: the engine checks how layers
--   fit together (a staff member's home grid, an area's parent) when it
--   loads them, and a layer must be replaceable on its own.

-- Needs the right to create extensions, or the extension already created
-- by an administrator (then this is a no-op).
CREATE EXTENSION IF NOT EXISTS postgis;

-- 区域: the governance tree, city → district → street → community → grid.
CREATE TABLE areas (
    -- GB/T 2260 region code, extended by three digits per level below the
    -- district; the feature id.
    code   TEXT COLLATE "C" PRIMARY KEY,
    -- Chinese name, e.g. 五马街道.
    name   TEXT NOT NULL,
    -- city | district | street | community | grid.
    level  TEXT NOT NULL,
    -- Code of the enclosing area; NULL only for the city.
    parent TEXT COLLATE "C",
    -- The extent; Polygons are stored as one-part MultiPolygons.
    geom   geometry(MultiPolygon, 4326) NOT NULL
);
-- Map clients and GIS tools ask "which areas are in this box?".
CREATE INDEX areas_geom ON areas USING gist (geom);
-- Walking the tree down (an area's children) in SQL, e.g. for reports.
CREATE INDEX areas_parent ON areas (parent);

-- 工作人员: the roster, and where each member was last seen.
CREATE TABLE staff (
    -- Stable id, e.g. S000123; the feature id.
    id             TEXT COLLATE "C" PRIMARY KEY,
    name           TEXT NOT NULL,
    -- grid_worker | police | urban_management | comprehensive | volunteer
    role           TEXT NOT NULL,
    -- JSON array of skill names, e.g. ["mediation", "first_aid"]: read and
    -- written whole, queryable with jsonb operators.
    skills         JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(skills) = 'array'),
    -- Code of the grid they are responsible for (责任网格).
    home_grid      TEXT COLLATE "C" NOT NULL,
    -- off | available | busy | sos; changed on its own by set_duty.
    duty           TEXT NOT NULL,
    -- JSON array of device ids (the OsmAnd `id` of their phones/trackers).
    devices        JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(devices) = 'array'),
    -- The last accepted fix, NULL until the first one. It lives in columns,
    -- not in the track, because it is rewritten in batches many times a
    -- minute and read whole at start-up. A batch only moves it forward
    -- (fix_time_ms must grow), so a late, older fix never drags it back.
    lon            DOUBLE PRECISION,
    lat            DOUBLE PRECISION,
    accuracy_m     REAL,
    speed_mps      REAL,
    heading_deg    REAL,
    altitude_m     REAL,
    battery_pct    REAL,
    -- When the device took the fix, and when the server received it.
    fix_time_ms    BIGINT,
    server_time_ms BIGINT,
    -- The last position for GIS tools; NULL while there is none.
    geom           geometry(Point, 4326)
                   GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED,
    -- A fix is whole or absent: position and both times together.
    CHECK ((lon IS NULL) = (lat IS NULL)
       AND (lon IS NULL) = (fix_time_ms IS NULL)
       AND (lon IS NULL) = (server_time_ms IS NULL))
);
-- "Who is in this box?" from GIS tools.
CREATE INDEX staff_geom ON staff USING gist (geom);

-- 视频监控: cameras.
CREATE TABLE cameras (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT NOT NULL,
    -- Degrees clockwise from north; NULL for a dome camera that sees all
    -- around.
    heading_deg DOUBLE PRECISION,
    -- Horizontal field of view, degrees; NULL (or 360) sees all around.
    fov_deg     DOUBLE PRECISION,
    -- How far it usefully sees, metres.
    range_m     DOUBLE PRECISION NOT NULL,
    -- RTSP/HLS address, if published.
    stream_url  TEXT,
    online      BOOLEAN NOT NULL,
    -- Who runs it, e.g. 公安, 城管, 社区 ('' if unknown).
    owner       TEXT NOT NULL,
    -- Where it is mounted, WGS84.
    lon         DOUBLE PRECISION NOT NULL,
    lat         DOUBLE PRECISION NOT NULL,
    geom        geometry(Point, 4326) NOT NULL
                GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED
);
CREATE INDEX cameras_geom ON cameras USING gist (geom);

-- 风险源: hazards the city keeps an eye on.
CREATE TABLE risk_sources (
    id       TEXT COLLATE "C" PRIMARY KEY,
    name     TEXT NOT NULL,
    -- Free text, e.g. 危化品企业.
    category TEXT NOT NULL,
    -- 1 (major, red) … 4 (low, blue): the standard's own numbers, which is
    -- also how serde writes the level.
    level    SMALLINT NOT NULL,
    -- A point or an extent. The type check keeps GIS-side edits to what the
    -- loader accepts.
    geom     geometry(Geometry, 4326) NOT NULL
             CHECK (GeometryType(geom) IN ('POINT', 'MULTIPOLYGON', 'POLYGON'))
);
CREATE INDEX risk_sources_geom ON risk_sources USING gist (geom);

-- 重点场所: schools, hospitals, markets...
CREATE TABLE key_places (
    id       TEXT COLLATE "C" PRIMARY KEY,
    name     TEXT NOT NULL,
    -- Free text, e.g. 学校.
    category TEXT NOT NULL,
    geom     geometry(Geometry, 4326) NOT NULL
             CHECK (GeometryType(geom) IN ('POINT', 'MULTIPOLYGON', 'POLYGON'))
);
CREATE INDEX key_places_geom ON key_places USING gist (geom);

-- Tracks: every fix received, append-only, written in batches of thousands,
-- pruned by age. No primary key: a resent fix is a fact too, and a heap
-- without one appends fastest. No foreign key to staff: the track of someone
-- who has left the roster is still history, and a check per row would slow
-- the hottest write path.
CREATE TABLE tracks (
    staff_id       TEXT COLLATE "C" NOT NULL,
    fix_time_ms    BIGINT NOT NULL,
    server_time_ms BIGINT NOT NULL,
    lon            DOUBLE PRECISION NOT NULL,
    lat            DOUBLE PRECISION NOT NULL,
    accuracy_m     REAL,
    speed_mps      REAL,
    heading_deg    REAL,
    altitude_m     REAL,
    battery_pct    REAL,
    geom           geometry(Point, 4326) NOT NULL
                   GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED
);
-- Track replay: one person's fixes in a time range, in time order.
CREATE INDEX tracks_staff_time ON tracks (staff_id, fix_time_ms);
-- Retention: the oldest fixes across everyone. Fix times grow, so new
-- entries land at the end of this index, which keeps it cheap to maintain.
CREATE INDEX tracks_time ON tracks (fix_time_ms);
-- "Who passed through here?" (an incident's surroundings, heat maps).
CREATE INDEX tracks_geom ON tracks USING gist (geom);

-- Accounts (分级授权: each user sees only their area's subtree).
CREATE TABLE users (
    -- Never reused, so a deleted user's id can never point at somebody else.
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Login name; UNIQUE makes a taken name a conflict, not a second
    -- account, and indexes the login lookup.
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    -- admin | commander | dispatcher | viewer | field
    role          TEXT NOT NULL,
    -- Code of the area the user is bound to.
    area          TEXT COLLATE "C" NOT NULL,
    -- Field users: the staff member they are.
    staff_id      TEXT COLLATE "C",
    -- Argon2id PHC string; the password itself is never stored.
    password_hash TEXT NOT NULL,
    created_ms    BIGINT NOT NULL
);

-- Login sessions, known by the SHA-256 of their bearer token: a copy of the
-- database holds no usable token.
CREATE TABLE sessions (
    token_hash TEXT COLLATE "C" PRIMARY KEY,
    -- A session dies with its user.
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);
-- Finds a user's sessions (logging out everywhere, the cascade above)
-- without a scan.
CREATE INDEX sessions_user ON sessions (user_id);

-- Server-wide settings (e.g. track retention), key → text value.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
