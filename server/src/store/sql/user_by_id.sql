SELECT users.id, users.username, users.display_name, users.role, users.area, users.staff_id
FROM users
WHERE id = $1
