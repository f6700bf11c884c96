//! The accreditors' credit rules, as pure functions: how much a learner may claim, what their
//! record must hold for the credit to be reported, and what the certificate must say.

use chrono::NaiveDateTime;

use crate::{
    activities::dto::{ActivityFormat, CreditType},
    credits::Credits,
    error::FieldError,
    users::dto::{Profession, User},
};

/// A session the learner attended, with the credit it carries.
#[derive(Debug, Clone, Copy)]
pub struct AttendedSession {
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub credit: Credits,
}

pub use crate::activities::rules::credit_for_minutes;

/// The most a learner may claim for a regularly scheduled series: the sum of the credit of
/// the sessions attended, where sessions that overlap in time count once. A group of
/// overlapping sessions is worth the smaller of the sum of their credit and the time the group
/// spans.
pub fn attended_sessions_cap(credit_type: CreditType, sessions: &[AttendedSession]) -> Credits {
    let mut sorted = sessions.to_vec();
    sorted.sort_by_key(|s| (s.starts_at, s.ends_at));
    let mut total = Credits::ZERO;
    let mut group: Option<(NaiveDateTime, NaiveDateTime, Credits, bool)> = None;
    let close = |(start, end, credit, overlapped): (NaiveDateTime, NaiveDateTime, Credits, bool)| {
        if overlapped {
            credit.min(credit_for_minutes(credit_type, (end - start).num_minutes()))
        } else {
            credit
        }
    };
    for session in sorted {
        group = Some(match group {
            Some((start, end, credit, _)) if session.starts_at < end => {
                (start, end.max(session.ends_at), credit + session.credit, true)
            }
            Some(done) => {
                total += close(done);
                (session.starts_at, session.ends_at, session.credit, false)
            }
            None => (session.starts_at, session.ends_at, session.credit, false),
        });
    }
    total + group.map_or(Credits::ZERO, close)
}

/// Why an amount cannot be claimed; each is its own problem type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountProblem {
    /// Not a positive multiple of 0.25.
    Increment,
    /// More than the designated maximum.
    AboveMaximum,
    /// More than the time the learner spent (or the sessions they attended).
    AboveParticipation,
}

/// The most one claim may be for, as the contract states it (`amount`'s `maximum`).
pub const CLAIM_CEILING: Credits = Credits::from_hundredths(100_000);

/// The first amount outside the contract's bounds (more than nothing, in quarter steps, at most
/// [`CLAIM_CEILING`]), by position, with why. A single claim gets the specific rule instead
/// ([`check_amount`]); in a batch such a row makes the request malformed as a whole.
pub fn first_malformed_amount(amounts: impl IntoIterator<Item = Credits>) -> Option<(usize, &'static str)> {
    amounts.into_iter().enumerate().find_map(|(index, amount)| {
        if !amount.is_quarter_step() {
            Some((index, "must be more than 0, in steps of 0.25"))
        } else if amount > CLAIM_CEILING {
            Some((index, "must be at most 1000"))
        } else {
            None
        }
    })
}

/// Checks a claimed amount against the designation's maximum and the learner's participation
/// (`None` when it is not known).
pub fn check_amount(
    amount: Credits,
    maximum: Option<Credits>,
    participation: Option<Credits>,
) -> Result<Credits, AmountProblem> {
    if !amount.is_quarter_step() {
        return Err(AmountProblem::Increment);
    }
    if maximum.is_some_and(|max| amount > max) {
        return Err(AmountProblem::AboveMaximum);
    }
    if participation.is_some_and(|cap| amount > cap) {
        return Err(AmountProblem::AboveParticipation);
    }
    Ok(amount)
}

/// ACPE credit goes to the audience its UAN names: `-P` pharmacists, `-T` pharmacy
/// technicians.
pub fn uan_fits_profession(uan: &str, profession: Profession) -> bool {
    match uan.rsplit('-').next() {
        Some("P") => profession == Profession::Pharmacist,
        Some("T") => profession == Profession::PharmacyTechnician,
        _ => false,
    }
}

