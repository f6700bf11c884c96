DROP INDEX credit_claims_one_awarded;
DROP INDEX credit_claims_one_pending;
ALTER TABLE credit_claims DROP COLUMN session_id;
CREATE UNIQUE INDEX credit_claims_one_awarded ON credit_claims (enrollment_id, credit_type) WHERE status = 'awarded';
CREATE UNIQUE INDEX credit_claims_one_pending ON credit_claims (enrollment_id, credit_type) WHERE status = 'pending';
