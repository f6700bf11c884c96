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
-- trigger. (An AFTER trigger on the attendance rows themselves would see every row its
-- statement wrote, and no row would find itself the enrollment's first.)
ALTER TABLE enrollments ADD COLUMN attended_sessions INTEGER NOT NULL DEFAULT 0;

UPDATE enrollments e SET attended_sessions = a.sessions
FROM (SELECT enrollment_id, count(*) AS sessions FROM session_attendance GROUP BY enrollment_id) a
WHERE a.enrollment_id = e.id;

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
    count(*) FILTER (WHERE e.status = 'completed' OR e.attended_sessions > 0),
    count(*) FILTER (WHERE (e.status = 'completed' OR e.attended_sessions > 0)
        AND u.profession IS NOT DISTINCT FROM 'physician'),
    sum(e.attended_sessions)
FROM enrollments e JOIN users u ON u.id = e.user_id
GROUP BY e.activity_id, e.status;

-- 1 when the learner is a physician, else 0. The learner's row is locked (FOR SHARE) so that a
-- concurrent profession change and this enrollment's change are ordered: either the change
-- waits and then counts this enrollment, or this reads the new profession.
CREATE FUNCTION participation_physician(learner TEXT) RETURNS integer AS $$
DECLARE
    learner_profession TEXT;
BEGIN
    SELECT profession INTO learner_profession FROM users WHERE id = learner FOR SHARE;
    RETURN (learner_profession IS NOT DISTINCT FROM 'physician')::int;
END
$$ LANGUAGE plpgsql;

-- Seats (migrations 000020 and 000027) and participation, kept by one function: one PL/pgSQL
-- call per enrollment change rather than two (two cost about 5% of enrollments per second,
-- measured against the build before; docs/BENCHMARKS.md).
CREATE FUNCTION enrollments_count() RETURNS trigger AS $$
DECLARE
    old_seat boolean := TG_OP <> 'INSERT' AND OLD.status IN ('registered', 'completed');
    new_seat boolean := TG_OP <> 'DELETE' AND NEW.status IN ('registered', 'completed');
    moved boolean := TG_OP = 'UPDATE' AND OLD.activity_id IS DISTINCT FROM NEW.activity_id;
    old_took_part boolean := TG_OP <> 'INSERT' AND (OLD.status = 'completed' OR OLD.attended_sessions > 0);
    new_took_part boolean := TG_OP <> 'DELETE' AND (NEW.status = 'completed' OR NEW.attended_sessions > 0);
    old_physician integer := 0;
    new_physician integer := 0;
BEGIN
    -- The learner's row is read (and locked) before any total is written, so that this never
    -- holds a totals row while it waits for a profession change that wants that row.
    IF old_took_part THEN
        old_physician := participation_physician(OLD.user_id);
    END IF;
    IF new_took_part THEN
        new_physician := participation_physician(NEW.user_id);
    END IF;
    -- A seat is taken or given back only where holding one changed, or the enrollment moved.
    IF old_seat IS DISTINCT FROM new_seat OR moved THEN
        IF old_seat THEN
            UPDATE activities SET seats_taken = seats_taken - 1 WHERE id = OLD.activity_id;
            UPDATE catalog_marks SET change_seq = nextval('catalog_changes') WHERE activity_id = OLD.activity_id;
        END IF;
        IF new_seat THEN
            UPDATE activities SET seats_taken = seats_taken + 1 WHERE id = NEW.activity_id;
            UPDATE catalog_marks SET change_seq = nextval('catalog_changes') WHERE activity_id = NEW.activity_id;
        END IF;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        UPDATE participation_totals SET
            enrollments = enrollments - 1,
            took_part = took_part - old_took_part::int,
            physicians_took_part = physicians_took_part - old_physician,
            session_attendances = session_attendances - OLD.attended_sessions
        WHERE activity_id = OLD.activity_id AND status = OLD.status;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO participation_totals AS t VALUES (
            NEW.activity_id, NEW.status, 1, new_took_part::int, new_physician, NEW.attended_sessions)
        ON CONFLICT (activity_id, status) DO UPDATE SET
            enrollments = t.enrollments + 1,
            took_part = t.took_part + EXCLUDED.took_part,
            physicians_took_part = t.physicians_took_part + EXCLUDED.physicians_took_part,
            session_attendances = t.session_attendances + EXCLUDED.session_attendances;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER enrollments_seats_insert ON enrollments;
DROP TRIGGER enrollments_seats_delete ON enrollments;
DROP TRIGGER enrollments_seats_update ON enrollments;
DROP FUNCTION enrollments_count_seats();

CREATE TRIGGER enrollments_count AFTER INSERT OR DELETE ON enrollments
FOR EACH ROW EXECUTE FUNCTION enrollments_count();

-- Every change of a seat is a change of status or activity, so this also covers the seats.
CREATE TRIGGER enrollments_count_update
AFTER UPDATE OF status, activity_id, user_id, attended_sessions ON enrollments
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.activity_id IS DISTINCT FROM NEW.activity_id
    OR OLD.user_id IS DISTINCT FROM NEW.user_id OR OLD.attended_sessions IS DISTINCT FROM NEW.attended_sessions)
EXECUTE FUNCTION enrollments_count();

CREATE FUNCTION session_attendance_count() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE enrollments SET attended_sessions = attended_sessions - 1 WHERE id = OLD.enrollment_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE enrollments SET attended_sessions = attended_sessions + 1 WHERE id = NEW.enrollment_id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER session_attendance_count AFTER INSERT OR DELETE ON session_attendance
FOR EACH ROW EXECUTE FUNCTION session_attendance_count();

CREATE TRIGGER session_attendance_count_update AFTER UPDATE OF enrollment_id ON session_attendance
FOR EACH ROW WHEN (OLD.enrollment_id IS DISTINCT FROM NEW.enrollment_id)
EXECUTE FUNCTION session_attendance_count();

-- A learner who becomes (or stops being) a physician moves the enrollments in which they took
-- part from one count to the other.
CREATE FUNCTION users_participation_profession() RETURNS trigger AS $$
BEGIN
    UPDATE participation_totals t SET physicians_took_part = t.physicians_took_part
        + CASE WHEN NEW.profession IS NOT DISTINCT FROM 'physician' THEN 1 ELSE -1 END * moved.enrollments
    FROM (
        SELECT activity_id, status, count(*) AS enrollments FROM enrollments
        WHERE user_id = NEW.id AND (status = 'completed' OR attended_sessions > 0)
        GROUP BY activity_id, status
    ) moved
    WHERE t.activity_id = moved.activity_id AND t.status = moved.status;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER users_participation_profession AFTER UPDATE OF profession ON users
FOR EACH ROW WHEN ((OLD.profession IS NOT DISTINCT FROM 'physician') <> (NEW.profession IS NOT DISTINCT FROM 'physician'))
EXECUTE FUNCTION users_participation_profession();
