-- The cluster (server/src/cluster): the outbox and the runs of once-only jobs.
--
-- Outbox: every committed change's record for the log between nodes (NATS
-- JetStream), written in the change's own transaction, so that a node that
-- dies between its commit and its publish leaves the record behind for the
-- sweeper to publish. A row is deleted once JetStream has it.
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    subject TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

-- One row per run of a job that must run once (per job and time slot): the
-- lease's fence, and the record of which node ran what when.
CREATE TABLE job_runs (
    job TEXT NOT NULL,
    slot BIGINT NOT NULL,
    node TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (job, slot)
);
