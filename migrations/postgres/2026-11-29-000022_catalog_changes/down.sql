DROP TRIGGER activities_mark_change ON activities;
DROP FUNCTION activities_mark_change();
DROP TABLE catalog_marks;
DROP SEQUENCE catalog_changes;
