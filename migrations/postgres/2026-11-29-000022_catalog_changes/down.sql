DROP TRIGGER activities_mark_change ON activities;
DROP FUNCTION activities_mark_change();
ALTER TABLE activities DROP COLUMN change_seq;
DROP SEQUENCE catalog_changes;
