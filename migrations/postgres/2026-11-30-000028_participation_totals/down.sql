DROP TRIGGER users_participation_profession ON users;
DROP FUNCTION users_participation_profession();
DROP TRIGGER session_attendance_count_update ON session_attendance;
DROP TRIGGER session_attendance_count ON session_attendance;
DROP FUNCTION session_attendance_count();
DROP TRIGGER enrollments_count_update ON enrollments;
DROP TRIGGER enrollments_count ON enrollments;
DROP FUNCTION enrollments_count();
DROP FUNCTION participation_physician(TEXT);

-- The seat triggers as migrations 000020 and 000027 left them.
CREATE FUNCTION enrollments_count_seats() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status IN ('registered', 'completed') THEN
        UPDATE activities SET seats_taken = seats_taken - 1 WHERE id = OLD.activity_id;
        UPDATE catalog_marks SET change_seq = nextval('catalog_changes') WHERE activity_id = OLD.activity_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status IN ('registered', 'completed') THEN
        UPDATE activities SET seats_taken = seats_taken + 1 WHERE id = NEW.activity_id;
        UPDATE catalog_marks SET change_seq = nextval('catalog_changes') WHERE activity_id = NEW.activity_id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER enrollments_seats_insert AFTER INSERT ON enrollments
FOR EACH ROW WHEN (NEW.status IN ('registered', 'completed'))
EXECUTE FUNCTION enrollments_count_seats();

CREATE TRIGGER enrollments_seats_delete AFTER DELETE ON enrollments
FOR EACH ROW WHEN (OLD.status IN ('registered', 'completed'))
EXECUTE FUNCTION enrollments_count_seats();

CREATE TRIGGER enrollments_seats_update AFTER UPDATE OF status, activity_id ON enrollments
FOR EACH ROW WHEN ((OLD.status IN ('registered', 'completed')) IS DISTINCT FROM (NEW.status IN ('registered', 'completed'))
    OR OLD.activity_id IS DISTINCT FROM NEW.activity_id)
EXECUTE FUNCTION enrollments_count_seats();
DROP TABLE participation_totals;
ALTER TABLE enrollments DROP COLUMN attended_sessions;
