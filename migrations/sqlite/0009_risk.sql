-- 风险研判 daily snapshots: each grid's risk score and level as last
-- computed on that day (the city's calendar day), for trends. Rewritten through
-- the day; the day's last write stands.
CREATE TABLE risk_daily (
    day   TEXT NOT NULL,
    grid  TEXT NOT NULL,
    score REAL NOT NULL,
    level INTEGER NOT NULL,
    PRIMARY KEY (grid, day)
) STRICT;
