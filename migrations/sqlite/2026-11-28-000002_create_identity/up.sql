-- People (learners, planners, admins) with the learner record boards and reports need.
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    -- Lower-cased email: uniqueness and look-ups are case-insensitive.
    email_normalized TEXT NOT NULL,
    password_hash TEXT,
    role TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    profession TEXT,
    degree TEXT,
    npi TEXT,
    nabp_eprofile_id TEXT,
    birth_mmdd TEXT,
    consent_to_report BOOLEAN NOT NULL,
    external_id TEXT,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT users_email_unique UNIQUE (email_normalized)
);
CREATE INDEX users_updated_at_id ON users (updated_at, id);
CREATE INDEX users_role_id ON users (role, id);

-- Certifying-board IDs (MOC reporting), one per board.
CREATE TABLE user_board_ids (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    board TEXT NOT NULL,
    board_id TEXT NOT NULL,
    PRIMARY KEY (user_id, board)
);

-- State licenses (CE Broker reporting), in the order the learner gave them.
CREATE TABLE user_licenses (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    state TEXT NOT NULL,
    license_type TEXT NOT NULL,
    license_number TEXT NOT NULL,
    expires_on DATE
);
CREATE INDEX user_licenses_user_position ON user_licenses (user_id, position);

-- Opaque refresh tokens, stored only as SHA-256 hashes. A token is used once (rotated_at);
-- presenting a rotated token again revokes its whole family.
CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    family_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    rotated_at TIMESTAMP,
    revoked_at TIMESTAMP,
    CONSTRAINT refresh_tokens_hash_unique UNIQUE (token_hash)
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Failed password logins, counted per account within a window (shared by all replicas).
CREATE TABLE login_failures (
    id TEXT PRIMARY KEY NOT NULL,
    email_normalized TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_email_time ON login_failures (email_normalized, failed_at);

-- JWT signing keys (Ed25519). The newest unretired key signs; every key verifies, so tokens
-- signed before a rotation stay valid until they expire.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY NOT NULL,
    algorithm TEXT NOT NULL,
    private_key TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    retired_at TIMESTAMP
);

-- Machine clients (hospital LMS systems) using the OAuth 2.0 client-credentials grant.
CREATE TABLE integration_clients (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_by TEXT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
