-- A seat taken or given back marks its activity's catalog change once, from the seat trigger
-- itself, with a plain UPDATE of the mark. Before, the seat trigger updated the activity row
-- and the row's own trigger then upserted the mark: a second PL/pgSQL call and an
-- INSERT ... ON CONFLICT for every enrollment, cancellation and completion (a twentieth of
-- PostgreSQL's time in an enrollment, profiled). The activity's trigger still marks every
-- insert and every other update; it skips only the seat trigger's own update of the count.
-- The mark row exists for every activity: the insert trigger adds it (migration 000022).
DROP TRIGGER activities_mark_change ON activities;

CREATE TRIGGER activities_mark_insert AFTER INSERT ON activities
FOR EACH ROW EXECUTE FUNCTION activities_mark_change();

CREATE TRIGGER activities_mark_update AFTER UPDATE ON activities
FOR EACH ROW WHEN (pg_trigger_depth() = 0 OR OLD.seats_taken IS NOT DISTINCT FROM NEW.seats_taken)
EXECUTE FUNCTION activities_mark_change();

CREATE OR REPLACE FUNCTION enrollments_count_seats() RETURNS trigger AS $$
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
