-- Outcome totals kept in the transaction of every survey write, so that reports read a few
-- rows per activity, question and Moore level instead of every answer and pair (the program
-- report over 100,000 responses scanned 500,000 answers and 250,000 item pairs). Triggers keep
-- the totals of rows as they are written; every count is an integer and no total is ever
-- recomputed from floats, so the totals stay exactly what grouping the rows would give.
-- Rows whose count falls to zero stay (with 0); readers skip them.

-- A learner's responses in an activity, by kind: what rewriting their pairs reads on every test
-- submission (before this, that read scanned the activity's every latest response of the kind).
CREATE INDEX survey_responses_learner ON survey_responses (activity_id, user_id, kind, latest);

-- Latest answers per question (the answers of a learner's last attempt at a survey).
CREATE TABLE survey_question_totals (
    activity_id TEXT NOT NULL REFERENCES activities (id),
    survey_id TEXT NOT NULL REFERENCES surveys (id),
    kind TEXT NOT NULL,
    question_id TEXT NOT NULL,
    question_type TEXT NOT NULL,
    answers INTEGER NOT NULL,
    -- Of those: scored test items (right or wrong), right ones, and commitments answered yes.
    scored INTEGER NOT NULL,
    right_answers INTEGER NOT NULL,
    yes_answers INTEGER NOT NULL,
    PRIMARY KEY (activity_id, survey_id, kind, question_id, question_type)
);

-- Learners per item and transition (rr, rw, wr, ww) from pre- to post-test: McNemar's b and c.
CREATE TABLE survey_transition_totals (
    activity_id TEXT NOT NULL REFERENCES activities (id),
    question_id TEXT NOT NULL,
    transition TEXT NOT NULL,
    learners INTEGER NOT NULL,
    PRIMARY KEY (activity_id, question_id, transition)
);

-- Per learner and Moore level, their paired items: how many, and how many were right before
-- and after (written with the item pairs, from the same latest tests).
CREATE TABLE survey_level_pairs (
    activity_id TEXT NOT NULL REFERENCES activities (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    moore_level TEXT NOT NULL,
    items INTEGER NOT NULL,
    right_before INTEGER NOT NULL,
    right_after INTEGER NOT NULL,
    PRIMARY KEY (activity_id, user_id, moore_level)
);

-- Learners per activity, level and (items, right before, right after): each learner's percent
-- before and after follows from the profile, so the paired statistics per level come from a
-- few rows per activity, exactly.
CREATE TABLE survey_level_pair_totals (
    activity_id TEXT NOT NULL REFERENCES activities (id),
    moore_level TEXT NOT NULL,
    items INTEGER NOT NULL,
    right_before INTEGER NOT NULL,
    right_after INTEGER NOT NULL,
    learners INTEGER NOT NULL,
    PRIMARY KEY (activity_id, moore_level, items, right_before, right_after)
);

-- Learners per activity and (pre-test score, post-test score) as stored: the sums of the paired
-- scores follow, without adding and subtracting floats as learners retake tests.
CREATE TABLE survey_score_pair_totals (
    activity_id TEXT NOT NULL REFERENCES activities (id),
    pre_score DOUBLE PRECISION NOT NULL,
    post_score DOUBLE PRECISION NOT NULL,
    learners INTEGER NOT NULL,
    PRIMARY KEY (activity_id, pre_score, post_score)
);

INSERT INTO survey_question_totals
SELECT activity_id, survey_id, kind, question_id, question_type, count(*), count(correct),
    COALESCE(sum(correct), 0), sum(CASE WHEN commit_value = 1 THEN 1 ELSE 0 END)
FROM survey_answers WHERE latest = 1
GROUP BY activity_id, survey_id, kind, question_id, question_type;

INSERT INTO survey_transition_totals
SELECT activity_id, question_id, transition, count(*) FROM survey_item_pairs
GROUP BY activity_id, question_id, transition;

INSERT INTO survey_level_pairs
SELECT activity_id, user_id, moore_level, count(*),
    sum(CASE WHEN transition LIKE 'r%' THEN 1 ELSE 0 END),
    sum(CASE WHEN transition LIKE '%r' THEN 1 ELSE 0 END)
FROM survey_item_pairs
GROUP BY activity_id, user_id, moore_level;

INSERT INTO survey_level_pair_totals
SELECT activity_id, moore_level, items, right_before, right_after, count(*) FROM survey_level_pairs
GROUP BY activity_id, moore_level, items, right_before, right_after;

INSERT INTO survey_score_pair_totals
SELECT activity_id, pre_score, post_score, count(*) FROM survey_score_pairs
GROUP BY activity_id, pre_score, post_score;

CREATE FUNCTION survey_answers_total() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.latest = 1 THEN
        UPDATE survey_question_totals SET
            answers = answers - 1,
            scored = scored - (OLD.correct IS NOT NULL)::int,
            right_answers = right_answers - COALESCE(OLD.correct, 0),
            yes_answers = yes_answers - (COALESCE(OLD.commit_value, 0) = 1)::int
        WHERE activity_id = OLD.activity_id AND survey_id = OLD.survey_id AND kind = OLD.kind
            AND question_id = OLD.question_id AND question_type = OLD.question_type;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.latest = 1 THEN
        INSERT INTO survey_question_totals AS t VALUES (
            NEW.activity_id, NEW.survey_id, NEW.kind, NEW.question_id, NEW.question_type, 1,
            (NEW.correct IS NOT NULL)::int, COALESCE(NEW.correct, 0),
            (COALESCE(NEW.commit_value, 0) = 1)::int)
        ON CONFLICT (activity_id, survey_id, kind, question_id, question_type) DO UPDATE SET
            answers = t.answers + 1,
            scored = t.scored + EXCLUDED.scored,
            right_answers = t.right_answers + EXCLUDED.right_answers,
            yes_answers = t.yes_answers + EXCLUDED.yes_answers;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER survey_answers_total_insert AFTER INSERT ON survey_answers
FOR EACH ROW WHEN (NEW.latest = 1) EXECUTE FUNCTION survey_answers_total();
CREATE TRIGGER survey_answers_total_delete AFTER DELETE ON survey_answers
FOR EACH ROW WHEN (OLD.latest = 1) EXECUTE FUNCTION survey_answers_total();
CREATE TRIGGER survey_answers_total_update AFTER UPDATE ON survey_answers
FOR EACH ROW WHEN (OLD.latest = 1 OR NEW.latest = 1) EXECUTE FUNCTION survey_answers_total();

CREATE FUNCTION survey_item_pairs_total() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE survey_transition_totals SET learners = learners - 1
        WHERE activity_id = OLD.activity_id AND question_id = OLD.question_id
            AND transition = OLD.transition;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO survey_transition_totals AS t
        VALUES (NEW.activity_id, NEW.question_id, NEW.transition, 1)
        ON CONFLICT (activity_id, question_id, transition) DO UPDATE SET learners = t.learners + 1;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER survey_item_pairs_total AFTER INSERT OR UPDATE OR DELETE ON survey_item_pairs
FOR EACH ROW EXECUTE FUNCTION survey_item_pairs_total();

CREATE FUNCTION survey_level_pairs_total() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE survey_level_pair_totals SET learners = learners - 1
        WHERE activity_id = OLD.activity_id AND moore_level = OLD.moore_level AND items = OLD.items
            AND right_before = OLD.right_before AND right_after = OLD.right_after;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO survey_level_pair_totals AS t VALUES (
            NEW.activity_id, NEW.moore_level, NEW.items, NEW.right_before, NEW.right_after, 1)
        ON CONFLICT (activity_id, moore_level, items, right_before, right_after)
        DO UPDATE SET learners = t.learners + 1;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER survey_level_pairs_total AFTER INSERT OR UPDATE OR DELETE ON survey_level_pairs
FOR EACH ROW EXECUTE FUNCTION survey_level_pairs_total();

CREATE FUNCTION survey_score_pairs_total() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE survey_score_pair_totals SET learners = learners - 1
        WHERE activity_id = OLD.activity_id AND pre_score = OLD.pre_score
            AND post_score = OLD.post_score;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO survey_score_pair_totals AS t
        VALUES (NEW.activity_id, NEW.pre_score, NEW.post_score, 1)
        ON CONFLICT (activity_id, pre_score, post_score) DO UPDATE SET learners = t.learners + 1;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER survey_score_pairs_total AFTER INSERT OR UPDATE OR DELETE ON survey_score_pairs
FOR EACH ROW EXECUTE FUNCTION survey_score_pairs_total();
