DROP INDEX credit_claims_enrollment;
