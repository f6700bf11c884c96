-- What the boards must receive (ACCME PARS activity and learner records, NABP CPE Monitor,
-- CE Broker): one item per award a destination takes, one per accredited activity PARS must
-- list, and one per correction of something already sent, written in the transaction of the
-- change (an outbox). An award's item carries the facts of its claim (claims are never edited:
-- amendments are new claims); an activity's item has no claim and no learner.
CREATE TABLE reporting_items (
    id TEXT PRIMARY KEY NOT NULL,
    destination TEXT NOT NULL,
    -- add | delete
    action TEXT NOT NULL,
    claim_id TEXT REFERENCES credit_claims (id),
    activity_id TEXT NOT NULL REFERENCES activities (id),
    user_id TEXT REFERENCES users (id),
    credit_type TEXT NOT NULL,
    amount_hundredths INTEGER NOT NULL,
    completion_date DATE NOT NULL,
    moc_board TEXT,
    moc_credit_type TEXT,
    -- CE Broker: the state whose board receives it.
    license_state TEXT,
    -- A delete: the item it takes back.
    correction_of TEXT REFERENCES reporting_items (id),
    due_on DATE NOT NULL,
    -- due | in_batch | submitted | accepted | superseded
    status TEXT NOT NULL,
    -- Why the last batch could not take it (a missing NABP e-Profile ID...).
    hold_reason TEXT,
    -- The destination's message when it last rejected the item (it is then due again).
    rejection TEXT,
    batch_id TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX reporting_items_due ON reporting_items (destination, status, due_on);
CREATE INDEX reporting_items_claim ON reporting_items (claim_id);
CREATE INDEX reporting_items_activity ON reporting_items (activity_id);
CREATE INDEX reporting_items_batch ON reporting_items (batch_id);

-- A frozen set of items and the file rendered for them.
CREATE TABLE reporting_batches (
    id TEXT PRIMARY KEY NOT NULL,
    destination TEXT NOT NULL,
    -- built | sending | submitted | completed
    status TEXT NOT NULL,
    item_count INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    file TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    completed_at TIMESTAMP,
    -- What a board service answered for the batch as a whole, when sent directly.
    service_message TEXT
);

-- What the destination answered for each item of a batch (kept when the item is batched
-- again after a rejection).
CREATE TABLE reporting_batch_items (
    batch_id TEXT NOT NULL REFERENCES reporting_batches (id),
    item_id TEXT NOT NULL REFERENCES reporting_items (id),
    -- accepted | rejected, once known
    outcome TEXT,
    message TEXT,
    PRIMARY KEY (batch_id, item_id)
);
CREATE INDEX reporting_batch_items_item ON reporting_batch_items (item_id);
