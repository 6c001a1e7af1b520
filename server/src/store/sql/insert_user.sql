INSERT INTO users (username, display_name, role, area, staff_id, password_hash, created_ms,
                   must_change_password, department)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING id
