-- A login whose password someone else set (an administrator creating it or
-- resetting it, the operator's `riskmap users add|passwd`) must be given a
-- new one by its owner before it may do anything else.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
