//! The reporting rules, pure: which destinations an award goes to and by when, what a
//! correction is, and whether a record has everything its destination requires. Deadlines and
//! layouts follow ../shared/domain/REPORTING.md; what it marks unconfirmed is kept here and in
//! `formats`, each in one place.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};

use crate::{
    activities::dto::{
        ActivityFormat, CommercialSupport, CreditType, Delivery, Medium, MocCreditType, OutcomeLevel, Rems,
    },
    credits::Credits,
    reporting::dto::{Destination, ItemAction, ItemStatus},
    reports::dto::Method,
    users::dto::StateLicense,
};

/// Days NABP's CPE Monitor accepts a participation after its date (later ones are refused).
pub const CPE_MONITOR_DAYS: u64 = 60;

/// Days a certifying board gives when it sets its own limit (ABP: 30 days after completion);
/// the others count MOC for a year when reported by December 31.
pub const ABP_DAYS: u64 = 30;

/// The states whose boards take completions through CE Broker, with the days they allow after
/// completion (Florida: rule 64B-5.002, 30 days). Others are added here as they are confirmed.
pub const CE_BROKER_STATES: &[(&str, u64)] = &[("FL", 30)];

/// What an award is, for deciding where it goes.
#[derive(Debug, Clone)]
pub struct Award<'a> {
    pub credit_type: CreditType,
    pub moc_board: Option<&'a str>,
    pub completion_date: NaiveDate,
    pub licenses: &'a [StateLicense],
}

/// One destination an award must reach: the state (CE Broker) and the due date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub destination: Destination,
    pub license_state: Option<String>,
    pub due_on: NaiveDate,
}

fn plus_days(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(Days::new(days)).unwrap_or(date)
}

/// State boards take accredited CE, not MOC points.
fn state_board_credit(credit_type: CreditType) -> bool {
    matches!(
        credit_type,
        CreditType::AmaPra1 | CreditType::Ancc | CreditType::Acpe | CreditType::Aapa1 | CreditType::Ipce
    )
}

/// Where an award goes, and by when: ACPE credit to CPE Monitor within 60 days; MOC points to
/// PARS by December 31 of the year (ABP: within 30 days); state-board CE of a licensee of a
/// CE Broker state to CE Broker within that state's days, once per such license.
pub fn destinations(award: &Award) -> Vec<Due> {
    let mut due = Vec::new();
    if award.credit_type == CreditType::Acpe {
        due.push(Due {
            destination: Destination::CpeMonitor,
            license_state: None,
            due_on: plus_days(award.completion_date, CPE_MONITOR_DAYS),
        });
    }
    if award.credit_type.is_moc() {
        let year_end =
            NaiveDate::from_ymd_opt(award.completion_date.year(), 12, 31).unwrap_or(award.completion_date);
        // Boards are named as in learners' `board_ids` (`abim`, `abp`...).
        let due_on = if award.moc_board.is_some_and(|b| b.eq_ignore_ascii_case("abp")) {
            plus_days(award.completion_date, ABP_DAYS).min(year_end)
        } else {
            year_end
        };
        due.push(Due { destination: Destination::ParsLearner, license_state: None, due_on });
    }
    if state_board_credit(award.credit_type) {
        let mut states: Vec<&str> = Vec::new();
        for license in award.licenses {
            let Some((state, days)) = CE_BROKER_STATES.iter().find(|(s, _)| *s == license.state) else {
                continue;
            };
            if !states.contains(state) {
                states.push(state);
                due.push(Due {
                    destination: Destination::CeBroker,
                    license_state: Some(state.to_string()),
                    due_on: plus_days(award.completion_date, *days),
                });
            }
        }
    }
    due
}

/// PARS takes the year's activities by March 31 of the next year.
pub fn activity_due(reported_on: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(reported_on.year() + 1, 3, 31).unwrap_or(reported_on)
}

/// Whether PARS lists the activity: it is designated for AMA PRA Category 1 Credit.
pub fn pars_lists(designations: &[CreditType]) -> bool {
    designations.contains(&CreditType::AmaPra1)
}

