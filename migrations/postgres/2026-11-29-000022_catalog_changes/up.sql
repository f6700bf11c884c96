-- A change mark per activity, so that a replica can tell whether the catalog changed since it
-- last looked without reading it: each insert and update of an activity (seat counts
-- included, since the seat triggers update the row) gives the activity the next value of one
-- sequence. A sequence hands out values without locks, and each activity's mark row is only
-- written by whoever holds that activity's row lock, so enrollments in different activities
-- still do not wait on each other. The marks live in a narrow table of their own, so that
-- reading them all scans a few bytes per activity, not the activities' rows.
--
-- Values are taken in statement order, not commit order, so the largest mark alone could miss
-- a change committed late with a smaller one. Their sum cannot: every change replaces an
-- activity's mark with a larger one (or adds one), so with the row count the pair grows with
-- every committed change and never comes back to a value it had (see
-- `activities::store::catalog_mark`).
CREATE SEQUENCE catalog_changes;

CREATE TABLE catalog_marks (
    activity_id TEXT PRIMARY KEY NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    change_seq BIGINT NOT NULL
);
INSERT INTO catalog_marks (activity_id, change_seq)
SELECT id, nextval('catalog_changes') FROM activities;

CREATE FUNCTION activities_mark_change() RETURNS trigger AS $$
BEGIN
    INSERT INTO catalog_marks (activity_id, change_seq) VALUES (NEW.id, nextval('catalog_changes'))
    ON CONFLICT (activity_id) DO UPDATE SET change_seq = excluded.change_seq;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER activities_mark_change AFTER INSERT OR UPDATE ON activities
FOR EACH ROW EXECUTE FUNCTION activities_mark_change();
