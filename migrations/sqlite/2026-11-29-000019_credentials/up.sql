-- Signing keys serve one purpose each: `access` (access tokens) or `credentials` (the Open
-- Badges credentials and status lists the provider issues). Credential keys are never
-- dropped from the published set: a credential signed years ago must still verify.
ALTER TABLE signing_keys ADD COLUMN purpose TEXT NOT NULL DEFAULT 'access';

-- Bitstring Status Lists (W3C): each issued credential owns one random index of one list;
-- a set bit means revoked. `version` counts the changes (ETag of the published list).
CREATE TABLE credential_status_lists (
    id TEXT PRIMARY KEY NOT NULL,
    purpose TEXT NOT NULL,
    size_bits INTEGER NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- One Open Badges credential per award, issued in the award's transaction. `document` is the
-- unsigned credential as issued (a snapshot: later edits of the activity or the provider
-- do not change what was issued); it is signed when read.
CREATE TABLE credentials (
    id TEXT PRIMARY KEY NOT NULL,
    claim_id TEXT NOT NULL UNIQUE REFERENCES credit_claims (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    status_list_id TEXT NOT NULL REFERENCES credential_status_lists (id),
    status_index INTEGER NOT NULL,
    document TEXT NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    UNIQUE (status_list_id, status_index)
);
CREATE INDEX credentials_revoked ON credentials (status_list_id, revoked_at);