/// What happens to an item of a claim that is revoked or amended: nothing sent yet, nothing
/// to take back (superseded); anything the destination has or may have (in a batch, sent,
/// accepted), a delete item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withdrawal {
    Supersede,
    Correct,
    /// Already superseded or itself a delete: nothing to do.
    Nothing,
}

pub fn withdrawal(action: ItemAction, status: ItemStatus) -> Withdrawal {
    match (action, status) {
        (ItemAction::Delete, _) | (_, ItemStatus::Superseded) => Withdrawal::Nothing,
        (ItemAction::Add, ItemStatus::Due) => Withdrawal::Supersede,
        (ItemAction::Add, ItemStatus::InBatch | ItemStatus::Submitted | ItemStatus::Accepted) => {
            Withdrawal::Correct
        }
    }
}

/// The learner as a destination identifies them.
#[derive(Debug, Clone, Default)]
pub struct Learner {
    pub first_name: String,
    pub last_name: String,
    pub nabp_eprofile_id: Option<String>,
    pub birth_mmdd: Option<String>,
    pub npi: Option<String>,
    /// Certifying board → the learner's id there.
    pub board_ids: BTreeMap<String, String>,
    pub licenses: Vec<StateLicense>,
}

/// The activity as a destination identifies it.
#[derive(Debug, Clone, Default)]
pub struct Activity {
    pub id: String,
    pub title: String,
    /// The ACPE designation's UAN.
    pub acpe_uan: Option<String>,
    /// Issued by PARS once the activity is entered there.
    pub accme_activity_id: Option<String>,
    /// CE Broker's course tracking number ("20-…").
    pub cebroker_course_number: Option<String>,
    /// The designated maximum of each credit type (partial credit is reported apart).
    pub maximums: Vec<(CreditType, Credits)>,
    /// What a PARS activity record needs (loaded only for that destination).
    pub pars: Option<ParsFacts>,
}

/// An activity as PARS records it at close-out.
#[derive(Debug, Clone)]
pub struct ParsFacts {
    pub description: String,
    pub format: ActivityFormat,
    pub delivery: Option<Delivery>,
    pub medium: Option<Medium>,
    /// First and last day (local); an enduring material: release and expiry.
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// Live: it has ended; enduring: it is released. PARS takes final (or yearly) counts.
    pub ready: bool,
    pub city: Option<String>,
    pub state_or_province: Option<String>,
    pub country: Option<String>,
    /// Jointly provided with a non-accredited organization.
    pub joint: bool,
    pub commercial_support: Vec<CommercialSupport>,
    pub physicians: i64,
    pub other_learners: i64,
    /// Outcome levels measured (by surveys that collected responses), with how.
    pub outcomes: Vec<(OutcomeLevel, Vec<Method>)>,
    /// MOC: the board's credit type, the points, and ABIM's kinds of points.
    pub moc: Vec<(CreditType, Credits, Vec<MocCreditType>)>,
    pub moc_practice_areas: Vec<String>,
    pub claim_deadline: Option<NaiveDate>,
    pub rems: Option<Rems>,
}

impl ParsFacts {
    /// Held where learners gather: a course or series not only streamed.
    pub fn in_person(&self) -> bool {
        matches!(self.format, ActivityFormat::Course | ActivityFormat::Rss)
            && self.delivery != Some(Delivery::LiveStream)
    }

    /// The outcomes PARS counts: knowledge (3a, 3b), competence (4), performance (5), patient
    /// (6) and community health (7); participation and satisfaction are not outcomes there.
    pub fn measured_outcomes(&self) -> impl Iterator<Item = &(OutcomeLevel, Vec<Method>)> {
        self.outcomes
            .iter()
            .filter(|(level, _)| !matches!(level, OutcomeLevel::Participation | OutcomeLevel::Satisfaction))
    }
}

