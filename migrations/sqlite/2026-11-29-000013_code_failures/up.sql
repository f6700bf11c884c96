-- Wrong check-in and check-out codes per learner and session: after 10, the learner is
-- refused (429) until the session's window closes, so codes cannot be guessed.
CREATE TABLE code_failures (
    session_id TEXT NOT NULL REFERENCES activity_sessions (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    failures INTEGER NOT NULL,
    last_failed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (session_id, user_id)
);
