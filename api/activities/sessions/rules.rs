//! A session's own rules, as pure functions.

use chrono::{DateTime, Months, NaiveDateTime, Utc};

use crate::{
    activities::{
        dto::{CreditType, SessionInput},
        rules::{credit_for_minutes, is_quarter_step},
    },
    error::FieldError,
};

/// What is wrong with a session: its order, its credit, and for a series the 12-month span
/// across all its sessions (`others`: the other sessions' start and end times).
pub fn session_errors(
    input: &SessionInput,
    series: bool,
    others: &[(NaiveDateTime, NaiveDateTime)],
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if input.ends_at <= input.starts_at {
        errors.push(FieldError::new("ends_at", "order", "must be after starts_at"));
    }
    if input.credit_amount.is_some_and(|amount| !is_quarter_step(amount, 100)) {
        errors.push(FieldError::new(
            "credit_amount",
            "increment",
            "must be more than 0 and at most 100, in 0.25 steps",
        ));
    } else if let Some(amount) = input.credit_amount {
        // A session carries at most its own length (60 minutes = 1 credit, quarter hours).
        let minutes = (input.ends_at - input.starts_at).num_minutes();
        let supported = credit_for_minutes(CreditType::AmaPra1, minutes);
        if input.ends_at > input.starts_at && amount > supported {
            errors.push(FieldError::new(
                "credit_amount",
                "exceeds_duration",
                format!("a {minutes}-minute session carries at most {supported}"),
            ));
        }
    }
    if series && spans_more_than_a_year(input.starts_at, input.ends_at, others) {
        errors.push(FieldError::new(
            "starts_at",
            "rss_span",
            "a regularly scheduled series spans at most 12 months",
        ));
    }
    errors
}

fn spans_more_than_a_year(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    others: &[(NaiveDateTime, NaiveDateTime)],
) -> bool {
    let mut instants: Vec<NaiveDateTime> = others.iter().flat_map(|(start, end)| [*start, *end]).collect();
    instants.extend([starts_at.naive_utc(), ends_at.naive_utc()]);
    match (instants.iter().min(), instants.iter().max()) {
        (Some(first), Some(last)) => {
            first.checked_add_months(Months::new(12)).is_some_and(|limit| *last > limit)
        }
        _ => false,
    }
}

/// Six characters from an alphabet without look-alikes (no 0/O, 1/I/L), easy to read out.
pub fn check_in_code(random: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    random.iter().take(6).map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(start: &str, end: &str, credit: Option<i32>) -> SessionInput {
        SessionInput {
            title: "Grand Rounds".into(),
            starts_at: start.parse().unwrap(),
            ends_at: end.parse().unwrap(),
            location: None,
            presenters: vec![],
            credit_amount: credit.map(crate::credits::Credits::from_hundredths),
        }
    }

    fn codes(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.code).collect()
    }

    #[test]
    fn a_session_ends_after_it_starts_and_carries_quarter_credits() {
        let fine = session("2030-03-06T12:00:00Z", "2030-03-06T13:00:00Z", Some(100));
        assert!(session_errors(&fine, true, &[]).is_empty());
        let backwards = session("2030-03-06T13:00:00Z", "2030-03-06T12:00:00Z", None);
        assert_eq!(codes(session_errors(&backwards, false, &[])), ["order"]);
        let odd_credit = session("2030-03-06T12:00:00Z", "2030-03-06T13:00:00Z", Some(30));
        assert_eq!(codes(session_errors(&odd_credit, false, &[])), ["increment"]);
        let too_much = session("2030-03-06T12:00:00Z", "2030-03-06T13:00:00Z", Some(500));
        assert_eq!(codes(session_errors(&too_much, false, &[])), ["exceeds_duration"]);
    }

    #[test]
    fn a_series_spans_at_most_twelve_months() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap().naive_utc();
        let first = [(at("2030-01-06T12:00:00Z"), at("2030-01-06T13:00:00Z"))];
        let within = session("2031-01-06T11:00:00Z", "2031-01-06T12:00:00Z", None);
        assert!(session_errors(&within, true, &first).is_empty());
        let beyond = session("2031-01-06T12:00:00Z", "2031-01-06T13:01:00Z", None);
        assert_eq!(codes(session_errors(&beyond, true, &first)), ["rss_span"]);
        assert!(session_errors(&beyond, false, &first).is_empty());
    }

    #[test]
    fn codes_avoid_look_alike_characters() {
        let code = check_in_code(&[0, 8, 9, 11, 14, 30, 99]);
        assert_eq!(code.len(), 6);
        assert!(!code.contains(['0', 'O', '1', 'I', 'L']));
    }
}
