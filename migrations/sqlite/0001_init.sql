-- riskmap's embedded store: one SQLite file, `riskmap.db` in the data
-- directory (server/src/store/sqlite.rs).
--
-- The engine in memory is the live truth while the server runs; these tables
-- are what survives a restart. Every layer is loaded back through the same
-- checks as a city directory (an unknown enum name, an open ring or a
-- coordinate out of range is refused with the table and the row's id), and
-- the store refuses on the way in what it could not load back, so a bad row
-- can never keep the server from starting.
--
-- Conventions, the same in migrations/postgres:
-- * Each model field is a column of the same name.
-- * Enums are stored as the names serde gives them (`grid_worker`,
--   `available`, `city`), never as numbers that a reordering could change.
--   There are no CHECK constraints on them: SQLite cannot change a CHECK
--   without rebuilding the table, and the loader checks them anyway.
-- * Polygons (and footprints that may be points or polygons) are GeoJSON
--   geometry text, exactly as serde_json writes it: doubles round-trip
--   bit-exactly. Plain points are `lon`/`lat` REAL columns (WGS84 degrees),
--   which are exact, small, and need no parsing.
-- * Times are INTEGER milliseconds since the Unix epoch, UTC.
-- * Text ids sort byte-wise (SQLite's BINARY collation), as Rust sorts them.
-- * Tables are STRICT, so a value of the wrong type is an error instead of
--   being stored under SQLite's loose type affinity.
-- * There are no foreign keys between layers: the engine checks how layers
--   fit together (a staff member's home grid, an area's parent) when it
--   loads them, and a layer must be replaceable on its own (a new area tree
--   may arrive before the roster that points into it).

-- 区域: the governance tree, city → district → street → community → grid.
CREATE TABLE areas (
    -- GB/T 2260 region code, extended by three digits per level below the
    -- district; the feature id.
    code     TEXT NOT NULL PRIMARY KEY,
    -- Chinese name, e.g. 五马街道.
    name     TEXT NOT NULL,
    -- city | district | street | community | grid. The loader orders the
    -- tree by it (parents before children).
    level    TEXT NOT NULL,
    -- Code of the enclosing area; NULL only for the city.
    parent   TEXT,
    -- GeoJSON MultiPolygon.
    geometry TEXT NOT NULL
) STRICT;

-- 工作人员: the roster, and where each member was last seen.
CREATE TABLE staff (
    -- Stable id, e.g. S000123; the feature id.
    id             TEXT NOT NULL PRIMARY KEY,
    name           TEXT NOT NULL,
    -- grid_worker | police | urban_management | comprehensive | volunteer
    role           TEXT NOT NULL,
    -- JSON array of skill names, e.g. ["mediation","first_aid"]. A list
    -- that is only ever read and written whole: no table of its own.
    skills         TEXT NOT NULL DEFAULT '[]',
    -- Code of the grid they are responsible for (责任网格).
    home_grid      TEXT NOT NULL,
    -- off | available | busy | sos; changed on its own by set_duty.
    duty           TEXT NOT NULL,
    -- JSON array of device ids (the OsmAnd `id` of their phones/trackers).
    devices        TEXT NOT NULL DEFAULT '[]',
    -- The last accepted fix, NULL until the first one. It lives in columns,
    -- not in the track, because it is rewritten in batches many times a
    -- minute and read whole at start-up. A batch only moves it forward
    -- (fix_time_ms must grow), so a late, older fix never drags it back.
    lon            REAL,
    lat            REAL,
    accuracy_m     REAL,
    speed_mps      REAL,
    heading_deg    REAL,
    altitude_m     REAL,
    battery_pct    REAL,
    -- When the device took the fix, and when the server received it.
    fix_time_ms    INTEGER,
    server_time_ms INTEGER,
    -- A fix is whole or absent: position and both times together.
    CHECK ((lon IS NULL) = (lat IS NULL)
       AND (lon IS NULL) = (fix_time_ms IS NULL)
       AND (lon IS NULL) = (server_time_ms IS NULL))
) STRICT;

-- 视频监控: cameras.
CREATE TABLE cameras (
    id          TEXT NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    -- Degrees clockwise from north; NULL for a dome camera that sees all
    -- around.
    heading_deg REAL,
    -- Horizontal field of view, degrees; NULL (or 360) sees all around.
    fov_deg     REAL,
    -- How far it usefully sees, metres.
    range_m     REAL NOT NULL,
    -- RTSP/HLS address, if published.
    stream_url  TEXT,
    -- 1 when reporting, 0 when not.
    online      INTEGER NOT NULL,
    -- Who runs it, e.g. 公安, 城管, 社区 ('' if unknown).
    owner       TEXT NOT NULL,
    -- Where it is mounted, WGS84.
    lon         REAL NOT NULL,
    lat         REAL NOT NULL
) STRICT;

-- 风险源: hazards the city keeps an eye on.
CREATE TABLE risk_sources (
    id       TEXT NOT NULL PRIMARY KEY,
    name     TEXT NOT NULL,
    -- Free text, e.g. 危化品企业.
    category TEXT NOT NULL,
    -- 1 (major, red) … 4 (low, blue): the standard's own numbers, which is
    -- also how serde writes the level.
    level    INTEGER NOT NULL,
    -- GeoJSON Point or MultiPolygon.
    geometry TEXT NOT NULL
) STRICT;

-- 重点场所: schools, hospitals, markets...
CREATE TABLE key_places (
    id       TEXT NOT NULL PRIMARY KEY,
    name     TEXT NOT NULL,
    -- Free text, e.g. 学校.
    category TEXT NOT NULL,
    -- GeoJSON Point or MultiPolygon.
    geometry TEXT NOT NULL
) STRICT;

-- Tracks: every fix received, append-only, written in batches of thousands,
-- pruned by age. No primary key: a resent fix is a fact too, and a rowid
-- table appends fastest. No foreign key to staff: the track of someone who
-- has left the roster is still history, and a check per row would slow the
-- hottest write path.
CREATE TABLE tracks (
    staff_id       TEXT NOT NULL,
    fix_time_ms    INTEGER NOT NULL,
    server_time_ms INTEGER NOT NULL,
    lon            REAL NOT NULL,
    lat            REAL NOT NULL,
    accuracy_m     REAL,
    speed_mps      REAL,
    heading_deg    REAL,
    altitude_m     REAL,
    battery_pct    REAL
) STRICT;
-- Track replay: one person's fixes in a time range, in time order.
CREATE INDEX tracks_staff_time ON tracks (staff_id, fix_time_ms);
-- Retention: the oldest fixes across everyone. Fix times grow, so new
-- entries land at the end of this index, which keeps it cheap to maintain.
CREATE INDEX tracks_time ON tracks (fix_time_ms);

-- Accounts (分级授权: each user sees only their area's subtree).
CREATE TABLE users (
    -- AUTOINCREMENT: an id is never reused, so a deleted user's id (in logs,
    -- in an old session) can never point at somebody else.
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Login name; UNIQUE makes a taken name a conflict, not a second
    -- account, and indexes the login lookup.
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    -- admin | commander | dispatcher | viewer | field
    role          TEXT NOT NULL,
    -- Code of the area the user is bound to.
    area          TEXT NOT NULL,
    -- Field users: the staff member they are.
    staff_id      TEXT,
    -- Argon2id PHC string; the password itself is never stored.
    password_hash TEXT NOT NULL,
    created_ms    INTEGER NOT NULL
) STRICT;

-- Login sessions, known by the SHA-256 of their bearer token: a copy of the
-- database holds no usable token.
CREATE TABLE sessions (
    token_hash TEXT NOT NULL PRIMARY KEY,
    -- A session dies with its user.
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
) STRICT;
-- Finds a user's sessions (logging out everywhere, the cascade above)
-- without a scan.
CREATE INDEX sessions_user ON sessions (user_id);

-- Server-wide settings (e.g. track retention), key → text value.
CREATE TABLE settings (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
