-- A series is credited per session: a claim for a regularly scheduled series names the
-- session it is for (and is dated with that session's date). Other claims leave it empty.
ALTER TABLE credit_claims ADD COLUMN session_id TEXT REFERENCES activity_sessions (id);

-- One active claim per enrollment, credit type and (for a series) session.
DROP INDEX credit_claims_one_awarded;
DROP INDEX credit_claims_one_pending;
CREATE UNIQUE INDEX credit_claims_one_awarded
    ON credit_claims (enrollment_id, credit_type, COALESCE(session_id, '')) WHERE status = 'awarded';
CREATE UNIQUE INDEX credit_claims_one_pending
    ON credit_claims (enrollment_id, credit_type, COALESCE(session_id, '')) WHERE status = 'pending';
