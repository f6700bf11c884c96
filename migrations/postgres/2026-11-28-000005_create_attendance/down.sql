DROP TABLE session_attendance;
ALTER TABLE activity_sessions DROP COLUMN check_in_code;
