INSERT INTO audit_log (at_ms, username, role, area, action, status, ip)
VALUES ($1, $2, $3, $4, $5, $6, $7)
