-- Outcome surveys of an activity. The questions are one JSON document (`details`); answers are
-- rows, so that reports aggregate them in the database.
CREATE TABLE surveys (
    id TEXT PRIMARY KEY NOT NULL,
    activity_id TEXT NOT NULL REFERENCES activities (id),
    -- pre_test, post_test, evaluation, follow_up
    kind TEXT NOT NULL,
    details TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX surveys_activity ON surveys (activity_id, id);

-- One submission. `latest` is 1 on a learner's last attempt at a survey, the one that counts.
CREATE TABLE survey_responses (
    id TEXT PRIMARY KEY NOT NULL,
    survey_id TEXT NOT NULL REFERENCES surveys (id),
    activity_id TEXT NOT NULL REFERENCES activities (id),
    enrollment_id TEXT NOT NULL REFERENCES enrollments (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    latest INTEGER NOT NULL,
    -- Tests: share of scored items answered correctly, in hundredths of a percent.
    score_hundredths INTEGER,
    passed INTEGER,
    submitted_at TIMESTAMP NOT NULL,
    UNIQUE (survey_id, user_id, attempt)
);
CREATE INDEX survey_responses_enrollment ON survey_responses (enrollment_id, kind);
CREATE INDEX survey_responses_activity ON survey_responses (activity_id, kind, latest);

-- One answer. Free text is kept apart from identity in reports (they never join users).
CREATE TABLE survey_answers (
    response_id TEXT NOT NULL REFERENCES survey_responses (id),
    question_id TEXT NOT NULL,
    survey_id TEXT NOT NULL REFERENCES surveys (id),
    activity_id TEXT NOT NULL REFERENCES activities (id),
    kind TEXT NOT NULL,
    question_type TEXT NOT NULL,
    moore_level TEXT NOT NULL,
    latest INTEGER NOT NULL,
    -- Choice ids as a JSON array (choice questions).
    option_ids TEXT,
    -- Likert 1-5 or a numeric answer.
    number_value DOUBLE PRECISION,
    -- Commitment to change: 1 yes, 0 no.
    commit_value INTEGER,
    text_value TEXT,
    -- Scored test items: 1 right, 0 wrong.
    correct INTEGER,
    PRIMARY KEY (response_id, question_id)
);
-- Covering indexes of the report queries: they group by these columns without reading rows.
CREATE INDEX survey_answers_scores ON survey_answers (activity_id, latest, kind, question_id, correct);
CREATE INDEX survey_answers_types ON survey_answers (activity_id, question_type, latest, kind, commit_value);

-- Per learner and test item, the latest pre-test and post-test outcome, kept up to date on
-- every submission: McNemar's b and c are counts of `transition` ('rw' right to wrong, 'wr'
-- wrong to right) grouped by item.
CREATE TABLE survey_item_pairs (
    activity_id TEXT NOT NULL REFERENCES activities (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    question_id TEXT NOT NULL,
    moore_level TEXT NOT NULL,
    transition TEXT NOT NULL,
    PRIMARY KEY (activity_id, user_id, question_id)
);

-- Per learner, the latest pre-test and post-test scores (percent), for the paired mean change
-- and Cohen's d: sums of `change` and `change_squared` give mean and standard deviation.
CREATE TABLE survey_score_pairs (
    activity_id TEXT NOT NULL REFERENCES activities (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    pre_score DOUBLE PRECISION NOT NULL,
    post_score DOUBLE PRECISION NOT NULL,
    change DOUBLE PRECISION NOT NULL,
    change_squared DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (activity_id, user_id)
);
