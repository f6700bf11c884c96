DROP TABLE credit_events;
DROP TABLE credit_event_head;
DROP TABLE credit_claim_audit;
DROP TABLE credit_claims;
