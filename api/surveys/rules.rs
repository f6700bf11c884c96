//! What makes a survey well-formed and an answer valid, and how tests are scored. Pure
//! functions.

use std::collections::{HashMap, HashSet};

use crate::{
    error::FieldError,
    surveys::dto::{Answer, Question, QuestionType, SurveyInput, SurveyKind},
};

pub const DEFAULT_MAX_LENGTH: u32 = 2000;
pub const DEFAULT_POST_TEST_ATTEMPTS: u8 = 3;
pub const DEFAULT_FOLLOW_UP_WINDOW_DAYS: u32 = 30;

fn is_choice(question_type: QuestionType) -> bool {
    matches!(question_type, QuestionType::SingleChoice | QuestionType::MultipleChoice)
}

/// Cross-field rules of a survey, each naming its field.
pub fn check_survey(input: &SurveyInput) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut error =
        |field: String, code: &str, message: &str| errors.push(FieldError::new(field, code, message));
    let mut ids = HashSet::new();
    for (index, question) in input.questions.iter().enumerate() {
        let at = |field: &str| format!("questions[{index}].{field}");
        if !ids.insert(question.id.as_str()) {
            error(at("id"), "duplicate", "question ids must be unique within a survey");
        }
        let option_ids: HashSet<&str> = question.options.iter().map(|o| o.id.as_str()).collect();
        if is_choice(question.question_type) {
            if question.options.len() < 2 {
                error(at("options"), "too_few", "a choice question needs at least two options");
            }
            if option_ids.len() != question.options.len() {
                error(at("options"), "duplicate", "option ids must be unique within a question");
            }
        } else if !question.options.is_empty() || !question.correct_option_ids.is_empty() {
            error(at("options"), "not_applicable", "only choice questions have options");
        }
        if question.correct_option_ids.iter().any(|id| !option_ids.contains(id.as_str())) {
            error(at("correct_option_ids"), "unknown_option", "correct options must be among the options");
        }
        if question.question_type == QuestionType::SingleChoice && question.correct_option_ids.len() > 1 {
            error(at("correct_option_ids"), "too_many", "a single-choice item has one correct option");
        }
        if !question.correct_option_ids.is_empty() && !input.kind.is_test() {
            error(at("correct_option_ids"), "not_applicable", "only pre- and post-tests are scored");
        }
        if !question.likert_labels.is_empty()
            && (question.question_type != QuestionType::Likert || question.likert_labels.len() != 5)
        {
            error(at("likert_labels"), "invalid", "a Likert item has five labels, for 1 to 5");
        }
        if question.question_type != QuestionType::Numeric
            && (question.min.is_some() || question.max.is_some())
        {
            error(at("min"), "not_applicable", "only numeric questions have bounds");
        }
        if let (Some(min), Some(max)) = (question.min, question.max) {
            if !(min.is_finite() && max.is_finite()) || min > max {
                error(at("max"), "order", "max must not be below min");
            }
        }
    }
    if input.kind == SurveyKind::FollowUp && input.opens_after_days.is_none() {
        error(
            "opens_after_days".into(),
            "required",
            "a follow-up opens some days after completion (e.g. 30)",
        );
    }
    if input.kind != SurveyKind::FollowUp
        && (input.opens_after_days.is_some() || input.closes_after_days.is_some())
    {
        error("opens_after_days".into(), "not_applicable", "only follow-ups open after completion");
    }
    if input.kind != SurveyKind::PostTest && input.max_attempts.is_some_and(|n| n > 1) {
        error("max_attempts".into(), "not_applicable", "only post-tests allow several attempts");
    }
    errors
}

/// One answer, checked against its question.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedAnswer {
    pub question_id: String,
    pub option_ids: Option<Vec<String>>,
    pub number: Option<f64>,
    pub commit: Option<bool>,
    pub text: Option<String>,
    /// Scored items: whether the answer is right.
    pub correct: Option<bool>,
}

fn answer_error(question_id: &str, code: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(format!("answers.{question_id}"), code, message)
}

