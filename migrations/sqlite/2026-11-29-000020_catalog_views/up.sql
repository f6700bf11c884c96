-- Catalog views rendered at write time (the summary and the whole activity as JSON text, so a
-- page is written from them without parsing), and the seats held (registered and completed
-- enrollments) kept by triggers in the same transaction as every enrollment change, so
-- enrolling reads a column instead of counting rows.
ALTER TABLE activities ADD COLUMN summary_json TEXT;
ALTER TABLE activities ADD COLUMN document_json TEXT;
ALTER TABLE activities ADD COLUMN seats_taken INTEGER NOT NULL DEFAULT 0;

UPDATE activities SET seats_taken = (
    SELECT count(*) FROM enrollments e
    WHERE e.activity_id = activities.id AND e.status IN ('registered', 'completed')
);

CREATE TRIGGER enrollments_seats_insert AFTER INSERT ON enrollments
WHEN NEW.status IN ('registered', 'completed')
BEGIN
    UPDATE activities SET seats_taken = seats_taken + 1 WHERE id = NEW.activity_id;
END;

CREATE TRIGGER enrollments_seats_delete AFTER DELETE ON enrollments
WHEN OLD.status IN ('registered', 'completed')
BEGIN
    UPDATE activities SET seats_taken = seats_taken - 1 WHERE id = OLD.activity_id;
END;

CREATE TRIGGER enrollments_seats_update AFTER UPDATE OF status, activity_id ON enrollments
WHEN (OLD.status IN ('registered', 'completed')) <> (NEW.status IN ('registered', 'completed'))
    OR OLD.activity_id <> NEW.activity_id
BEGIN
    UPDATE activities SET seats_taken = seats_taken - 1
    WHERE id = OLD.activity_id AND OLD.status IN ('registered', 'completed');
    UPDATE activities SET seats_taken = seats_taken + 1
    WHERE id = NEW.activity_id AND NEW.status IN ('registered', 'completed');
END;