/// The certifying board whose MOC points a credit type carries (as in `board_ids`).
pub fn moc_board(credit_type: CreditType) -> Option<&'static str> {
    Some(match credit_type {
        CreditType::AbimMoc => "abim",
        CreditType::AbaMoc => "aba",
        CreditType::AbpMoc => "abp",
        CreditType::AbpathMoc => "abpath",
        CreditType::AbsMoc => "abs",
        CreditType::AbohnsMoc => "abohns",
        CreditType::AbtsMoc => "abts",
        CreditType::AbosMoc => "abos",
        _ => return None,
    })
}

/// What the learner record lacks for this credit to be reported: ACPE goes to CPE Monitor
/// with the NABP e-Profile ID and birth month/day; MOC points go to the board with the board
/// ID and the learner's permission.
pub fn missing_reporting_fields(credit_type: CreditType, learner: &User) -> Vec<FieldError> {
    let mut missing = Vec::new();
    let mut require = |present: bool, field: &str, message: &str| {
        if !present {
            missing.push(FieldError::new(field, "required", message));
        }
    };
    if credit_type == CreditType::Acpe {
        require(
            learner.nabp_eprofile_id.is_some(),
            "nabp_eprofile_id",
            "ACPE credit is reported to CPE Monitor with the NABP e-Profile ID: add it to the profile",
        );
        require(
            learner.birth_mmdd.is_some(),
            "birth_mmdd",
            "ACPE credit is reported to CPE Monitor with the birth month and day: add it to the profile",
        );
    }
    if let Some(board) = moc_board(credit_type) {
        require(
            learner.board_ids.contains_key(board),
            &format!("board_ids.{board}"),
            "MOC points are reported with the learner's board ID: add it to the profile",
        );
        require(
            learner.birth_mmdd.is_some(),
            "birth_mmdd",
            "MOC points are reported to the board with the birth month and day: add it to the profile",
        );
        require(
            learner.consent_to_report,
            "consent_to_report",
            "MOC points are reported only with the learner's permission: set consent_to_report",
        );
    }
    missing
}

/// The unit a credit type is counted in, as certificates print it.
pub fn unit(credit_type: CreditType, amount: Credits) -> &'static str {
    match (credit_type, amount.is_one()) {
        (CreditType::AmaPra1, true) => "AMA PRA Category 1 Credit™",
        (CreditType::AmaPra1, false) => "AMA PRA Category 1 Credits™",
        (CreditType::Ancc, true) => "nursing contact hour",
        (CreditType::Ancc, false) => "nursing contact hours",
        (CreditType::Acpe, true) => "ACPE contact hour",
        (CreditType::Acpe, false) => "ACPE contact hours",
        (CreditType::Aapa1, _) => "AAPA Category 1 CME credits",
        (CreditType::Ipce, true) => "IPCE credit",
        (CreditType::Ipce, false) => "IPCE credits",
        (CreditType::Other, _) => "credits",
        (_, true) => "MOC point",
        (_, false) => "MOC points",
    }
}

/// What the statement calls the activity: a series is designated per session.
pub fn format_noun(format: ActivityFormat) -> &'static str {
    match format {
        ActivityFormat::Enduring => "enduring material",
        ActivityFormat::Rss => "regularly scheduled series session",
        _ => "live activity",
    }
}

/// A provider's own designation wording, with `{maximum}`, `{unit}` and `{noun}` filled in.
pub fn own_wording(
    template: &str,
    credit_type: CreditType,
    format: ActivityFormat,
    maximum: Credits,
) -> String {
    template
        .replace("{maximum}", &maximum.to_string())
        .replace("{unit}", unit(credit_type, maximum))
        .replace("{noun}", format_noun(format))
}

