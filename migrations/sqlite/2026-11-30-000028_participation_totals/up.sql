-- Participation totals kept in the transaction of every enrollment and attendance change, so
-- that reports read a few rows per activity instead of counting its enrollments (at 500,000
-- enrollments the four participation counts took 0.6 s of a program report). As with the
-- outcome totals (migration 000021), every count is an integer kept by triggers from the rows
-- as they are written, so the totals stay exactly what grouping the rows would give. Rows
-- whose enrollments fall to zero stay (with 0); readers skip them.
--
-- An enrollment took part when it completed or attended at least one session (whatever its
-- status now); the physicians among those follow the learner's profession as it is now, as
-- the reports always counted them.

-- Sessions attended, per enrollment: attendance rows are counted into it by the triggers below,
-- so that an enrollment's first attendance is one change of its own row, seen by its own
-- trigger, however many attendance rows one statement writes.
ALTER TABLE enrollments ADD COLUMN attended_sessions INTEGER NOT NULL DEFAULT 0;

UPDATE enrollments
SET attended_sessions = (SELECT count(*) FROM session_attendance a WHERE a.enrollment_id = enrollments.id)
WHERE id IN (SELECT enrollment_id FROM session_attendance);

-- Per activity and enrollment status: enrollments, the ones that took part, the physicians
-- among those, and their attendance rows (a learner once per session attended).
CREATE TABLE participation_totals (
    activity_id TEXT NOT NULL REFERENCES activities (id),
    status TEXT NOT NULL,
    enrollments INTEGER NOT NULL,
    took_part INTEGER NOT NULL,
    physicians_took_part INTEGER NOT NULL,
    session_attendances INTEGER NOT NULL,
    PRIMARY KEY (activity_id, status)
);

INSERT INTO participation_totals
SELECT e.activity_id, e.status, count(*),
    sum(e.status = 'completed' OR e.attended_sessions > 0),
    sum((e.status = 'completed' OR e.attended_sessions > 0) AND u.profession IS 'physician'),
    sum(e.attended_sessions)
FROM enrollments e JOIN users u ON u.id = e.user_id
GROUP BY e.activity_id, e.status;

CREATE TRIGGER enrollments_participation_insert AFTER INSERT ON enrollments
BEGIN
    INSERT INTO participation_totals VALUES (
        NEW.activity_id, NEW.status, 1,
        NEW.status = 'completed' OR NEW.attended_sessions > 0,
        CASE WHEN NEW.status = 'completed' OR NEW.attended_sessions > 0
            THEN COALESCE((SELECT profession IS 'physician' FROM users WHERE id = NEW.user_id), 0)
            ELSE 0 END,
        NEW.attended_sessions)
    ON CONFLICT (activity_id, status) DO UPDATE SET
        enrollments = enrollments + 1,
        took_part = took_part + excluded.took_part,
        physicians_took_part = physicians_took_part + excluded.physicians_took_part,
        session_attendances = session_attendances + excluded.session_attendances;
END;

CREATE TRIGGER enrollments_participation_delete AFTER DELETE ON enrollments
BEGIN
    UPDATE participation_totals SET
        enrollments = enrollments - 1,
        took_part = took_part - (OLD.status = 'completed' OR OLD.attended_sessions > 0),
        physicians_took_part = physicians_took_part - CASE
            WHEN OLD.status = 'completed' OR OLD.attended_sessions > 0
            THEN COALESCE((SELECT profession IS 'physician' FROM users WHERE id = OLD.user_id), 0)
            ELSE 0 END,
        session_attendances = session_attendances - OLD.attended_sessions
    WHERE activity_id = OLD.activity_id AND status = OLD.status;
END;

CREATE TRIGGER enrollments_participation_update
AFTER UPDATE OF status, activity_id, user_id, attended_sessions ON enrollments
WHEN OLD.status <> NEW.status OR OLD.activity_id <> NEW.activity_id OR OLD.user_id <> NEW.user_id
    OR OLD.attended_sessions <> NEW.attended_sessions
BEGIN
    UPDATE participation_totals SET
        enrollments = enrollments - 1,
        took_part = took_part - (OLD.status = 'completed' OR OLD.attended_sessions > 0),
        physicians_took_part = physicians_took_part - CASE
            WHEN OLD.status = 'completed' OR OLD.attended_sessions > 0
            THEN COALESCE((SELECT profession IS 'physician' FROM users WHERE id = OLD.user_id), 0)
            ELSE 0 END,
        session_attendances = session_attendances - OLD.attended_sessions
    WHERE activity_id = OLD.activity_id AND status = OLD.status;
    INSERT INTO participation_totals VALUES (
        NEW.activity_id, NEW.status, 1,
        NEW.status = 'completed' OR NEW.attended_sessions > 0,
        CASE WHEN NEW.status = 'completed' OR NEW.attended_sessions > 0
            THEN COALESCE((SELECT profession IS 'physician' FROM users WHERE id = NEW.user_id), 0)
            ELSE 0 END,
        NEW.attended_sessions)
    ON CONFLICT (activity_id, status) DO UPDATE SET
        enrollments = enrollments + 1,
        took_part = took_part + excluded.took_part,
        physicians_took_part = physicians_took_part + excluded.physicians_took_part,
        session_attendances = session_attendances + excluded.session_attendances;
END;

CREATE TRIGGER session_attendance_count_insert AFTER INSERT ON session_attendance
BEGIN
    UPDATE enrollments SET attended_sessions = attended_sessions + 1 WHERE id = NEW.enrollment_id;
END;

CREATE TRIGGER session_attendance_count_delete AFTER DELETE ON session_attendance
BEGIN
    UPDATE enrollments SET attended_sessions = attended_sessions - 1 WHERE id = OLD.enrollment_id;
END;

CREATE TRIGGER session_attendance_count_update AFTER UPDATE OF enrollment_id ON session_attendance
WHEN OLD.enrollment_id <> NEW.enrollment_id
BEGIN
    UPDATE enrollments SET attended_sessions = attended_sessions - 1 WHERE id = OLD.enrollment_id;
    UPDATE enrollments SET attended_sessions = attended_sessions + 1 WHERE id = NEW.enrollment_id;
END;

-- A learner who becomes (or stops being) a physician moves the enrollments in which they took
-- part from one count to the other.
CREATE TRIGGER users_participation_profession AFTER UPDATE OF profession ON users
WHEN (OLD.profession IS 'physician') <> (NEW.profession IS 'physician')
BEGIN
    UPDATE participation_totals SET physicians_took_part = physicians_took_part
        + CASE WHEN NEW.profession IS 'physician' THEN 1 ELSE -1 END * (
            SELECT count(*) FROM enrollments e
            WHERE e.user_id = NEW.id AND e.activity_id = participation_totals.activity_id
                AND e.status = participation_totals.status
                AND (e.status = 'completed' OR e.attended_sessions > 0))
    WHERE (activity_id, status) IN (
        SELECT activity_id, status FROM enrollments
        WHERE user_id = NEW.id AND (status = 'completed' OR attended_sessions > 0));
END;
