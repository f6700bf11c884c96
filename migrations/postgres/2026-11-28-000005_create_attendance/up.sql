-- A short code learners type to check in to a session (planners read and rotate it).
ALTER TABLE activity_sessions ADD COLUMN check_in_code TEXT;

-- Who attended which session, for how long, and how it was recorded. Kept like enrollments:
-- attendance is what credit rests on.
CREATE TABLE session_attendance (
    session_id TEXT NOT NULL REFERENCES activity_sessions (id),
    enrollment_id TEXT NOT NULL REFERENCES enrollments (id),
    minutes INTEGER NOT NULL,
    -- `check_in` (the learner, with the code) or `planner` (bulk attendance).
    source TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (session_id, enrollment_id)
);
CREATE INDEX session_attendance_enrollment ON session_attendance (enrollment_id);
