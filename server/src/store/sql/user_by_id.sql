SELECT users.id, users.username, users.display_name, users.role, users.area, users.staff_id, users.department,
       users.must_change_password
FROM users
WHERE id = $1