/// The designation or approval statement accreditors require on a certificate (the
/// accreditation statement is printed beside it, from the provider profile).
pub fn designation_statement(
    credit_type: CreditType,
    provider: &str,
    format: ActivityFormat,
    maximum: Credits,
) -> String {
    let noun = format_noun(format);
    match credit_type {
        CreditType::AmaPra1 => format!(
            "{provider} designates this {noun} for a maximum of {maximum} {}. Physicians should \
             claim only the credit commensurate with the extent of their participation in the activity.",
            unit(credit_type, maximum)
        ),
        CreditType::Ancc => {
            format!("This {noun} is approved for up to {maximum} {}.", unit(credit_type, maximum))
        }
        CreditType::Acpe => {
            format!("This {noun} is approved for up to {maximum} {}.", unit(credit_type, maximum))
        }
        CreditType::Aapa1 => format!(
            "This {noun} is designated for {maximum} AAPA Category 1 CME credits. PAs should only \
             claim credit commensurate with the extent of their participation."
        ),
        CreditType::Ipce => format!(
            "This {noun} was planned by and for the healthcare team, and learners will receive up \
             to {maximum} Interprofessional Continuing Education (IPCE) credits for learning and \
             change."
        ),
        CreditType::Other => format!("{provider} awards up to {maximum} credits for this {noun}."),
        _ => format!(
            "Successful completion of this {noun} enables the participant to earn up to {maximum} \
             {} in the certifying board's Maintenance of Certification program. It is the \
             CME activity provider's responsibility to submit participant completion information \
             to ACCME for the purpose of granting MOC credit.",
            unit(credit_type, maximum)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hour: u32, minute: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 3, 4).unwrap().and_hms_opt(hour, minute, 0).unwrap()
    }

    fn session(from: (u32, u32), to: (u32, u32), credit: i32) -> AttendedSession {
        AttendedSession {
            starts_at: at(from.0, from.1),
            ends_at: at(to.0, to.1),
            credit: Credits::from_hundredths(credit),
        }
    }

    fn credits(hundredths: i32) -> Credits {
        Credits::from_hundredths(hundredths)
    }

    #[test]
    fn batch_amounts_outside_the_contract_are_found_by_position() {
        let amounts =
            |values: &[i32]| values.iter().map(|&h| Credits::from_hundredths(h)).collect::<Vec<_>>();
        assert_eq!(first_malformed_amount(amounts(&[25, 100_000, 150])), None);
        assert_eq!(first_malformed_amount(amounts(&[100, 100_025])).map(|(i, _)| i), Some(1));
        assert_eq!(first_malformed_amount(amounts(&[100, 130])).map(|(i, _)| i), Some(1));
        assert_eq!(first_malformed_amount(amounts(&[0])).map(|(i, _)| i), Some(0));
        assert_eq!(first_malformed_amount(amounts(&[-100])).map(|(i, _)| i), Some(0));
    }

    #[test]
    fn minutes_become_quarter_credits() {
        assert_eq!(credit_for_minutes(CreditType::AmaPra1, 95).hundredths(), 150);
        assert_eq!(credit_for_minutes(CreditType::AmaPra1, 60).hundredths(), 100);
        assert_eq!(credit_for_minutes(CreditType::AmaPra1, 59).hundredths(), 75);
        // 100 minutes is 1.67 hours: ANCC rounds to 1.75, others may not exceed the time.
        assert_eq!(credit_for_minutes(CreditType::Ancc, 100).hundredths(), 175);
        assert_eq!(credit_for_minutes(CreditType::AmaPra1, 100).hundredths(), 150);
        assert_eq!(credit_for_minutes(CreditType::Ancc, 95).hundredths(), 150);
        assert_eq!(credit_for_minutes(CreditType::AmaPra1, -5).hundredths(), 0);
    }

    #[test]
    fn overlapping_sessions_count_once() {
        // Two separate one-hour sessions: both count.
        let apart = [session((8, 0), (9, 0), 100), session((12, 0), (13, 0), 100)];
        assert_eq!(attended_sessions_cap(CreditType::AmaPra1, &apart).hundredths(), 200);
        // Two parallel one-hour breakouts: one hour of credit.
        let parallel = [session((8, 0), (9, 0), 100), session((8, 0), (9, 0), 100)];
        assert_eq!(attended_sessions_cap(CreditType::AmaPra1, &parallel).hundredths(), 100);
        // Half-overlapping: 8:00-9:30 spans 1.5 hours.
        let staggered = [session((8, 30), (9, 30), 100), session((8, 0), (9, 0), 100)];
        assert_eq!(attended_sessions_cap(CreditType::AmaPra1, &staggered).hundredths(), 150);
        // A group is never worth more than its sessions' credit.
        let short_credit = [session((8, 0), (10, 0), 50), session((9, 0), (11, 0), 50)];
        assert_eq!(attended_sessions_cap(CreditType::AmaPra1, &short_credit).hundredths(), 100);
        // Back to back is not an overlap.
        let adjacent = [session((8, 0), (9, 0), 100), session((9, 0), (10, 0), 100)];
        assert_eq!(attended_sessions_cap(CreditType::AmaPra1, &adjacent).hundredths(), 200);
        assert_eq!(attended_sessions_cap(CreditType::AmaPra1, &[]).hundredths(), 0);
    }

    #[test]
    fn amounts_are_checked_in_order() {
        let check = |amount, maximum: Option<i32>, cap: Option<i32>| {
            check_amount(credits(amount), maximum.map(credits), cap.map(credits)).map(Credits::hundredths)
        };
        assert_eq!(check(150, Some(200), Some(150)), Ok(150));
        assert_eq!(check(130, Some(200), None), Err(AmountProblem::Increment));
        assert_eq!(check(0, Some(200), None), Err(AmountProblem::Increment));
        assert_eq!(check(225, Some(200), None), Err(AmountProblem::AboveMaximum));
        assert_eq!(check(200, Some(200), Some(150)), Err(AmountProblem::AboveParticipation));
        assert_eq!(check(300, None, Some(300)), Ok(300));
    }

    #[test]
    fn reporting_needs_the_learner_ids_of_the_type() {
        let mut learner: User = serde_json::from_value(serde_json::json!({
            "id": "u", "email": "a@b.c", "role": "learner", "active": true, "first_name": "A",
            "last_name": "B", "profession": "pharmacist", "degree": null, "npi": null,
            "nabp_eprofile_id": null, "birth_mmdd": null, "board_ids": {}, "consent_to_report": false,
            "external_id": null, "state_licenses": [], "email_verified": true, "version": 1,
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
        }))
        .unwrap();
        let fields =
            |t, l: &User| missing_reporting_fields(t, l).into_iter().map(|e| e.field).collect::<Vec<_>>();
        assert_eq!(fields(CreditType::Acpe, &learner), ["nabp_eprofile_id", "birth_mmdd"]);
        assert!(fields(CreditType::AmaPra1, &learner).is_empty());
        assert_eq!(
            fields(CreditType::AbimMoc, &learner),
            ["board_ids.abim", "birth_mmdd", "consent_to_report"]
        );
        learner.nabp_eprofile_id = Some("123456".into());
        learner.birth_mmdd = Some("0412".into());
        learner.board_ids.insert("abim".into(), "123456".into());
        learner.consent_to_report = true;
        assert!(fields(CreditType::Acpe, &learner).is_empty());
        assert!(fields(CreditType::AbimMoc, &learner).is_empty());
    }

    #[test]
    fn statements_name_the_provider_and_maximum() {
        let ama =
            designation_statement(CreditType::AmaPra1, "Acme CE", ActivityFormat::Enduring, credits(200));
        assert!(ama.starts_with("Acme CE designates this enduring material for a maximum of 2 AMA PRA"));
        assert_eq!(
            designation_statement(CreditType::Ancc, "Acme CE", ActivityFormat::Course, credits(150)),
            "This live activity is approved for up to 1.5 nursing contact hours."
        );
        assert!(designation_statement(CreditType::AmaPra1, "Acme CE", ActivityFormat::Rss, credits(100))
            .contains("designates this regularly scheduled series session for a maximum of 1 AMA PRA"));
        assert_eq!(
            own_wording(
                "Up to {maximum} {unit} for this {noun}.",
                CreditType::AmaPra1,
                ActivityFormat::Enduring,
                credits(200)
            ),
            "Up to 2 AMA PRA Category 1 Credits\u{2122} for this enduring material."
        );
    }

    #[test]
    fn acpe_credit_goes_to_the_audience_of_the_uan() {
        assert!(uan_fits_profession("0197-0000-26-001-L01-P", Profession::Pharmacist));
        assert!(!uan_fits_profession("0197-0000-26-001-L01-P", Profession::PharmacyTechnician));
        assert!(uan_fits_profession("0197-0000-26-001-L01-T", Profession::PharmacyTechnician));
        assert!(!uan_fits_profession("0197-0000-26-001-L01-T", Profession::Pharmacist));
    }
}
