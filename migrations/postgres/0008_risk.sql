-- Line footprints (pipelines, embankments) for risk sources and key places:
-- the type checks of 0001 admitted points and polygons only.
ALTER TABLE risk_sources DROP CONSTRAINT risk_sources_geom_check;
ALTER TABLE risk_sources ADD CONSTRAINT risk_sources_geom_check
    CHECK (GeometryType(geom) IN ('POINT', 'LINESTRING', 'MULTILINESTRING', 'POLYGON', 'MULTIPOLYGON'));
ALTER TABLE key_places DROP CONSTRAINT key_places_geom_check;
ALTER TABLE key_places ADD CONSTRAINT key_places_geom_check
    CHECK (GeometryType(geom) IN ('POINT', 'LINESTRING', 'MULTILINESTRING', 'POLYGON', 'MULTIPOLYGON'));

-- 风险研判 daily snapshots: each grid's risk score and level as last
-- computed on that day (the city's calendar day), for trends. Rewritten through
-- the day; the day's last write stands.
CREATE TABLE risk_daily (
    day   TEXT NOT NULL,
    grid  TEXT COLLATE "C" NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    level SMALLINT NOT NULL,
    PRIMARY KEY (grid, day)
);