/// The provider's identifiers at each destination.
#[derive(Debug, Clone, Default)]
pub struct ProviderIds {
    pub name: String,
    /// ACCME provider ID, 7 digits.
    pub accme_provider_id: Option<String>,
    pub acpe_provider_number: Option<String>,
    /// CE Broker provider tracking number ("50-…").
    pub cebroker_provider_number: Option<String>,
}

/// One item with everything its file needs.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    pub item_id: &'a str,
    /// The award (none for a PARS activity record).
    pub claim_id: Option<&'a str>,
    pub action: ItemAction,
    pub credit_type: CreditType,
    pub amount: Credits,
    pub completion_date: NaiveDate,
    pub moc_board: Option<&'a str>,
    pub moc_credit_type: Option<&'a str>,
    pub license_state: Option<&'a str>,
    pub learner: &'a Learner,
    pub activity: &'a Activity,
}

fn digits(value: &str, len: usize) -> bool {
    value.len() == len && value.bytes().all(|b| b.is_ascii_digit())
}

/// `PREFIX-digits`, as CE Broker numbers its providers (50-) and courses (20-).
fn tracking_number(value: &str, prefix: &str) -> bool {
    value
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn shape(valid: bool, message: &'static str) -> Result<(), validator::ValidationError> {
    if valid {
        Ok(())
    } else {
        Err(validator::ValidationError::new("format").with_message(message.into()))
    }
}

/// Field rule: an ACCME activity ID is 9 digits.
pub fn accme_activity_id(value: &str) -> Result<(), validator::ValidationError> {
    shape(digits(value, 9), "must be the 9-digit ACCME activity ID")
}

/// Field rule: a CE Broker course tracking number, `20-` and digits.
pub fn cebroker_course_number(value: &str) -> Result<(), validator::ValidationError> {
    shape(tracking_number(value, "20") && value.len() <= 15, "must be `20-` followed by digits")
}

/// Field rule: an ISO 3166 alpha-3 country code.
pub fn country(value: &str) -> Result<(), validator::ValidationError> {
    shape(
        value.len() == 3 && value.bytes().all(|b| b.is_ascii_uppercase()),
        "must be a 3-letter country code (USA)",
    )
}

/// Field rule: a CE Broker provider tracking number, `50-` and digits.
pub fn cebroker_provider_number(value: &str) -> Result<(), validator::ValidationError> {
    shape(tracking_number(value, "50") && value.len() <= 15, "must be `50-` followed by digits")
}

/// MMDD of a real day of the year.
fn birth_mmdd(value: &str) -> bool {
    digits(value, 4)
        && value[..2]
            .parse::<u32>()
            .ok()
            .zip(value[2..].parse::<u32>().ok())
            .is_some_and(|(m, d)| NaiveDate::from_ymd_opt(2024, m, d).is_some())
}

/// The UAN's shape: `PPPP-JJJJ-YY-SSS-XTT-A` (sequence may run to four digits).
pub fn uan(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    parts.len() == 6
        && digits(parts[0], 4)
        && digits(parts[1], 4)
        && digits(parts[2], 2)
        && (digits(parts[3], 3) || digits(parts[3], 4))
        && parts[4].len() == 3
        && matches!(parts[4].as_bytes()[0], b'L' | b'H' | b'B')
        && digits(&parts[4][1..], 2)
        && matches!(parts[5], "P" | "T")
}

fn need(problems: &mut Vec<String>, present: bool, what: &str) {
    if !present {
        problems.push(what.to_string());
    }
}

/// Why a record cannot go to its destination, or nothing: every required field present, in
/// its format, amounts in 0.25 steps.
pub fn problems(destination: Destination, record: &Record, provider: &ProviderIds) -> Vec<String> {
    let mut problems = Vec::new();
    need(&mut problems, record.amount.is_quarter_step(), "the amount is not in 0.25 steps");
    match destination {
        Destination::CpeMonitor => {
            let provider_number = provider.acpe_provider_number.as_deref().unwrap_or("");
            need(
                &mut problems,
                digits(provider_number, 4),
                "the provider profile has no 4-digit ACPE provider number",
            );
            need(
                &mut problems,
                record
                    .learner
                    .nabp_eprofile_id
                    .as_deref()
                    .is_some_and(|id| (1..=10).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())),
                "the learner has no NABP e-Profile ID",
            );
            need(
                &mut problems,
                record.learner.birth_mmdd.as_deref().is_some_and(birth_mmdd),
                "the learner has no birth month and day (MMDD)",
            );
            need(
                &mut problems,
                record.activity.acpe_uan.as_deref().is_some_and(uan),
                "the activity has no valid ACPE UAN",
            );
        }
        Destination::ParsLearner => {
            need(
                &mut problems,
                provider.accme_provider_id.as_deref().is_some_and(|id| digits(id, 7)),
                "the provider profile has no 7-digit ACCME provider ID",
            );
            need(
                &mut problems,
                record.activity.accme_activity_id.as_deref().is_some_and(|id| digits(id, 9)),
                "the activity has no 9-digit ACCME activity ID (enter it in PARS first)",
            );
            let board = record.moc_board.unwrap_or("");
            need(&mut problems, !board.is_empty(), "the claim names no certifying board");
            need(
                &mut problems,
                record.learner.board_ids.get(board).is_some_and(|id| !id.trim().is_empty()),
                "the learner has no id at the certifying board",
            );
            need(
                &mut problems,
                record.learner.birth_mmdd.as_deref().is_some_and(birth_mmdd),
                "the learner has no birth month and day (MMDD)",
            );
        }
        Destination::ParsActivity => {
            need(
                &mut problems,
                provider.accme_provider_id.as_deref().is_some_and(|id| digits(id, 7)),
                "the provider profile has no 7-digit ACCME provider ID",
            );
            match &record.activity.pars {
                None => problems.push("the activity's PARS facts could not be read".into()),
                Some(pars) => pars_problems(&mut problems, pars, record.action),
            }
            // No learner: the name check below does not apply.
            return problems;
        }
        Destination::CeBroker => {
            need(
                &mut problems,
                record.action == ItemAction::Add,
                "CE Broker takes no deletions by file: correct this completion in CE Broker by hand",
            );
            need(
                &mut problems,
                provider.cebroker_provider_number.as_deref().is_some_and(|n| tracking_number(n, "50")),
                "the provider profile has no CE Broker provider number (50-…)",
            );
            need(
                &mut problems,
                record.activity.cebroker_course_number.as_deref().is_some_and(|n| tracking_number(n, "20")),
                "the activity has no CE Broker course number (20-…)",
            );
            need(
                &mut problems,
                license_for(record).is_some(),
                "the learner no longer holds a license in the state",
            );
            let maximum =
                record.activity.maximums.iter().find(|(t, _)| *t == record.credit_type).map(|(_, m)| *m);
            need(
                &mut problems,
                maximum.is_none_or(|max| record.amount >= max),
                "partial credit needs a CE Broker subject area, which is not recorded: report it in CE Broker by hand",
            );
        }
    }
    need(
        &mut problems,
        !record.learner.first_name.trim().is_empty() && !record.learner.last_name.trim().is_empty(),
        "the learner has no full name",
    );
    problems
}