/// Checks one answer against its question.
fn check_answer(question: &Question, answer: &Answer) -> Result<CheckedAnswer, FieldError> {
    let id = question.id.as_str();
    let max_length = question.max_length.unwrap_or(DEFAULT_MAX_LENGTH) as usize;
    let mut checked = CheckedAnswer {
        question_id: id.to_string(),
        option_ids: None,
        number: None,
        commit: None,
        text: None,
        correct: None,
    };
    let wrong_field = |what: &str| answer_error(id, "wrong_type", format!("this question takes {what}"));
    match question.question_type {
        QuestionType::SingleChoice | QuestionType::MultipleChoice => {
            let chosen = answer.option_ids.clone().ok_or_else(|| wrong_field("option_ids"))?;
            let known: HashSet<&str> = question.options.iter().map(|o| o.id.as_str()).collect();
            if let Some(unknown) = chosen.iter().find(|o| !known.contains(o.as_str())) {
                return Err(answer_error(id, "unknown_option", format!("no option `{unknown}`")));
            }
            let distinct: HashSet<&str> = chosen.iter().map(String::as_str).collect();
            let single = question.question_type == QuestionType::SingleChoice;
            if chosen.is_empty() || distinct.len() != chosen.len() || (single && chosen.len() != 1) {
                let expected = if single { "exactly one option" } else { "one or more distinct options" };
                return Err(answer_error(id, "option_count", format!("choose {expected}")));
            }
            if !question.correct_option_ids.is_empty() {
                let right: HashSet<&str> = question.correct_option_ids.iter().map(String::as_str).collect();
                checked.correct = Some(right == distinct);
            }
            checked.option_ids = Some(chosen);
        }
        QuestionType::Likert => {
            let value = answer.value.ok_or_else(|| wrong_field("a value from 1 to 5"))?;
            if value.fract() != 0.0 || !(1.0..=5.0).contains(&value) {
                return Err(answer_error(id, "out_of_range", "a whole number from 1 to 5"));
            }
            checked.number = Some(value);
        }
        QuestionType::Numeric => {
            let value = answer.value.filter(|v| v.is_finite()).ok_or_else(|| wrong_field("a number"))?;
            if question.min.is_some_and(|min| value < min) || question.max.is_some_and(|max| value > max) {
                let bounds = format!("{:?} to {:?}", question.min, question.max);
                return Err(answer_error(id, "out_of_range", format!("the answer must lie within {bounds}")));
            }
            checked.number = Some(value);
        }
        QuestionType::FreeText => {
            let text = answer.text.clone().ok_or_else(|| wrong_field("text"))?;
            checked.text = Some(text);
        }
        QuestionType::CommitmentToChange => {
            let commit = answer.commit.ok_or_else(|| wrong_field("commit (yes or no) and, for yes, text"))?;
            if commit && answer.text.as_deref().is_none_or(|t| t.trim().is_empty()) {
                return Err(answer_error(id, "required", "say what you will change"));
            }
            checked.commit = Some(commit);
            checked.text = answer.text.clone();
        }
    }
    if checked.text.as_ref().is_some_and(|t| t.chars().count() > max_length) {
        return Err(answer_error(id, "too_long", format!("at most {max_length} characters")));
    }
    Ok(checked)
}

/// Checks every answer against the survey's questions: unknown or repeated questions, a wrong
/// kind of answer, unknown options, out-of-range values, too long text, and required
/// questions left out are each named.
pub fn check_answers(
    questions: &[Question],
    answers: &[Answer],
) -> Result<Vec<CheckedAnswer>, Vec<FieldError>> {
    let by_id: HashMap<&str, &Question> = questions.iter().map(|q| (q.id.as_str(), q)).collect();
    let mut errors = Vec::new();
    let mut checked = Vec::new();
    let mut seen = HashSet::new();
    for answer in answers {
        let Some(question) = by_id.get(answer.question_id.as_str()) else {
            errors.push(answer_error(
                &answer.question_id,
                "unknown_question",
                "the survey has no such question",
            ));
            continue;
        };
        if !seen.insert(answer.question_id.as_str()) {
            errors.push(answer_error(&answer.question_id, "duplicate", "answered twice"));
            continue;
        }
        match check_answer(question, answer) {
            Ok(answer) => checked.push(answer),
            Err(error) => errors.push(error),
        }
    }
    for question in questions.iter().filter(|q| q.required && !seen.contains(q.id.as_str())) {
        errors.push(answer_error(&question.id, "required", "this question must be answered"));
    }
    if errors.is_empty() {
        Ok(checked)
    } else {
        Err(errors)
    }
}

