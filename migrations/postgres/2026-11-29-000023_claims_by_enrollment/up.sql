-- A claim is looked up by its enrollment and credit type in any status (filing checks for a
-- revoked one, amending for the awarded one, review for the pending one). The partial unique
-- indexes serve only `awarded` and `pending`, and only when the status is a literal, not a
-- prepared statement's parameter: without this index those lookups read the whole table.
CREATE INDEX credit_claims_enrollment ON credit_claims (enrollment_id, credit_type);
