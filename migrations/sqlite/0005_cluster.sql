-- The cluster's tables (see migrations/postgres/0004_cluster.sql). A cluster
-- runs on PostgreSQL; the embedded store has them so that both backends share
-- one shape and one set of statements.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subject TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);

CREATE TABLE job_runs (
    job TEXT NOT NULL,
    slot INTEGER NOT NULL,
    node TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (job, slot)
);
