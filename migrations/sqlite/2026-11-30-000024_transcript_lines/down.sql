DROP INDEX reporting_items_user;
DROP INDEX credit_claims_transcript;
ALTER TABLE credit_claims DROP COLUMN acpe_uan;
ALTER TABLE credit_claims DROP COLUMN activity_format;
ALTER TABLE credit_claims DROP COLUMN activity_title;
