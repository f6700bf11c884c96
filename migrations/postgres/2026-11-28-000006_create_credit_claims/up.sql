-- Credit claims: what a learner asks for and what was awarded. A claim is never edited in
-- substance: an amendment is a new claim that supersedes the old one, and every change of
-- status is written to credit_claim_audit (who, when, why), kept at least 6 years.
CREATE TABLE credit_claims (
    id TEXT PRIMARY KEY NOT NULL,
    enrollment_id TEXT NOT NULL REFERENCES enrollments (id),
    activity_id TEXT NOT NULL REFERENCES activities (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    credit_type TEXT NOT NULL,
    amount_hundredths INTEGER NOT NULL CHECK (amount_hundredths > 0),
    -- pending, awarded, rejected, revoked, superseded
    status TEXT NOT NULL,
    -- When the learner (or the planner for them) attested that the claim matches actual
    -- participation.
    attested_at TIMESTAMP NOT NULL,
    -- `user:<id>` or `client:<id>`.
    claimed_by TEXT NOT NULL,
    -- The claim this one amends, and the claim that replaced this one.
    supersedes_id TEXT REFERENCES credit_claims (id),
    superseded_by_id TEXT,
    -- The enrollment's completion date (activity time zone): what boards receive.
    completion_date DATE NOT NULL,
    decision_reason TEXT,
    decided_by TEXT,
    decided_at TIMESTAMP,
    awarded_at TIMESTAMP,
    -- Unguessable code of the public verification URL printed on the certificate.
    verification_code TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- One active claim per enrollment and credit type: at most one awarded, and at most one
-- pending (an amendment under review waits beside the award it would replace).
CREATE UNIQUE INDEX credit_claims_one_awarded ON credit_claims (enrollment_id, credit_type) WHERE status = 'awarded';
CREATE UNIQUE INDEX credit_claims_one_pending ON credit_claims (enrollment_id, credit_type) WHERE status = 'pending';
CREATE INDEX credit_claims_user ON credit_claims (user_id, completion_date);
CREATE INDEX credit_claims_activity ON credit_claims (activity_id, id);
CREATE INDEX credit_claims_updated ON credit_claims (updated_at, id);

-- Every change of a claim's status: append-only, kept 6 years (retain_until).
CREATE TABLE credit_claim_audit (
    id TEXT PRIMARY KEY NOT NULL,
    claim_id TEXT NOT NULL REFERENCES credit_claims (id),
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT,
    occurred_at TIMESTAMP NOT NULL,
    retain_until DATE NOT NULL
);
CREATE INDEX credit_claim_audit_claim ON credit_claim_audit (claim_id, occurred_at);

-- The credit feed's sequence. Its one row is updated by every transaction that appends an
-- event, as its last statement: the row lock makes those transactions commit in sequence
-- order, so a reader never sees event n+1 before event n (see docs/ARCHITECTURE.md).
CREATE TABLE credit_event_head (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    last_seq BIGINT NOT NULL
);
INSERT INTO credit_event_head (id, last_seq) VALUES (1, 0);

-- Awards, amendments and revocations for LMS sync, in commit order. `claim` is the claim as
-- the event left it (JSON).
CREATE TABLE credit_events (
    seq BIGINT PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    claim_id TEXT NOT NULL REFERENCES credit_claims (id),
    -- For `credit.amended`: the awarded claim this one replaced.
    replaces_claim_id TEXT REFERENCES credit_claims (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    claim TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL
);

-- History is added, never edited; audit rows go only after their retention.
CREATE FUNCTION ce_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Nested, not AND-ed: SQL does not promise to skip OLD.retain_until on other tables.
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'credit_claim_audit' THEN
        IF OLD.retain_until < CURRENT_DATE THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;
CREATE TRIGGER credit_claim_audit_append_only BEFORE UPDATE OR DELETE ON credit_claim_audit
    FOR EACH ROW EXECUTE FUNCTION ce_append_only();
CREATE TRIGGER credit_events_append_only BEFORE UPDATE OR DELETE ON credit_events
    FOR EACH ROW EXECUTE FUNCTION ce_append_only();