/// Percent of the scored items answered correctly (unanswered scored items count as wrong);
/// `None` when the survey scores nothing.
pub fn score(questions: &[Question], answers: &[CheckedAnswer]) -> Option<f64> {
    let scored = questions.iter().filter(|q| !q.correct_option_ids.is_empty()).count();
    if scored == 0 {
        return None;
    }
    let right = answers.iter().filter(|a| a.correct == Some(true)).count();
    Some(((right as f64 / scored as f64) * 10_000.0).round() / 100.0)
}

/// One test item a learner answered in both their latest pre-test and post-test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemPair<'a> {
    pub question_id: &'a str,
    pub moore_level: &'a str,
    pub right_before: bool,
    pub right_after: bool,
}

impl ItemPair<'_> {
    /// `rr`, `rw`, `wr` or `ww`: right or wrong before, then after.
    pub fn transition(&self) -> &'static str {
        match (self.right_before, self.right_after) {
            (true, true) => "rr",
            (true, false) => "rw",
            (false, true) => "wr",
            (false, false) => "ww",
        }
    }
}

/// The post-test items (question id, Moore level, 1 right or 0 wrong) that the pre-test also
/// scored, each question once: an activity may hold two post-tests that share a question id,
/// and the first answer listed is the one paired.
pub fn item_pairs<'a>(pre: &[(String, String, i32)], post: &'a [(String, String, i32)]) -> Vec<ItemPair<'a>> {
    let mut pairs: Vec<ItemPair<'a>> = Vec::new();
    for (question, level, after) in post {
        if pairs.iter().any(|pair| pair.question_id == question) {
            continue;
        }
        if let Some((_, _, before)) = pre.iter().find(|(q, _, _)| q == question) {
            pairs.push(ItemPair {
                question_id: question,
                moore_level: level,
                right_before: *before == 1,
                right_after: *after == 1,
            });
        }
    }
    pairs
}

/// A learner's paired items at one Moore level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LevelProfile {
    pub items: i32,
    pub right_before: i32,
    pub right_after: i32,
}

