DROP TRIGGER activities_change_delete;
DROP TRIGGER activities_change_update;
DROP TRIGGER activities_change_insert;
DROP TABLE catalog_changes;
