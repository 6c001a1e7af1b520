-- Every incident, with the length of its flow log.
SELECT i.*, (SELECT COUNT(*) FROM incident_log l WHERE l.incident = i.id) AS log_len
FROM incidents i
ORDER BY created_ms, id
