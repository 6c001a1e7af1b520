SELECT users.id, users.username, users.display_name, users.role, users.area, users.staff_id,
       users.password_hash
FROM users
WHERE username = $1
