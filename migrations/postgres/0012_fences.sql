-- 电子围栏: the areas an administrator draws, each with the crossings it
-- reports. The whole fence (its GeoJSON geometry included) is JSON text in
-- `body`; the server indexes them in memory.
CREATE TABLE fences (
    id TEXT COLLATE "C" PRIMARY KEY,
    updated_ms BIGINT NOT NULL,
    body TEXT NOT NULL
);
