DROP TRIGGER enrollments_seats_update;
DROP TRIGGER enrollments_seats_delete;
DROP TRIGGER enrollments_seats_insert;
ALTER TABLE activities DROP COLUMN seats_taken;
ALTER TABLE activities DROP COLUMN document_json;
ALTER TABLE activities DROP COLUMN summary_json;
