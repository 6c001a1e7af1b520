SELECT * FROM incident_log WHERE incident = $1 ORDER BY seq
