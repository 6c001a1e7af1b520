-- The audit log: logins and every write, append-only.
CREATE TABLE audit_log (
    seq BIGSERIAL PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    username TEXT NOT NULL,
    role TEXT NOT NULL,
    area TEXT NOT NULL,
    action TEXT NOT NULL,
    status BIGINT NOT NULL,
    ip TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at_ms);

CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
