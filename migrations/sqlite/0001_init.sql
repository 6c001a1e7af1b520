-- riskmap's embedded store (SQLite). The engine in memory is the live truth
-- while the server runs; these tables are what survives a restart.
--
-- Layers keep each feature as its GeoJSON parts: `properties` is the model's
-- serde form (JSON text) and `geometry` a GeoJSON geometry (text). Loading
-- goes through the same validating parser as a city directory, so the store
-- can never hand the engine something an import would have refused.

-- 区域: the governance tree (city → district → street → community → grid).
CREATE TABLE areas (
    code       TEXT PRIMARY KEY,          -- GB/T 2260 + street/community/grid digits
    level      TEXT NOT NULL,             -- city | district | street | community | grid
    parent     TEXT,                      -- NULL for the city
    properties TEXT NOT NULL,             -- {"code","name","level","parent"}
    geometry   TEXT NOT NULL              -- GeoJSON MultiPolygon
);

-- 工作人员: the roster. The last fix lives in columns, not in `properties`,
-- because it changes every few seconds per person and is written in batches.
CREATE TABLE staff (
    id             TEXT PRIMARY KEY,
    properties     TEXT NOT NULL,         -- the model without last_fix
    lon            REAL,                  -- last fix, WGS84; NULL until the first one
    lat            REAL,
    accuracy_m     REAL,
    speed_mps      REAL,
    heading_deg    REAL,
    altitude_m     REAL,
    battery_pct    REAL,
    fix_time_ms    INTEGER,               -- device time: a fix only replaces an older one
    server_time_ms INTEGER
);

CREATE TABLE cameras (
    id         TEXT PRIMARY KEY,
    properties TEXT NOT NULL,
    geometry   TEXT NOT NULL              -- GeoJSON Point
);

CREATE TABLE risk_sources (
    id         TEXT PRIMARY KEY,
    properties TEXT NOT NULL,
    geometry   TEXT NOT NULL              -- Point, Polygon or MultiPolygon
);

CREATE TABLE key_places (
    id         TEXT PRIMARY KEY,
    properties TEXT NOT NULL,
    geometry   TEXT NOT NULL
);

-- Tracks: every fix received, append-only, written in batches, pruned by the
-- retention setting. No primary key: duplicates are facts too (a phone that
-- resent a fix), and a rowid table appends fastest.
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
);
-- Track replay reads one person's fixes in a time range.
CREATE INDEX tracks_staff_time ON tracks (staff_id, fix_time_ms);
-- Retention deletes by time.
CREATE INDEX tracks_time ON tracks (fix_time_ms);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,          -- admin | commander | dispatcher | viewer | field
    area          TEXT NOT NULL,          -- area code the user is bound to ('' = everything, admins only)
    staff_id      TEXT,                   -- field users: who they are
    password_hash TEXT NOT NULL,          -- argon2id PHC string
    created_ms    INTEGER NOT NULL
);

-- Sessions are known by the SHA-256 of their bearer token only.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
