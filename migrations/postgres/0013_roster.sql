-- 排班: the shifts of each grid (who is due on duty when), one row each, the
-- shift as JSON text; an administrator's save replaces their area's grids'.
CREATE TABLE roster_shifts (
    id   BIGSERIAL PRIMARY KEY,
    grid TEXT COLLATE "C" NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX roster_shifts_grid ON roster_shifts (grid);
