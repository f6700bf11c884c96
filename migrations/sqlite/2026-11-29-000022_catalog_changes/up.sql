-- A catalog change counter, so that a replica can tell whether the catalog changed since it
-- last looked without reading it: every insert, update (seat counts included, since the seat
-- triggers update the row) and delete of an activity adds one, in the writing transaction.
-- SQLite runs one writer at a time, so one counter row costs no concurrency here and counts
-- in commit order. (PostgreSQL marks each row from a sequence instead: one row bumped by
-- every enrollment would queue them all; see `activities::store::catalog_mark`.)
CREATE TABLE catalog_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    changes INTEGER NOT NULL
);
INSERT INTO catalog_changes (id, changes) VALUES (1, 0);

CREATE TRIGGER activities_change_insert AFTER INSERT ON activities
BEGIN
    UPDATE catalog_changes SET changes = changes + 1 WHERE id = 1;
END;

CREATE TRIGGER activities_change_update AFTER UPDATE ON activities
BEGIN
    UPDATE catalog_changes SET changes = changes + 1 WHERE id = 1;
END;

CREATE TRIGGER activities_change_delete AFTER DELETE ON activities
BEGIN
    UPDATE catalog_changes SET changes = changes + 1 WHERE id = 1;
END;
