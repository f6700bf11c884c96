DROP INDEX login_failures_pair;
ALTER TABLE login_failures DROP COLUMN client_ip;
