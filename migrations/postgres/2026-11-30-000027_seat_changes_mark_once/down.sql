CREATE OR REPLACE FUNCTION enrollments_count_seats() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status IN ('registered', 'completed') THEN
        UPDATE activities SET seats_taken = seats_taken - 1 WHERE id = OLD.activity_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status IN ('registered', 'completed') THEN
        UPDATE activities SET seats_taken = seats_taken + 1 WHERE id = NEW.activity_id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER activities_mark_update ON activities;
DROP TRIGGER activities_mark_insert ON activities;

CREATE TRIGGER activities_mark_change AFTER INSERT OR UPDATE ON activities
FOR EACH ROW EXECUTE FUNCTION activities_mark_change();
