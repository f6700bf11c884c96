-- A change mark on every activity, so that a replica can tell whether the catalog changed since
-- it last looked without reading it: each insert and update (seat counts included, since the
-- seat triggers update the row) takes the next value of one sequence. A sequence hands out
-- values without locks, so enrollments in different activities still do not wait on each other.
--
-- Values are taken in statement order, not commit order, so the largest mark alone could miss
-- a change committed late with a smaller one. Their sum cannot: every change replaces a row's
-- mark with a larger one (or adds a row), so with the row count the pair grows with every
-- committed change and never comes back to a value it had (see `activities::store::catalog_mark`).
CREATE SEQUENCE catalog_changes;

ALTER TABLE activities ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
UPDATE activities SET change_seq = nextval('catalog_changes');

CREATE FUNCTION activities_mark_change() RETURNS trigger AS $$
BEGIN
    NEW.change_seq := nextval('catalog_changes');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER activities_mark_change BEFORE INSERT OR UPDATE ON activities
FOR EACH ROW EXECUTE FUNCTION activities_mark_change();
