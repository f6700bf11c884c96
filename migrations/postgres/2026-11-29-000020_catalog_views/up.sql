-- Catalog views rendered at write time (the summary and the whole activity as JSON text, so a
-- page is written from them without parsing), and the seats held (registered and completed
-- enrollments) kept by triggers in the same transaction as every enrollment change, so
-- enrolling reads a column instead of counting rows. Every path that changes whether an
-- enrollment holds a seat locks the activity row first, so the trigger's update waits on
-- nothing new.
ALTER TABLE activities ADD COLUMN summary_json TEXT;
ALTER TABLE activities ADD COLUMN document_json TEXT;
ALTER TABLE activities ADD COLUMN seats_taken INTEGER NOT NULL DEFAULT 0;

UPDATE activities SET seats_taken = (
    SELECT count(*) FROM enrollments e
    WHERE e.activity_id = activities.id AND e.status IN ('registered', 'completed')
);

CREATE FUNCTION enrollments_count_seats() RETURNS trigger AS $$
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
