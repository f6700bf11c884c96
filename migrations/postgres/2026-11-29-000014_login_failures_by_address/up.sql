-- Failed logins are counted per (account, client address): an attacker's address is slowed
-- without locking the owner out from theirs.
ALTER TABLE login_failures ADD COLUMN client_ip TEXT NOT NULL DEFAULT '';
CREATE INDEX login_failures_pair ON login_failures (email_normalized, client_ip, failed_at);
