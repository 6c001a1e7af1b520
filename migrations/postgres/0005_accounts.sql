-- Accounts (issue 15): a login can be disabled (its sessions end, it cannot
-- log in, it stays for the audit trail and the flow log that name it).
ALTER TABLE users ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;