/// The learner's paired items per Moore level (levels with at least one pair).
pub fn level_profiles<'a>(pairs: &[ItemPair<'a>]) -> std::collections::BTreeMap<&'a str, LevelProfile> {
    let mut levels: std::collections::BTreeMap<&str, LevelProfile> = std::collections::BTreeMap::new();
    for pair in pairs {
        let profile = levels.entry(pair.moore_level).or_default();
        profile.items += 1;
        profile.right_before += i32::from(pair.right_before);
        profile.right_after += i32::from(pair.right_after);
    }
    levels
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activities::dto::OutcomeLevel;

    fn question(id: &str, question_type: QuestionType) -> Question {
        Question {
            id: id.into(),
            question_type,
            text: "?".into(),
            required: true,
            moore_level: OutcomeLevel::DeclarativeKnowledge,
            objective: None,
            options: Vec::new(),
            correct_option_ids: Vec::new(),
            likert_labels: Vec::new(),
            min: None,
            max: None,
            max_length: None,
        }
    }

    fn choice(id: &str, correct: &[&str]) -> Question {
        let mut q = question(id, QuestionType::SingleChoice);
        q.options = ["a", "b", "c"]
            .iter()
            .map(|o| crate::surveys::dto::ChoiceOption { id: (*o).into(), text: (*o).into() })
            .collect();
        q.correct_option_ids = correct.iter().map(|c| (*c).to_string()).collect();
        q
    }

    fn answer(question_id: &str) -> Answer {
        Answer { question_id: question_id.into(), option_ids: None, value: None, text: None, commit: None }
    }

    fn codes(result: Result<Vec<CheckedAnswer>, Vec<FieldError>>) -> Vec<(String, String)> {
        result.err().unwrap_or_default().into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn answers_are_checked_against_their_questions() {
        let mut numeric = question("n", QuestionType::Numeric);
        numeric.min = Some(0.0);
        numeric.max = Some(10.0);
        let mut text = question("t", QuestionType::FreeText);
        text.max_length = Some(5);
        text.required = false;
        let questions = vec![choice("c", &["a"]), question("l", QuestionType::Likert), numeric, text];
        let mut c = answer("c");
        c.option_ids = Some(vec!["z".into()]);
        let mut l = answer("l");
        l.value = Some(6.0);
        let mut n = answer("n");
        n.value = Some(11.0);
        let mut t = answer("t");
        t.text = Some("toolong".into());
        let found = codes(check_answers(&questions, &[c, l, n, t, answer("x")]));
        assert_eq!(
            found,
            [
                ("answers.c".into(), "unknown_option".into()),
                ("answers.l".into(), "out_of_range".into()),
                ("answers.n".into(), "out_of_range".into()),
                ("answers.t".into(), "too_long".into()),
                ("answers.x".into(), "unknown_question".into()),
            ]
        );
        // Required questions left out are named; optional ones are not.
        let found = codes(check_answers(&questions, &[]));
        assert_eq!(found.len(), 3);
        assert!(found.iter().all(|(_, code)| code == "required"));
    }

    #[test]
    fn tests_are_scored_on_exact_option_sets() {
        let questions =
            vec![choice("q1", &["a"]), choice("q2", &["b"]), question("q3", QuestionType::Likert)];
        let mut right = answer("q1");
        right.option_ids = Some(vec!["a".into()]);
        let mut wrong = answer("q2");
        wrong.option_ids = Some(vec!["a".into()]);
        let mut likert = answer("q3");
        likert.value = Some(4.0);
        let checked = check_answers(&questions, &[right, wrong, likert]).unwrap();
        assert_eq!(checked[0].correct, Some(true));
        assert_eq!(checked[1].correct, Some(false));
        assert_eq!(checked[2].correct, None);
        assert_eq!(score(&questions, &checked), Some(50.0));
        assert_eq!(score(&[question("l", QuestionType::Likert)], &[]), None);
    }

    #[test]
    fn commitments_need_a_statement_when_yes() {
        let questions = vec![question("k", QuestionType::CommitmentToChange)];
        let mut yes = answer("k");
        yes.commit = Some(true);
        assert_eq!(
            codes(check_answers(&questions, std::slice::from_ref(&yes))),
            [("answers.k".into(), "required".into())]
        );
        yes.text = Some("Order lactate at triage".into());
        assert!(check_answers(&questions, &[yes]).is_ok());
    }

    #[test]
    fn surveys_are_well_formed() {
        let input = SurveyInput {
            kind: SurveyKind::Evaluation,
            title: "Evaluation".into(),
            questions: vec![choice("q", &["d"]), choice("q", &[])],
            opens_after_days: Some(30),
            closes_after_days: None,
            max_attempts: Some(2),
        };
        let fields: Vec<String> = check_survey(&input).into_iter().map(|e| e.field).collect();
        assert!(fields.contains(&"questions[0].correct_option_ids".to_string()));
        assert!(fields.contains(&"questions[1].id".to_string()));
        assert!(fields.contains(&"opens_after_days".to_string()));
        assert!(fields.contains(&"max_attempts".to_string()));
    }

    fn answered(items: &[(&str, &str, i32)]) -> Vec<(String, String, i32)> {
        items.iter().map(|(q, level, right)| (q.to_string(), level.to_string(), *right)).collect()
    }

    #[test]
    fn items_pair_by_question_once_and_only_when_both_tests_scored_them() {
        let pre = answered(&[("q1", "3a", 0), ("q2", "3a", 1), ("q3", "3b", 1)]);
        let post = answered(&[("q1", "3a", 1), ("q2", "3a", 0), ("q4", "3b", 1), ("q1", "3a", 0)]);
        let pairs = item_pairs(&pre, &post);
        let found: Vec<(&str, &str)> = pairs.iter().map(|p| (p.question_id, p.transition())).collect();
        assert_eq!(found, vec![("q1", "wr"), ("q2", "rw")]);
    }

    #[test]
    fn level_profiles_count_items_and_rights_per_level() {
        let pre = answered(&[("q1", "3a", 0), ("q2", "3a", 1), ("q3", "3b", 1)]);
        let post = answered(&[("q1", "3a", 1), ("q2", "3a", 1), ("q3", "3b", 0)]);
        let profiles = level_profiles(&item_pairs(&pre, &post));
        assert_eq!(profiles.get("3a"), Some(&LevelProfile { items: 2, right_before: 1, right_after: 2 }));
        assert_eq!(profiles.get("3b"), Some(&LevelProfile { items: 1, right_before: 1, right_after: 0 }));
        assert_eq!(profiles.len(), 2);
    }
}
