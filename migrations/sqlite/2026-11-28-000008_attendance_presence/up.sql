-- The end-of-session code learners send to check out (planners show it in the last minutes).
ALTER TABLE activity_sessions ADD COLUMN check_out_code TEXT;

-- When the learner was present: from the check-in (never before the start) to the check-out
-- or the planner's confirmation (never after the end). `present_to` stays empty while only a
-- check-in is known. Rows recorded as minutes alone (older planner records) leave both empty.
ALTER TABLE session_attendance ADD COLUMN present_from TIMESTAMP;
ALTER TABLE session_attendance ADD COLUMN present_to TIMESTAMP;
