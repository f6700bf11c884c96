-- What a transcript line shows of its activity, kept on the claim: a transcript reads one
-- learner's awarded claims in one index range, in order, instead of looking each claim's
-- activity and credit designation up (two index lookups a line, most of a 1,000-credit
-- transcript's time). The title and format follow the activity's edits (the activities' patch
-- rewrites them in the same transaction); the UAN cannot change once a claim exists, since
-- designations are fixed when the activity is published.
ALTER TABLE credit_claims ADD COLUMN activity_title TEXT NOT NULL DEFAULT '';
ALTER TABLE credit_claims ADD COLUMN activity_format TEXT NOT NULL DEFAULT '';
ALTER TABLE credit_claims ADD COLUMN acpe_uan TEXT;
UPDATE credit_claims SET
    activity_title = (SELECT a.title FROM activities a WHERE a.id = credit_claims.activity_id),
    activity_format = (SELECT a.format FROM activities a WHERE a.id = credit_claims.activity_id),
    acpe_uan = (
        SELECT d.acpe_uan FROM activity_credit_designations d
        WHERE d.activity_id = credit_claims.activity_id AND d.credit_type = credit_claims.credit_type
            AND credit_claims.credit_type = 'acpe'
    );

-- A learner's awarded claims in transcript order (the status a literal in the query).
CREATE INDEX credit_claims_transcript ON credit_claims (user_id, completion_date, id) WHERE status = 'awarded';
-- Where a learner's awards stand with the boards, read with the transcript.
CREATE INDEX reporting_items_user ON reporting_items (user_id);
