-- Accounts (see migrations/postgres/0005_accounts.sql); 0 or 1 in this
-- STRICT table.
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));
