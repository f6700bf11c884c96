-- Who enrolled in which activity, and how it ended. Rows are never deleted: cancellations
-- and completions are states (attendance and completion records are kept at least 6 years).
CREATE TABLE enrollments (
    id TEXT PRIMARY KEY NOT NULL,
    activity_id TEXT NOT NULL REFERENCES activities (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL,
    -- 1-based place in the waitlist, without gaps; NULL unless waitlisted.
    waitlist_position INTEGER,
    -- `user:<id>` or `client:<id>`.
    enrolled_by TEXT NOT NULL,
    cancel_reason TEXT,
    cancelled_by TEXT,
    cancelled_at TIMESTAMP,
    minutes_spent INTEGER,
    completed_at TIMESTAMP,
    -- The calendar date of completion in the activity's time zone (what boards receive).
    completion_date DATE,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- One live enrollment per learner and activity; cancelled ones stay on record beside it.
CREATE UNIQUE INDEX enrollments_one_live ON enrollments (activity_id, user_id) WHERE status <> 'cancelled';
CREATE INDEX enrollments_activity_status ON enrollments (activity_id, status, waitlist_position);
CREATE INDEX enrollments_user ON enrollments (user_id, id);
CREATE INDEX enrollments_updated ON enrollments (updated_at, id);
