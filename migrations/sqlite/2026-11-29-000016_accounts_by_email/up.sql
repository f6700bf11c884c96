-- Accounts by email: a verified address, and single-use tokens sent by mail (email
-- verification, password reset), stored hashed.
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMP;
-- Accounts from before verification existed were made by the program or trusted then.
UPDATE users SET email_verified_at = created_at;

CREATE TABLE account_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose);
