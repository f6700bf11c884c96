//! The accreditation rules of an activity, as pure functions: what makes an activity
//! well-formed (checked on every write) and what makes it publishable (checked on publish).

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveDateTime, Utc};
use validator::ValidationError;

use crate::{
    activities::dto::{Activity, ActivityFormat, ActivityInput, ActivityListing, CreditMaximum, CreditType},
    credits::Credits,
    error::FieldError,
    users::dto::Profession,
};

/// A positive amount in 0.25 steps, at most `max` whole credits.
pub fn is_quarter_step(amount: Credits, max: i32) -> bool {
    amount.is_quarter_step() && amount <= Credits::from_hundredths(max * 100)
}

/// Time spent, as credit: 60 minutes = 1 credit, in quarter steps. ANCC contact hours are
/// rounded to the nearest quarter hour (evaluation time included); every other type may not
/// exceed the time spent, so it rounds down.
pub fn credit_for_minutes(credit_type: CreditType, minutes: i64) -> Credits {
    // A quarter credit is 15 minutes.
    let minutes = minutes.max(0);
    let quarters = match credit_type {
        CreditType::Ancc => (minutes * 2 + 15) / 30,
        _ => minutes / 15,
    };
    Credits::from_quarters(quarters)
}

/// Minutes of instruction in a set of sessions: their union, so overlapping sessions (parallel
/// breakouts) count once.
pub fn instructional_minutes(windows: &[(NaiveDateTime, NaiveDateTime)]) -> i64 {
    let mut sorted: Vec<_> = windows.iter().filter(|(start, end)| end > start).copied().collect();
    sorted.sort();
    let mut total = 0;
    let mut current: Option<(NaiveDateTime, NaiveDateTime)> = None;
    for (start, end) in sorted {
        current = match current {
            Some((from, to)) if start <= to => Some((from, to.max(end))),
            Some((from, to)) => {
                total += (to - from).num_minutes();
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    total + current.map_or(0, |(from, to)| (to - from).num_minutes())
}

/// The scheduled instruction of a live activity: its sessions, or, before it has any, its
/// start to end. `None` when neither is known (a draft without dates).
fn scheduled_windows(
    input: &ActivityInput,
    sessions: &[(NaiveDateTime, NaiveDateTime)],
) -> Vec<(NaiveDateTime, NaiveDateTime)> {
    match (sessions.is_empty(), input.starts_at, input.ends_at) {
        (false, _, _) => sessions.to_vec(),
        (true, Some(start), Some(end)) => vec![(start.naive_utc(), end.naive_utc())],
        _ => Vec::new(),
    }
}

/// Designations a live activity's schedule can carry: the maximum never exceeds the scheduled
/// instruction (overlaps once; 60 minutes = 1 credit in quarter hours), and a series' maximum
/// per session never exceeds its longest session.
pub fn designation_fits_schedule(
    input: &ActivityInput,
    sessions: &[(NaiveDateTime, NaiveDateTime)],
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if !input.format.is_live() {
        return errors;
    }
    let windows = scheduled_windows(input, sessions);
    if windows.is_empty() {
        return errors;
    }
    let (minutes, what) = if input.format == ActivityFormat::Rss {
        let longest = windows.iter().map(|(start, end)| (*end - *start).num_minutes()).max().unwrap_or(0);
        (longest, "the longest session of the series")
    } else {
        (instructional_minutes(&windows), "the scheduled instruction (overlapping sessions once)")
    };
    for (index, designation) in input.credit_designations.iter().enumerate() {
        let supported = credit_for_minutes(designation.credit_type, minutes);
        if designation.max_amount > supported {
            error(
                &mut errors,
                format!("credit_designations[{index}].max_amount"),
                "exceeds_schedule",
                format!("{what} is {minutes} minutes: at most {supported} may be designated"),
            );
        }
    }
    errors
}

/// What exists beside the activity document that publishing depends on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutcomeMeasures {
    pub evaluation: bool,
    pub post_test: bool,
}

/// Whether every completion requirement can be met and every designated type's own rules
/// hold, with the sessions and surveys the activity has. Each problem names its field.
pub fn readiness_blockers(
    input: &ActivityInput,
    sessions: &[(NaiveDateTime, NaiveDateTime)],
    measures: OutcomeMeasures,
) -> Vec<FieldError> {
    let mut blockers = designation_fits_schedule(input, sessions);
    let requirements = &input.completion_requirements;
    if input.format.is_live() && sessions.is_empty() {
        if requirements.min_attendance_percent.is_some() {
            error(
                &mut blockers,
                "completion_requirements.min_attendance_percent",
                "sessions_required",
                "attendance is counted over sessions: add the sessions before publishing",
            );
        } else if input.format == ActivityFormat::Rss {
            error(&mut blockers, "sessions", "required", "a series needs its sessions before publishing");
        }
    }
    if requirements.evaluation_required && !measures.evaluation {
        error(
            &mut blockers,
            "completion_requirements.evaluation_required",
            "evaluation_missing",
            "an evaluation is required: add the evaluation survey before publishing",
        );
    }
    if requirements.post_test_passing_score.is_some() && !measures.post_test {
        error(
            &mut blockers,
            "completion_requirements.post_test_passing_score",
            "post_test_missing",
            "a passing score needs a post-test: add it before publishing",
        );
    }
    board_rules(input, measures, &mut blockers);
    blockers
}

/// Every session presenter must be one of the activity's people with a disclosure (ACCME
/// Standard 3: everyone in control of content discloses before the activity). `presenters`
/// holds each session's presenter names, in session order.
pub fn undisclosed_presenters(input: &ActivityInput, presenters: &[Vec<String>]) -> Vec<FieldError> {
    let disclosed = |name: &str| {
        input.people.iter().any(|p| p.name.trim().eq_ignore_ascii_case(name.trim()) && p.disclosure.is_some())
    };
    let mut blockers = Vec::new();
    for (session, names) in presenters.iter().enumerate() {
        for (index, name) in names.iter().enumerate() {
            if !disclosed(name) {
                error(
                    &mut blockers,
                    format!("sessions[{session}].presenters[{index}]"),
                    "undisclosed",
                    format!("{name} presents but is not among the activity's people with a disclosure"),
                );
            }
        }
    }
    blockers
}

/// MOC rides on AMA PRA Category 1 credit and needs an evaluation; IPCE is for activities
/// planned by and for the health care team.
fn board_rules(input: &ActivityInput, measures: OutcomeMeasures, blockers: &mut Vec<FieldError>) {
    let designates = |t: CreditType| input.credit_designations.iter().any(|d| d.credit_type == t);
    for (index, designation) in input.credit_designations.iter().enumerate() {
        let field = format!("credit_designations[{index}].credit_type");
        if designation.credit_type == CreditType::AbimMoc && designation.moc_credit_types.is_empty() {
            error(
                blockers,
                format!("credit_designations[{index}].moc_credit_types"),
                "required",
                "ABIM counts MOC points by type: name medical_knowledge, practice_assessment or patient_safety",
            );
        }
        if designation.credit_type.is_moc() {
            if !designates(CreditType::AmaPra1) {
                error(
                    blockers,
                    field.clone(),
                    "moc_needs_ama",
                    "MOC points are awarded with AMA PRA Category 1 credit: designate it too",
                );
            }
            if !measures.evaluation {
                error(
                    blockers,
                    field.clone(),
                    "moc_needs_evaluation",
                    "MOC activities need an evaluation: add the evaluation survey",
                );
            }
        }
        if designation.credit_type == CreditType::Ipce {
            let planners: std::collections::HashSet<Profession> = input
                .people
                .iter()
                .filter(|p| p.role == crate::activities::dto::PersonRole::Planner)
                .filter_map(|p| p.profession)
                .collect();
            let audience: std::collections::HashSet<&Profession> = input.target_professions.iter().collect();
            if planners.len() < 2 || audience.len() < 2 {
                error(
                    blockers,
                    field,
                    "ipce_team",
                    "IPCE is for activities planned by and for the team: name planners of at least two professions and target at least two",
                );
            }
        }
    }
}

/// `PPPP-JJJJ-YY-SSS-XTT-A`.
pub fn is_valid_uan(uan: &str) -> bool {
    let parts: Vec<&str> = uan.split('-').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    matches!(parts.as_slice(), [p, j, y, s, xtt, a]
        if digits(p, 4) && digits(j, 4) && digits(y, 2) && digits(s, 3)
            && xtt.len() == 3 && matches!(&xtt[..1], "L" | "H" | "B") && digits(&xtt[1..], 2)
            && matches!(*a, "P" | "T"))
}

/// The UAN's activity type letter must fit the format: live formats are L, enduring
/// materials H (home study); other formats may be any, including B (blended).
fn uan_fits_format(uan: &str, format: ActivityFormat) -> bool {
    let letter = uan.split('-').nth(4).and_then(|xtt| xtt.chars().next());
    match (format, letter) {
        (f, Some(l)) if f.is_live() => l == 'L' || l == 'B',
        (ActivityFormat::Enduring, Some(l)) => l == 'H' || l == 'B',
        (_, Some(_)) => true,
        (_, None) => false,
    }
}

pub fn objectives(objectives: &[String]) -> Result<(), ValidationError> {
    if objectives.iter().any(|o| o.trim().is_empty() || o.chars().count() > 500) {
        return Err(ValidationError::new("objective")
            .with_message("each learning objective must hold 1-500 characters".into()));
    }
    Ok(())
}

/// Names in a list (presenters, joint providers): 1-200 characters, not blank.
pub fn names(names: &[String]) -> Result<(), ValidationError> {
    if names.iter().any(|n| n.trim().is_empty() || n.chars().count() > 200 || n.chars().any(char::is_control))
    {
        return Err(ValidationError::new("name")
            .with_message("each name must hold 1-200 characters, none of them control characters".into()));
    }
    Ok(())
}

fn error(errors: &mut Vec<FieldError>, field: impl Into<String>, code: &str, message: impl Into<String>) {
    errors.push(FieldError::new(field, code, message));
}

/// Cross-field rules every stored activity satisfies (field-level lengths and ranges are
/// checked by the validator attributes on the types).
pub fn check_activity(input: &ActivityInput, today: NaiveDate) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if input.time_zone.parse::<chrono_tz::Tz>().is_err() {
        error(&mut errors, "time_zone", "time_zone", "must be an IANA time zone such as America/New_York");
    }
    check_schedule(input, &mut errors);
    if input.format == ActivityFormat::Course && input.delivery.is_none() {
        error(
            &mut errors,
            "delivery",
            "required",
            "courses need a delivery: in_person, live_stream or hybrid",
        );
    }
    if input.format != ActivityFormat::Course && input.delivery.is_some() {
        error(&mut errors, "delivery", "not_applicable", "only courses have a delivery");
    }
    if input.format == ActivityFormat::Enduring && input.medium.is_none() {
        error(
            &mut errors,
            "medium",
            "required",
            "enduring materials need a medium: online, video, audio or print",
        );
    }
    if input.format != ActivityFormat::Enduring && input.medium.is_some() {
        error(&mut errors, "medium", "not_applicable", "only enduring materials have a medium");
    }
    if let (Some(opens), Some(closes)) = (input.registration_opens_at, input.registration_closes_at) {
        if closes <= opens {
            error(&mut errors, "registration_closes_at", "order", "must be after registration_opens_at");
        }
    }
    if let Some(fee) = &input.fee {
        if !is_currency(&fee.currency) {
            error(&mut errors, "fee.currency", "currency", "must be an ISO 4217 code such as USD");
        }
    }
    check_designations(input, &mut errors);
    check_people(input, today, &mut errors);
    check_support(input, &mut errors);
    check_unique(&input.specialties, "specialties", &mut errors);
    check_unique(&input.topics, "topics", &mut errors);
    if let (Some(deadline), Some(end)) = (input.claim_deadline, end_date(input)) {
        if deadline < end {
            error(&mut errors, "claim_deadline", "order", "must not be before the activity ends");
        }
    }
    errors
}

fn is_currency(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

fn check_unique(values: &[String], field: &str, errors: &mut Vec<FieldError>) {
    for (index, value) in values.iter().enumerate() {
        if values[..index].contains(value) {
            error(errors, format!("{field}[{index}]"), "duplicate", "listed twice");
        }
    }
}

/// The dates an activity needs before it is published (a draft may be saved without them).
fn missing_dates(input: &ActivityInput, errors: &mut Vec<FieldError>) {
    if input.format.is_live() {
        if input.starts_at.is_none() {
            error(errors, "starts_at", "required", "live activities need a start");
        }
        if input.ends_at.is_none() {
            error(errors, "ends_at", "required", "live activities need an end");
        }
    }
    if input.format == ActivityFormat::Enduring {
        if input.release_date.is_none() {
            error(errors, "release_date", "required", "enduring materials need a release date");
        }
        if input.expiry_date.is_none() {
            error(errors, "expiry_date", "required", "enduring materials need an expiry date");
        }
    }
}

fn check_schedule(input: &ActivityInput, errors: &mut Vec<FieldError>) {
    if let (Some(starts), Some(ends)) = (input.starts_at, input.ends_at) {
        if ends <= starts {
            error(errors, "ends_at", "order", "must be after starts_at");
        } else if input.format == ActivityFormat::Rss
            && starts.checked_add_months(Months::new(12)).is_some_and(|limit| ends > limit)
        {
            error(errors, "ends_at", "rss_span", "a regularly scheduled series spans at most 12 months");
        }
    }
    if let (Some(release), Some(expiry)) = (input.release_date, input.expiry_date) {
        if expiry <= release {
            error(errors, "expiry_date", "order", "must be after release_date");
        } else if release.checked_add_months(Months::new(36)).is_some_and(|limit| expiry > limit) {
            error(
                errors,
                "expiry_date",
                "enduring_term",
                "must be at most 3 years after release_date (then re-review)",
            );
        }
    }
}

fn check_designations(input: &ActivityInput, errors: &mut Vec<FieldError>) {
    for (index, designation) in input.credit_designations.iter().enumerate() {
        let field = |name: &str| format!("credit_designations[{index}].{name}");
        if input.credit_designations[..index].iter().any(|d| d.credit_type == designation.credit_type) {
            error(errors, field("credit_type"), "duplicate", "one designation per credit type");
        }
        if !is_quarter_step(designation.max_amount, 1000) {
            error(
                errors,
                field("max_amount"),
                "increment",
                "must be more than 0 and at most 1000, in 0.25 steps",
            );
        }
        match (designation.credit_type, &designation.acpe_uan) {
            (CreditType::Acpe, None) => {
                error(errors, field("acpe_uan"), "required", "ACPE credit needs the activity's UAN")
            }
            (CreditType::Acpe, Some(uan)) if !is_valid_uan(uan) => {
                error(errors, field("acpe_uan"), "uan", "must look like 0197-0000-26-001-L01-P")
            }
            (CreditType::Acpe, Some(uan)) if !uan_fits_format(uan, input.format) => error(
                errors,
                field("acpe_uan"),
                "uan_type",
                "the UAN's type letter must fit the format (L live, H home study, B blended)",
            ),
            (CreditType::Acpe, Some(_)) => {}
            (_, Some(_)) => {
                error(errors, field("acpe_uan"), "not_applicable", "only ACPE designations carry a UAN")
            }
            (_, None) => {}
        }
        if designation.credit_type != CreditType::AbimMoc && !designation.moc_credit_types.is_empty() {
            error(
                errors,
                field("moc_credit_types"),
                "not_applicable",
                "only ABIM MOC designations carry MOC credit types",
            );
        }
    }
}

fn check_people(input: &ActivityInput, today: NaiveDate, errors: &mut Vec<FieldError>) {
    for (index, person) in input.people.iter().enumerate() {
        let Some(disclosure) = &person.disclosure else { continue };
        let field = |name: &str| format!("people[{index}].disclosure.{name}");
        if disclosure.disclosed_on > today {
            error(errors, field("disclosed_on"), "future", "must not be in the future");
        }
        if disclosure.has_relationships && disclosure.relationships.is_empty() {
            error(errors, field("relationships"), "required", "list the relationships (company and nature)");
        }
        if !disclosure.has_relationships && !disclosure.relationships.is_empty() {
            error(
                errors,
                field("relationships"),
                "contradiction",
                "has_relationships is false but relationships are listed",
            );
        }
    }
}

fn check_support(input: &ActivityInput, errors: &mut Vec<FieldError>) {
    for (index, support) in input.commercial_support.iter().enumerate() {
        let field = |name: &str| format!("commercial_support[{index}].{name}");
        if support.amount_minor.is_none() && support.in_kind_description.is_none() {
            error(errors, field("amount_minor"), "required", "give an amount or an in-kind description");
        }
        match (&support.amount_minor, &support.currency) {
            (Some(_), None) => error(errors, field("currency"), "required", "an amount needs a currency"),
            (_, Some(code)) if !is_currency(code) => {
                error(errors, field("currency"), "currency", "must be an ISO 4217 code")
            }
            _ => {}
        }
    }
}

/// The last calendar day of the activity, in its time zone.
pub fn end_date(input: &ActivityInput) -> Option<NaiveDate> {
    match (input.ends_at, input.expiry_date) {
        (Some(ends), _) => Some(local_date(ends, &input.time_zone)),
        (None, Some(expiry)) => Some(expiry),
        _ => None,
    }
}

/// The first calendar day of the activity, in its time zone (an enduring material: its
/// release).
pub fn start_date(input: &ActivityInput) -> Option<NaiveDate> {
    match (input.starts_at, input.release_date) {
        (Some(starts), _) => Some(local_date(starts, &input.time_zone)),
        (None, Some(release)) => Some(release),
        _ => None,
    }
}

/// The calendar date of an instant in an IANA time zone (UTC if the zone is unknown).
pub fn local_date(instant: DateTime<Utc>, time_zone: &str) -> NaiveDate {
    match time_zone.parse::<chrono_tz::Tz>() {
        Ok(zone) => instant.with_timezone(&zone).date_naive(),
        Err(_) => instant.date_naive(),
    }
}

/// The claim deadline in force: the one set, or one year after the activity ends.
pub fn effective_claim_deadline(input: &ActivityInput) -> Option<NaiveDate> {
    input.claim_deadline.or_else(|| {
        let end = end_date(input)?;
        end.with_year(end.year() + 1).or_else(|| end.checked_add_months(Months::new(12)))
    })
}

/// Everything that keeps an activity from being published, each naming its field.
pub fn publish_blockers(input: &ActivityInput, now: DateTime<Utc>) -> Vec<FieldError> {
    let today = now.date_naive();
    let mut blockers = Vec::new();
    missing_dates(input, &mut blockers);
    if input.credit_designations.is_empty() {
        error(
            &mut blockers,
            "credit_designations",
            "required",
            "designate at least one credit type before publishing",
        );
    }
    if input.learning_objectives.is_empty() {
        error(&mut blockers, "learning_objectives", "required", "state the learning objectives");
    }
    if input.practice_gap.as_deref().is_none_or(|gap| gap.trim().is_empty()) {
        error(&mut blockers, "practice_gap", "required", "state the professional practice gap");
    }
    if !input.people.iter().any(|p| p.role == crate::activities::dto::PersonRole::Planner) {
        error(&mut blockers, "people", "planner_required", "name at least one planner (with a disclosure)");
    }
    let renewal_cutoff = today.checked_sub_months(Months::new(12)).unwrap_or(today);
    for (index, person) in input.people.iter().enumerate() {
        let field = |name: &str| format!("people[{index}].{name}");
        let Some(disclosure) = &person.disclosure else {
            error(
                &mut blockers,
                field("disclosure"),
                "required",
                format!("{} has not disclosed (or declared none)", person.name),
            );
            continue;
        };
        if disclosure.disclosed_on < renewal_cutoff {
            error(
                &mut blockers,
                field("disclosure.disclosed_on"),
                "stale",
                "the disclosure is older than 12 months: renew it",
            );
        }
        if disclosure.has_relationships {
            match (disclosure.relevant, &disclosure.mitigation) {
                (None, _) => error(
                    &mut blockers,
                    field("disclosure.relevant"),
                    "undecided",
                    "decide whether the relationships are relevant",
                ),
                (Some(true), None) => error(
                    &mut blockers,
                    field("disclosure.mitigation"),
                    "unmitigated",
                    "relevant relationships must be mitigated before the person takes the role",
                ),
                _ => {}
            }
        }
    }
    // Credit is designated before the activity, never after it has begun.
    if let Some(starts) = input.starts_at {
        if starts <= now {
            error(
                &mut blockers,
                "starts_at",
                "in_past",
                "the activity has already started; credit cannot be designated retroactively",
            );
        }
    }
    if let Some(expiry) = input.expiry_date {
        if expiry <= today {
            error(&mut blockers, "expiry_date", "in_past", "the material has expired");
        }
    }
    blockers
}

/// Who may claim a credit type when the designation does not list professions.
pub fn usual_professions(credit_type: CreditType) -> Vec<Profession> {
    use Profession as P;
    match credit_type {
        CreditType::AmaPra1 => vec![P::Physician],
        CreditType::Ancc => vec![P::Nurse, P::NursePractitioner],
        CreditType::Acpe => vec![P::Pharmacist, P::PharmacyTechnician],
        CreditType::Aapa1 => vec![P::PhysicianAssistant],
        // Every board's MOC points (listed, so that a new credit type must be placed here).
        CreditType::AbimMoc
        | CreditType::AbaMoc
        | CreditType::AbpMoc
        | CreditType::AbpathMoc
        | CreditType::AbsMoc
        | CreditType::AbohnsMoc
        | CreditType::AbtsMoc
        | CreditType::AbosMoc => vec![P::Physician],
        // IPCE is for the whole team; "other" bodies set their own audiences.
        CreditType::Ipce | CreditType::Other => vec![
            P::Physician,
            P::Nurse,
            P::Pharmacist,
            P::PharmacyTechnician,
            P::PhysicianAssistant,
            P::NursePractitioner,
            P::Psychologist,
            P::SocialWorker,
            P::Dietitian,
            P::Other,
        ],
    }
}

/// The credit types of an activity that a learner of `profession` may claim.
pub fn eligible_credit_types(input: &ActivityInput, profession: Option<Profession>) -> Vec<CreditType> {
    let designated =
        input.credit_designations.iter().map(|d| (d.credit_type, d.eligible_professions.as_slice()));
    eligible_among(designated, profession)
}

/// Of designated credit types, each with the professions it names (none: its usual ones),
/// those a learner of `profession` may claim.
pub fn eligible_among<'a>(
    designated: impl Iterator<Item = (CreditType, &'a [Profession])>,
    profession: Option<Profession>,
) -> Vec<CreditType> {
    let Some(profession) = profession else { return Vec::new() };
    designated
        .filter(|(credit_type, named)| match named {
            [] => usual_professions(*credit_type).contains(&profession),
            named => named.contains(&profession),
        })
        .map(|(credit_type, _)| credit_type)
        .collect()
}

/// The catalog's summary of an activity (what `ActivitySummary` holds but `seats_left`).
pub fn listing(activity: &Activity) -> ActivityListing {
    let details = &activity.details;
    ActivityListing {
        id: activity.id.clone(),
        status: activity.status,
        title: details.title.clone(),
        summary: details.summary.clone(),
        format: details.format,
        delivery: details.delivery,
        medium: details.medium,
        time_zone: details.time_zone.clone(),
        starts_at: details.starts_at,
        ends_at: details.ends_at,
        release_date: details.release_date,
        expiry_date: details.expiry_date,
        location: details.location.clone(),
        credits: details
            .credit_designations
            .iter()
            .map(|d| CreditMaximum { credit_type: d.credit_type, max_amount: d.max_amount })
            .collect(),
        specialties: details.specialties.clone(),
        topics: details.topics.clone(),
        target_professions: details.target_professions.clone(),
        fee: details.fee.clone(),
        capacity: details.capacity,
        version: activity.version,
        updated_at: activity.updated_at,
    }
}

/// Seats still free: `None` when seats are unlimited, never below zero (a planner may lower
/// the capacity under the seats already taken).
pub fn seats_left(capacity: Option<i32>, taken: i32) -> Option<i64> {
    capacity.map(|capacity| (i64::from(capacity) - i64::from(taken)).max(0))
}

/// What a catalog page shows of one item, for the page's validator.
#[derive(Debug, Clone, Copy)]
pub struct PageItem<'a> {
    pub id: &'a str,
    pub version: i32,
    pub seats_left: Option<i64>,
    /// The item's sort key (what the next page's cursor is made of).
    pub at: NaiveDateTime,
}

/// A catalog page's strong `ETag`: a hash of everything its body is made of (the code that
/// rendered the views, the view, each item and whether more pages follow), so that it can be
/// computed without reading the views.
pub fn page_tag(
    release: &str,
    view: crate::activities::dto::ActivityView,
    items: &[PageItem<'_>],
    more: bool,
) -> String {
    use std::fmt::Write;
    // Written into one buffer, the instants as numbers: this runs for every page served.
    let mut parts = String::with_capacity(32 + items.len() * 80);
    let _ = write!(parts, "{release}|{view:?}|{more}");
    for item in items {
        let at = item.at.and_utc();
        let _ = write!(parts, "|{}:{}:", item.id, item.version);
        let _ = match item.seats_left {
            Some(seats) => write!(parts, "{seats}"),
            None => write!(parts, "-"),
        };
        let _ = write!(parts, ":{}.{}", at.timestamp(), at.timestamp_subsec_nanos());
    }
    crate::http::etag::of_bytes(parts.as_bytes())
}

/// A stored listing (a JSON object) with `seats_left` added: the summary as a page carries it,
/// written into the listing's own buffer without parsing it again (this runs for every item of
/// every page served).
pub fn with_seats_left(mut listing_json: String, seats_left: Option<i64>) -> String {
    use std::fmt::Write;
    let Some(open) = listing_json.trim_end().strip_suffix('}') else { return listing_json };
    let empty = open.trim_end().ends_with('{');
    listing_json.truncate(open.len());
    listing_json.push_str(if empty { "\"seats_left\":" } else { ",\"seats_left\":" });
    let _ = match seats_left {
        Some(seats) => write!(listing_json, "{seats}}}"),
        None => write!(listing_json, "null}}"),
    };
    listing_json
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_move_in_quarter_steps() {
        let credits = Credits::from_hundredths;
        assert!(is_quarter_step(credits(150), 1000));
        assert!(is_quarter_step(credits(25), 1000));
        assert!(is_quarter_step(credits(200), 2));
        assert!(!is_quarter_step(credits(130), 1000));
        assert!(!is_quarter_step(credits(0), 1000));
        assert!(!is_quarter_step(credits(225), 2));
    }

    #[test]
    fn uans_follow_the_acpe_pattern() {
        assert!(is_valid_uan("0197-0000-26-001-L01-P"));
        assert!(is_valid_uan("0197-9999-26-123-H04-T"));
        assert!(!is_valid_uan("0197-0000-26-001-X01-P"));
        assert!(!is_valid_uan("0197-0000-26-001-L01"));
        assert!(!is_valid_uan("197-0000-26-001-L01-P"));
        assert!(uan_fits_format("0197-0000-26-001-L01-P", ActivityFormat::Course));
        assert!(!uan_fits_format("0197-0000-26-001-H01-P", ActivityFormat::Course));
        assert!(uan_fits_format("0197-0000-26-001-H01-P", ActivityFormat::Enduring));
    }

    #[test]
    fn eligibility_follows_named_professions_or_the_credit_types_usual_ones() {
        use Profession as P;
        let designated = || {
            [(CreditType::AmaPra1, &[][..]), (CreditType::Ancc, &[P::Nurse, P::PhysicianAssistant][..])]
                .into_iter()
        };
        assert_eq!(eligible_among(designated(), Some(P::Physician)), vec![CreditType::AmaPra1]);
        assert_eq!(eligible_among(designated(), Some(P::PhysicianAssistant)), vec![CreditType::Ancc]);
        assert_eq!(
            eligible_among(designated(), Some(P::NursePractitioner)),
            vec![],
            "not named for ANCC here"
        );
        assert_eq!(eligible_among(designated(), None), vec![]);
    }

    #[test]
    fn seats_left_counts_down_to_zero_and_is_null_without_a_capacity() {
        assert_eq!(seats_left(Some(120), 83), Some(37));
        assert_eq!(seats_left(Some(10), 12), Some(0));
        assert_eq!(seats_left(None, 500), None);
    }

    #[test]
    fn seats_left_is_added_to_the_stored_listing_as_valid_json() {
        let added = with_seats_left(r#"{"id":"a","capacity":10}"#.to_string(), Some(3));
        let parsed: serde_json::Value = serde_json::from_str(&added).unwrap();
        assert_eq!(parsed, serde_json::json!({"id": "a", "capacity": 10, "seats_left": 3}));
        let unlimited: serde_json::Value =
            serde_json::from_str(&with_seats_left("{}".to_string(), None)).unwrap();
        assert_eq!(unlimited, serde_json::json!({"seats_left": null}));
        let spaced: serde_json::Value =
            serde_json::from_str(&with_seats_left("{ \"id\": \"b\" }\n".to_string(), Some(0))).unwrap();
        assert_eq!(spaced, serde_json::json!({"id": "b", "seats_left": 0}));
        assert_eq!(with_seats_left("[1]".to_string(), Some(1)), "[1]", "not an object: left as stored");
    }

    #[test]
    fn local_dates_use_the_activity_time_zone() {
        let instant = "2026-03-01T03:30:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(local_date(instant, "America/New_York"), NaiveDate::from_ymd_opt(2026, 2, 28).unwrap());
        assert_eq!(local_date(instant, "Europe/Berlin"), NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
    }

    #[test]
    fn overlapping_sessions_count_once_in_the_instruction() {
        let at = |h: u32, m: u32| {
            chrono::NaiveDate::from_ymd_opt(2030, 3, 6).unwrap().and_hms_opt(h, m, 0).unwrap()
        };
        assert_eq!(instructional_minutes(&[(at(8, 0), at(9, 0)), (at(8, 0), at(9, 0))]), 60);
        assert_eq!(instructional_minutes(&[(at(8, 30), at(9, 30)), (at(8, 0), at(9, 0))]), 90);
        assert_eq!(instructional_minutes(&[(at(8, 0), at(9, 0)), (at(13, 0), at(14, 30))]), 150);
        assert_eq!(instructional_minutes(&[]), 0);
        // AMA rounds down to the quarter hour; ANCC to the nearest.
        assert_eq!(credit_for_minutes(CreditType::AmaPra1, 100).hundredths(), 150);
        assert_eq!(credit_for_minutes(CreditType::Ancc, 100).hundredths(), 175);
    }

    #[test]
    fn a_page_tag_changes_with_anything_the_page_shows() {
        use crate::activities::dto::ActivityView;
        let at = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap().and_hms_opt(9, 0, 0).unwrap();
        let item = PageItem { id: "a", version: 3, seats_left: Some(5), at };
        let tag = page_tag("1.0.0", ActivityView::Summary, &[item], false);
        assert_eq!(tag, page_tag("1.0.0", ActivityView::Summary, &[item], false));
        let others = [
            page_tag("1.0.1", ActivityView::Summary, &[item], false),
            page_tag("1.0.0", ActivityView::Full, &[item], false),
            page_tag("1.0.0", ActivityView::Summary, &[item], true),
            page_tag("1.0.0", ActivityView::Summary, &[], false),
            page_tag("1.0.0", ActivityView::Summary, &[PageItem { version: 4, ..item }], false),
            page_tag("1.0.0", ActivityView::Summary, &[PageItem { seats_left: Some(4), ..item }], false),
            page_tag("1.0.0", ActivityView::Summary, &[PageItem { seats_left: None, ..item }], false),
            page_tag("1.0.0", ActivityView::Summary, &[PageItem { id: "b", ..item }], false),
            page_tag(
                "1.0.0",
                ActivityView::Summary,
                &[PageItem { at: at + chrono::Duration::days(1), ..item }],
                false,
            ),
            page_tag(
                "1.0.0",
                ActivityView::Summary,
                &[PageItem { at: at + chrono::Duration::microseconds(1), ..item }],
                false,
            ),
        ];
        for other in others {
            assert_ne!(other, tag);
        }
        assert!(tag.starts_with('"') && tag.ends_with('"'));
    }
}
