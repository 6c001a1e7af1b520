-- A session and its user, by the SHA-256 of its token (none for a
-- disabled login).
SELECT sessions.token_hash, sessions.user_id, sessions.created_ms, sessions.expires_ms,
       users.id, users.username, users.display_name, users.role, users.area, users.staff_id, users.department,
       users.must_change_password
FROM sessions JOIN users ON users.id = sessions.user_id
WHERE sessions.token_hash = $1 AND NOT users.disabled
