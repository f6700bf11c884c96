-- The accredited provider as certificates and reports name it: one row, edited by
-- administrators. Until it is first saved, the CE_PROVIDER_* settings stand in for it.
CREATE TABLE provider_profile (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    -- The whole profile as JSON (accreditations and statements are lists nobody queries).
    details TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
