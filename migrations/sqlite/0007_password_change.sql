-- See migrations/postgres/0006_password_change.sql; 0 or 1 in this STRICT
-- table.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0
  CHECK (must_change_password IN (0, 1));
