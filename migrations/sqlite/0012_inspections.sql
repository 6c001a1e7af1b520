-- 场所码: inspections (检查) and check-ins (打卡) at key places, recorded when
-- a worker scans a place's code. The whole record (checklist, photos) is JSON
-- text in `body`; the columns are what lists select by.
CREATE TABLE inspections (
    id TEXT PRIMARY KEY,
    place_id TEXT NOT NULL,
    staff_id TEXT NOT NULL,
    grid TEXT,
    at_ms INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX inspections_at ON inspections (at_ms);
CREATE INDEX inspections_place ON inspections (place_id, at_ms);
