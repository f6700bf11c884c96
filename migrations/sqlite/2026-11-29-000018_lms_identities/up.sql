-- Each integration client's own ids for the learners it manages: unique per client, one per
-- learner and client. `source`: `created` (the LMS made the account, and keeps its fields) or
-- `linked` (the learner's own account, found by email: the LMS only fills what is empty).
CREATE TABLE user_external_ids (
    client_id TEXT NOT NULL REFERENCES integration_clients (id),
    external_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (client_id, external_id)
);
CREATE UNIQUE INDEX user_external_ids_user ON user_external_ids (client_id, user_id);
CREATE INDEX users_npi ON users (npi);