/// What PARS needs to close an activity record (a delete needs only the ids).
fn pars_problems(problems: &mut Vec<String>, pars: &ParsFacts, action: ItemAction) {
    if action == ItemAction::Delete {
        return;
    }
    need(
        problems,
        pars.ready,
        "the activity has not ended (or is not released): PARS takes it with its counts",
    );
    if pars.in_person() {
        let place = [&pars.city, &pars.state_or_province, &pars.country];
        need(
            problems,
            place.iter().all(|p| p.is_some()),
            "an in-person activity needs reporting.city, state_or_province and country",
        );
    }
    need(
        problems,
        pars.measured_outcomes().next().is_some(),
        "no outcome measured yet (PARS closes an activity with at least one: a test, commitment or follow-up with responses)",
    );
    need(
        problems,
        pars.commercial_support.iter().all(|s| s.amount_minor.is_some() || s.in_kind_description.is_some()),
        "commercial support without an amount or an in-kind description",
    );
}

/// The learner's license in the item's state (CE Broker).
pub fn license_for<'a>(record: &Record<'a>) -> Option<&'a StateLicense> {
    let state = record.license_state?;
    record.learner.licenses.iter().find(|l| l.state == state)
}

/// When a correction is due: at once (the original due date if that is later).
pub fn correction_due(original_due: NaiveDate, today: NaiveDate) -> NaiveDate {
    original_due.max(today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn license(state: &str) -> StateLicense {
        StateLicense {
            state: state.into(),
            license_type: "RN".into(),
            license_number: "RN9999999".into(),
            expires_on: None,
        }
    }

    #[test]
    fn acpe_goes_to_cpe_monitor_within_sixty_days() {
        let award = Award {
            credit_type: CreditType::Acpe,
            moc_board: None,
            completion_date: date(2026, 11, 20),
            licenses: &[],
        };
        assert_eq!(
            destinations(&award),
            [Due { destination: Destination::CpeMonitor, license_state: None, due_on: date(2027, 1, 19) }]
        );
    }

    #[test]
    fn moc_goes_to_pars_by_year_end_or_within_thirty_days_for_abp() {
        let abim = Award {
            credit_type: CreditType::AbimMoc,
            moc_board: Some("abim"),
            completion_date: date(2026, 3, 2),
            licenses: &[],
        };
        assert_eq!(destinations(&abim)[0].due_on, date(2026, 12, 31));
        let abp = Award {
            credit_type: CreditType::AbpMoc,
            moc_board: Some("abp"),
            completion_date: date(2026, 3, 2),
            licenses: &[],
        };
        assert_eq!(destinations(&abp)[0].due_on, date(2026, 4, 1));
        // Late in December the year's end comes first.
        let late = Award { completion_date: date(2026, 12, 20), ..abp };
        assert_eq!(destinations(&late)[0].due_on, date(2026, 12, 31));
    }

    #[test]
    fn a_florida_licensee_goes_to_ce_broker_once_per_state() {
        let licenses = [license("FL"), license("NY"), license("FL")];
        let award = Award {
            credit_type: CreditType::Ancc,
            moc_board: None,
            completion_date: date(2026, 5, 1),
            licenses: &licenses,
        };
        assert_eq!(
            destinations(&award),
            [Due {
                destination: Destination::CeBroker,
                license_state: Some("FL".into()),
                due_on: date(2026, 5, 31)
            }]
        );
        // MOC points are not state CE; a New York license goes nowhere.
        let moc = Award { credit_type: CreditType::AbimMoc, moc_board: Some("abim"), ..award.clone() };
        assert!(destinations(&moc).iter().all(|d| d.destination == Destination::ParsLearner));
        let ny = [license("NY")];
        assert!(destinations(&Award { licenses: &ny, ..award }).is_empty());
    }

    #[test]
    fn withdrawals_supersede_what_was_not_sent_and_correct_the_rest() {
        assert_eq!(withdrawal(ItemAction::Add, ItemStatus::Due), Withdrawal::Supersede);
        for status in [ItemStatus::InBatch, ItemStatus::Submitted, ItemStatus::Accepted] {
            assert_eq!(withdrawal(ItemAction::Add, status), Withdrawal::Correct);
        }
        assert_eq!(withdrawal(ItemAction::Delete, ItemStatus::Accepted), Withdrawal::Nothing);
        assert_eq!(withdrawal(ItemAction::Add, ItemStatus::Superseded), Withdrawal::Nothing);
    }

    #[test]
    fn uans_and_tracking_numbers_are_checked_for_shape() {
        assert!(uan("0129-0000-25-012-L01-P"));
        assert!(uan("0197-9999-26-1234-H05-T"));
        assert!(!uan("0129-0000-25-012-X01-P"));
        assert!(!uan("0129-0000-25-012-L01-Q"));
        assert!(tracking_number("50-1234", "50"));
        assert!(!tracking_number("20-1234", "50"));
        assert!(!tracking_number("50-", "50"));
        assert!(birth_mmdd("0229") && !birth_mmdd("1340") && !birth_mmdd("0230"));
    }

    #[test]
    fn a_cpe_monitor_record_without_an_eprofile_id_is_held_with_the_reason() {
        let learner = Learner {
            first_name: "Ana".into(),
            last_name: "Ruiz".into(),
            birth_mmdd: Some("0314".into()),
            ..Default::default()
        };
        let activity = Activity { acpe_uan: Some("0197-0000-26-001-L01-P".into()), ..Default::default() };
        let provider = ProviderIds { acpe_provider_number: Some("0197".into()), ..Default::default() };
        let record = Record {
            item_id: "i",
            claim_id: Some("c"),
            action: ItemAction::Add,
            credit_type: CreditType::Acpe,
            amount: Credits::from_hundredths(150),
            completion_date: date(2026, 5, 1),
            moc_board: None,
            moc_credit_type: None,
            license_state: None,
            learner: &learner,
            activity: &activity,
        };
        assert_eq!(
            problems(Destination::CpeMonitor, &record, &provider),
            ["the learner has no NABP e-Profile ID"]
        );
        let quarter = Record { amount: Credits::from_hundredths(110), ..record.clone() };
        assert!(problems(Destination::CpeMonitor, &quarter, &provider)
            .contains(&"the amount is not in 0.25 steps".to_string()));
    }

    #[test]
    fn pars_takes_activities_by_march_31_of_the_next_year() {
        assert_eq!(activity_due(date(2026, 11, 20)), date(2027, 3, 31));
        assert_eq!(activity_due(date(2026, 1, 1)), date(2027, 3, 31));
        assert!(pars_lists(&[CreditType::Ancc, CreditType::AmaPra1]));
        assert!(!pars_lists(&[CreditType::Ancc]));
    }

    fn pars_facts(format: ActivityFormat, delivery: Option<Delivery>) -> ParsFacts {
        ParsFacts {
            description: String::new(),
            format,
            delivery,
            medium: None,
            start: date(2026, 5, 1),
            end: date(2026, 5, 1),
            ready: true,
            city: None,
            state_or_province: None,
            country: None,
            joint: false,
            commercial_support: vec![],
            physicians: 3,
            other_learners: 1,
            outcomes: vec![(OutcomeLevel::Competence, vec![Method::Subjective])],
            moc: vec![],
            moc_practice_areas: vec![],
            claim_deadline: None,
            rems: None,
        }
    }

    #[test]
    fn a_pars_record_needs_a_place_in_person_an_outcome_and_an_end() {
        let mut problems = Vec::new();
        pars_problems(
            &mut problems,
            &pars_facts(ActivityFormat::Course, Some(Delivery::InPerson)),
            ItemAction::Add,
        );
        assert_eq!(problems, ["an in-person activity needs reporting.city, state_or_province and country"]);
        let mut problems = Vec::new();
        pars_problems(
            &mut problems,
            &pars_facts(ActivityFormat::Course, Some(Delivery::LiveStream)),
            ItemAction::Add,
        );
        assert!(problems.is_empty(), "{problems:?}");
        let satisfaction_only = ParsFacts {
            outcomes: vec![(OutcomeLevel::Satisfaction, vec![Method::Subjective])],
            ready: false,
            ..pars_facts(ActivityFormat::Enduring, None)
        };
        let mut problems = Vec::new();
        pars_problems(&mut problems, &satisfaction_only, ItemAction::Add);
        assert_eq!(problems.len(), 2, "not released, and satisfaction is no PARS outcome: {problems:?}");
        // A delete needs only the ids.
        let mut problems = Vec::new();
        pars_problems(&mut problems, &satisfaction_only, ItemAction::Delete);
        assert!(problems.is_empty());
    }

    #[test]
    fn corrections_are_due_at_once() {
        assert_eq!(correction_due(date(2026, 1, 1), date(2026, 2, 1)), date(2026, 2, 1));
        assert_eq!(correction_due(date(2026, 3, 1), date(2026, 2, 1)), date(2026, 3, 1));
    }
}
