DROP TRIGGER enrollments_seats_update ON enrollments;
DROP TRIGGER enrollments_seats_delete ON enrollments;
DROP TRIGGER enrollments_seats_insert ON enrollments;
DROP FUNCTION enrollments_count_seats();
ALTER TABLE activities DROP COLUMN seats_taken;
ALTER TABLE activities DROP COLUMN document_json;
ALTER TABLE activities DROP COLUMN summary_json;
