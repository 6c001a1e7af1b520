-- The log in [$1, $2), newest first, at most $5 entries: of user $3 if it
-- is not NULL, of principals whose area is one of $4 (a JSON array) if it
-- is not NULL.
SELECT seq, at_ms, username, role, area, action, status, ip
FROM audit_log
WHERE at_ms >= $1 AND at_ms < $2
  AND ($3 IS NULL OR username = $3)
  AND ($4 IS NULL OR area IN ({areas}))
ORDER BY seq DESC
LIMIT $5
