-- The flow log in [$1, $2), oldest first, at most $7 entries: only of
-- incidents whose grid is one of $3 (a JSON array of area codes) if it is
-- not NULL; only after the entry ($4, $5, $6) = (at_ms, incident, seq) if
-- $4 is not NULL (the next page of an export).
SELECT l.*
FROM incident_log l JOIN incidents i ON i.id = l.incident
WHERE l.at_ms >= $1 AND l.at_ms < $2
  AND ($3 IS NULL OR i.grid IN ({areas}))
  AND ($4 IS NULL OR (l.at_ms, l.incident, l.seq) > ($4, $5, $6))
ORDER BY l.at_ms, l.incident, l.seq
LIMIT $7
