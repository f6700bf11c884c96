ALTER TABLE session_attendance DROP COLUMN present_to;
ALTER TABLE session_attendance DROP COLUMN present_from;
ALTER TABLE activity_sessions DROP COLUMN check_out_code;
