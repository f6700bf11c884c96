//! Survey responses as CSV: one line per response, one column per question.

use crate::{
    http::csv,
    surveys::dto::{self, SurveyResponse},
};

/// The most responses one CSV holds.
pub const CSV_ROWS: i64 = 10_000;

/// One line per response, one column per question.
pub fn responses_csv(responses: &[SurveyResponse], questions: &[dto::Question]) -> String {
    let mut out = String::new();
    let mut header = vec![
        "response_id".to_string(),
        "user_id".into(),
        "attempt".into(),
        "score".into(),
        "passed".into(),
        "submitted_at".into(),
    ];
    header.extend(questions.iter().map(|q| q.id.clone()));
    csv::push_row(&mut out, &header);
    for response in responses {
        let mut row = vec![
            response.id.clone(),
            response.user_id.clone(),
            response.attempt.to_string(),
            response.score.map(|s| s.to_string()).unwrap_or_default(),
            response.passed.map(|p| p.to_string()).unwrap_or_default(),
            response.submitted_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ];
        for question in questions {
            let answer = response.answers.iter().find(|a| a.question_id == question.id);
            row.push(answer.map(answer_text).unwrap_or_default());
        }
        csv::push_row(&mut out, &row);
    }
    out
}

fn answer_text(answer: &dto::Answer) -> String {
    let mut parts = Vec::new();
    if let Some(ids) = &answer.option_ids {
        parts.push(ids.join(";"));
    }
    if let Some(value) = answer.value {
        parts.push(value.to_string());
    }
    if let Some(commit) = answer.commit {
        parts.push(if commit { "yes".into() } else { "no".into() });
    }
    if let Some(text) = &answer.text {
        parts.push(text.clone());
    }
    parts.join(" | ")
}
