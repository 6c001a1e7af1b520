-- The audit log: logins and every write, append-only.
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    username TEXT NOT NULL,
    role TEXT NOT NULL,
    area TEXT NOT NULL,
    action TEXT NOT NULL,
    status INTEGER NOT NULL,
    ip TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at_ms);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
