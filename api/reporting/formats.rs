//! The files each destination takes, rendered from checked records. Every layout choice that
//! ../shared/domain/REPORTING.md marks unconfirmed is named here, in one place to adjust:
//! - CPE Monitor batch layout: a JSON document of the web service's parameters per record;
//!   the delete action code `D` and `credit_hours` are unconfirmed;
//! - CE Broker: the roster XML of the published web-service code; provider and course numbers
//!   are sent without their `50-`/`20-` prefixes (as in the Excel layout);
//! - PARS learner XML: the contractor's 2025 draft layout; birth date as XML `--MM-DD` (only
//!   month and day are collected); board credit-type codes for ABIM (`MK`, `PA`, `PS`);
//! - PARS activity XML: the same draft's `MedicalEducationMetrics`; the exact activity-format,
//!   delivery-method and outcome strings (`pars_format`, `delivery_methods`, `pars_outcome`);
//!   the description cut to PARS's 2,500 characters; the provider ID under
//!   `ReportDescription/ProviderOrganization`.

use chrono::NaiveDateTime;
use serde_json::json;

use crate::{
    activities::dto::{ActivityFormat, CreditType, Delivery, Medium, OutcomeLevel, Rems},
    reporting::{
        dto::{Destination, ItemAction},
        rules::{license_for, ParsFacts, ProviderIds, Record},
    },
    reports::dto::Method,
};

/// A rendered file.
#[derive(Debug, Clone)]
pub struct File {
    pub name: String,
    pub media_type: &'static str,
    pub body: String,
}

pub fn render(
    destination: Destination,
    records: &[Record],
    provider: &ProviderIds,
    at: NaiveDateTime,
    batch_id: &str,
) -> File {
    let stamp = at.format("%Y%m%dT%H%M%S");
    let short = batch_id.get(batch_id.len().saturating_sub(8)..).unwrap_or(batch_id);
    match destination {
        Destination::ParsActivity => File {
            name: format!("pars-activities-{stamp}-{short}.xml"),
            media_type: "application/xml",
            body: pars_activities(records, provider),
        },
        Destination::CpeMonitor => File {
            name: format!("cpe-monitor-{stamp}-{short}.json"),
            media_type: "application/json",
            body: cpe_monitor(records, provider),
        },
        Destination::CeBroker => File {
            name: format!("ce-broker-roster-{stamp}-{short}.xml"),
            media_type: "application/xml",
            body: ce_broker(records, provider),
        },
        Destination::ParsLearner => File {
            name: format!("pars-learners-{stamp}-{short}.xml"),
            media_type: "application/xml",
            body: pars_learners(records, provider, at),
        },
    }
}

/// CPE Monitor: one record per participation, with the web service's parameter names.
fn cpe_monitor(records: &[Record], provider: &ProviderIds) -> String {
    let rows: Vec<serde_json::Value> = records
        .iter()
        .map(|r| {
            json!({
                "record_id": r.item_id,
                "epid": r.learner.nabp_eprofile_id,
                "date_of_birth": r.learner.birth_mmdd,
                "uan": r.activity.acpe_uan,
                "date_of_participation": r.completion_date.format("%Y-%m-%d").to_string(),
                "credit_hours": r.amount.as_f64(),
                "first_name": r.learner.first_name,
                "last_name": r.learner.last_name,
                "action": match r.action { ItemAction::Add => "I", ItemAction::Delete => "D" },
            })
        })
        .collect();
    let document = json!({
        "provider_number": provider.acpe_provider_number,
        "provider_name": provider.name,
        "records": rows,
    });
    serde_json::to_string_pretty(&document).unwrap_or_default()
}

/// Text for XML content and attribute values.
pub fn xml_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters other than tab and newline are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn element(out: &mut String, name: &str, value: &str) {
    out.push_str(&format!("<{name}>{}</{name}>", xml_escape(value)));
}

fn without_prefix(number: &str) -> &str {
    number.split_once('-').map_or(number, |(_, rest)| rest)
}

/// CE Broker: one roster per course, one attendee per completion.
fn ce_broker(records: &[Record], provider: &ProviderIds) -> String {
    let provider_number = without_prefix(provider.cebroker_provider_number.as_deref().unwrap_or(""));
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!("<rosters id_parent_provider=\"{}\">", xml_escape(provider_number)));
    let mut courses: Vec<&str> = Vec::new();
    for record in records {
        if !courses.contains(&record.activity.id.as_str()) {
            courses.push(&record.activity.id);
        }
    }
    for course in courses {
        let attendees: Vec<&Record> = records.iter().filter(|r| r.activity.id == course).collect();
        let Some(first) = attendees.first() else { continue };
        out.push_str("<roster>");
        element(&mut out, "id_provider", provider_number);
        element(
            &mut out,
            "id_course",
            without_prefix(first.activity.cebroker_course_number.as_deref().unwrap_or("")),
        );
        out.push_str("<attendees>");
        for record in attendees {
            let license = license_for(record);
            out.push_str("<attendee>");
            element(&mut out, "licensee_profession", license.map_or("", |l| l.license_type.as_str()));
            element(&mut out, "license", license.map_or("", |l| l.license_number.as_str()));
            element(&mut out, "first_name", &record.learner.first_name);
            element(&mut out, "last_name", &record.learner.last_name);
            element(&mut out, "cebroker_state", record.license_state.unwrap_or(""));
            element(&mut out, "date_completed", &record.completion_date.format("%m/%d/%Y").to_string());
            out.push_str("</attendee>");
        }
        out.push_str("</attendees></roster>");
    }
    out.push_str("</rosters>\n");
    out
}

/// ABIM's MOC credit types as PARS codes them (unconfirmed); other boards have one kind.
fn moc_certification(board: &str, credit_type: Option<&str>) -> String {
    match credit_type {
        Some("medical_knowledge") => format!("{board} MK"),
        Some("practice_assessment") => format!("{board} PA"),
        Some("patient_safety") => format!("{board} PS"),
        _ => board.to_string(),
    }
}

/// PARS learner completions: one `ActivityReport` per MOC award.
fn pars_learners(records: &[Record], provider: &ProviderIds, at: NaiveDateTime) -> String {
    let provider_id = provider.accme_provider_id.as_deref().unwrap_or("");
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ACCMELearnerReports>");
    element(&mut out, "DateTimeCreated", &at.format("%Y-%m-%dT%H:%M:%S").to_string());
    out.push_str("<ActivityReports>");
    for record in records {
        // PARS names boards in capitals (ABIM); learners' board ids are keyed in lower case.
        let board_key = record.moc_board.unwrap_or("");
        let board = board_key.to_ascii_uppercase();
        out.push_str("<ActivityReport>");
        element(&mut out, "ReportingOrganization", &provider.name);
        out.push_str("<Member><Name>");
        element(&mut out, "GivenName", &record.learner.first_name);
        element(&mut out, "FamilyName", &record.learner.last_name);
        out.push_str("</Name><PersonalInfo>");
        let mmdd = record.learner.birth_mmdd.as_deref().unwrap_or("");
        let birth = if mmdd.len() == 4 { format!("--{}-{}", &mmdd[..2], &mmdd[2..]) } else { String::new() };
        element(&mut out, "BirthDate", &birth);
        out.push_str("</PersonalInfo></Member><Activity>");
        element(&mut out, "ProviderOrganization", provider_id);
        out.push_str("<Module>");
        out.push_str(&format!(
            "<ModuleName moduleID=\"{}\">{}</ModuleName>",
            xml_escape(record.activity.accme_activity_id.as_deref().unwrap_or("")),
            xml_escape(&record.activity.title)
        ));
        element(&mut out, "Status", "Completed");
        element(
            &mut out,
            "CompletedDateTime",
            &format!("{}T00:00:00", record.completion_date.format("%Y-%m-%d")),
        );
        out.push_str("<CreditCertificate>");
        out.push_str(&format!(
            "<UniqueID domain=\"{}\">{}</UniqueID>",
            xml_escape(&board),
            xml_escape(record.learner.board_ids.get(board_key).map_or("", String::as_str))
        ));
        out.push_str(&format!(
            "<CreditReceived creditUnit=\"Point\" numberOfCredits=\"{}\" activityCertification=\"{}\"/>",
            record.amount,
            xml_escape(&moc_certification(&board, record.moc_credit_type))
        ));
        element(&mut out, "CreditID", &format!("ccid:{provider_id}:{}", record.claim_id.unwrap_or("")));
        out.push_str("</CreditCertificate></Module></Activity><XtensibleInfo>");
        element(
            &mut out,
            "LearnerRecordAction",
            match record.action {
                ItemAction::Add => "add",
                ItemAction::Delete => "delete",
            },
        );
        out.push_str("</XtensibleInfo></ActivityReport>");
    }
    out.push_str("</ActivityReports></ACCMELearnerReports>\n");
    out
}

/// PARS's activity formats (current list; exact strings unconfirmed).
fn pars_format(format: ActivityFormat) -> &'static str {
    match format {
        ActivityFormat::Course | ActivityFormat::InternetLive => "Course",
        ActivityFormat::Rss => "Regularly Scheduled Series",
        ActivityFormat::Enduring => "Enduring Material",
        ActivityFormat::Journal => "Journal-based CME",
        ActivityFormat::TestItemWriting => "Test-Item Writing",
        ActivityFormat::ManuscriptReview => "Manuscript Review",
        ActivityFormat::LearningFromTeaching => "Learning from Teaching",
        ActivityFormat::InternetSearching => "Internet Searching and Learning",
        ActivityFormat::PerformanceImprovement => "Performance Improvement",
        ActivityFormat::Other => "Other/Blended Learning",
    }
}

/// PARS's delivery methods: In-Person, Live-Streamed, Online, Print/Other.
fn delivery_methods(pars: &ParsFacts) -> Vec<&'static str> {
    match (pars.format, pars.delivery, pars.medium) {
        (_, Some(Delivery::Hybrid), _) => vec!["In-Person", "Live-Streamed"],
        (_, Some(Delivery::LiveStream), _) | (ActivityFormat::InternetLive, _, _) => vec!["Live-Streamed"],
        (ActivityFormat::Course | ActivityFormat::Rss, _, _) => vec!["In-Person"],
        (_, _, Some(Medium::Print)) => vec!["Print/Other"],
        _ => vec!["Online"],
    }
}

/// The outcome PARS records for a Moore level (none for participation and satisfaction).
fn pars_outcome(level: OutcomeLevel) -> Option<&'static str> {
    match level {
        OutcomeLevel::Participation | OutcomeLevel::Satisfaction => None,
        OutcomeLevel::DeclarativeKnowledge | OutcomeLevel::ProceduralKnowledge => Some("Learner Knowledge"),
        OutcomeLevel::Competence => Some("Learner Competence"),
        OutcomeLevel::Performance => Some("Learner Performance"),
        OutcomeLevel::PatientHealth => Some("Patient Health"),
        OutcomeLevel::CommunityHealth => Some("Community/Population Health"),
    }
}

/// The board a MOC credit type registers with, as PARS names it (`abim_moc` → `ABIM`).
fn moc_board(credit_type: CreditType) -> String {
    crate::db::enum_text(&credit_type).trim_end_matches("_moc").to_ascii_uppercase()
}

fn day(date: chrono::NaiveDate) -> String {
    format!("{}T00:00:00", date.format("%Y-%m-%d"))
}

/// Each measured outcome once per measurement type.
fn outcome_pairs(pars: &ParsFacts) -> Vec<(&'static str, &'static str)> {
    let mut pairs = Vec::new();
    for (level, methods) in pars.measured_outcomes() {
        let Some(outcome) = pars_outcome(*level) else { continue };
        for method in methods {
            let kind = if *method == Method::Objective { "Objective" } else { "Subjective" };
            if !pairs.contains(&(outcome, kind)) {
                pairs.push((outcome, kind));
            }
        }
    }
    pairs
}

fn identifier(out: &mut String, catalog: &str, entry: &str) {
    out.push_str("<identifier>");
    element(out, "catalog", catalog);
    element(out, "entry", entry);
    out.push_str("</identifier>");
}

/// The activity's description, dates, place, sponsorship, format and commercial support.
fn pars_description(out: &mut String, record: &Record, pars: &ParsFacts, provider: &ProviderIds) {
    let activity = record.activity;
    out.push_str("<ReportDescription>");
    element(out, "ReportingStartDate", &pars.start.format("%Y-%m-%d").to_string());
    element(out, "ReportingEndDate", &pars.end.format("%Y-%m-%d").to_string());
    element(out, "ProviderOrganization", provider.accme_provider_id.as_deref().unwrap_or(""));
    out.push_str("</ReportDescription><Lom><general>");
    identifier(out, "Provider Activity ID", &activity.id);
    if let Some(id) = &activity.accme_activity_id {
        identifier(out, "ACCME Activity ID", id);
    }
    element(out, "title", &activity.title);
    let description: String = pars.description.chars().take(2500).collect();
    element(out, "description", &description);
    out.push_str("</general></Lom><healthcareMetadata><healthcareEducation><credits>");
    element(out, "activityCertification", "AMA PRA Category 1");
    element(out, "numberOfCredits", &record.amount.to_string());
    out.push_str("</credits>");
    element(out, "startDateTime", &day(pars.start));
    element(out, "endDateTime", &day(pars.end));
    if pars.in_person() {
        out.push_str("<activityLocation>");
        element(out, "city", pars.city.as_deref().unwrap_or(""));
        element(out, "stateOrProvince", pars.state_or_province.as_deref().unwrap_or(""));
        element(out, "country", pars.country.as_deref().unwrap_or(""));
        out.push_str("</activityLocation>");
    }
    element(out, "activitySponsorship", if pars.joint { "joint" } else { "direct" });
    element(out, "activityFormat", pars_format(pars.format));
    element(out, "commercialSupport", if pars.commercial_support.is_empty() { "false" } else { "true" });
    out.push_str("</healthcareEducation></healthcareMetadata><ActivityDescription>");
    for support in &pars.commercial_support {
        out.push_str("<commercialSupportAmount>");
        element(out, "supportSource", &support.supporter);
        element(out, "currency", support.currency.as_deref().unwrap_or("USD"));
        // Whole currency units; in-kind support is reported as 0 with its source.
        element(out, "value", &(support.amount_minor.unwrap_or(0) / 100).to_string());
        out.push_str("</commercialSupportAmount>");
    }
    out.push_str("</ActivityDescription>");
}

/// Counts, delivery, outcomes, MOC registrations, REMS and the record's action.
fn pars_metrics(out: &mut String, record: &Record, pars: &ParsFacts) {
    out.push_str("<ParticipationMetrics>");
    for (category, count) in [("physician", pars.physicians), ("non-physician", pars.other_learners)] {
        out.push_str("<participantsByCategory>");
        element(out, "category", category);
        element(out, "numberOfParticipants", &count.to_string());
        out.push_str("</participantsByCategory>");
    }
    out.push_str("</ParticipationMetrics><XtensibleInfo><DeliveryMethods>");
    for method in delivery_methods(pars) {
        element(out, "DeliveryMethod", method);
    }
    out.push_str("</DeliveryMethods>");
    for (outcome, kind) in outcome_pairs(pars) {
        out.push_str("<MeasuredOutcomes>");
        element(out, "MeasuredOutcome", outcome);
        element(out, "MeasurementType", kind);
        out.push_str("</MeasuredOutcomes>");
    }
    if !pars.moc.is_empty() {
        out.push_str("<MOCRegistrations>");
        for (credit_type, points, kinds) in &pars.moc {
            out.push_str("<MOCRegistration>");
            element(out, "boardName", &moc_board(*credit_type));
            element(out, "mocPoints", &points.to_string());
            for kind in kinds {
                element(out, "MOCCreditType", &crate::db::enum_text(kind));
            }
            for area in &pars.moc_practice_areas {
                element(out, "PracticeArea", area);
            }
            if let Some(deadline) = pars.claim_deadline {
                element(out, "CreditClaimDate", &deadline.format("%Y-%m-%d").to_string());
            }
            out.push_str("</MOCRegistration>");
        }
        out.push_str("</MOCRegistrations>");
    }
    if let Some(rems) = pars.rems {
        out.push_str("<REMS>");
        let kind = match rems {
            Rems::OpioidAnalgesic => "Opioid Analgesic",
            Rems::Mycophenolate => "Mycophenolate",
        };
        element(out, "REMSType", kind);
        out.push_str("</REMS>");
    }
    let (action, close) = match record.action {
        ItemAction::Add => ("Add", "true"),
        ItemAction::Delete => ("Delete", "false"),
    };
    element(out, "activityRecordAction", action);
    element(out, "closeActivityRecord", close);
    out.push_str("</XtensibleInfo>");
}

/// PARS activity records: one `MedicalEducationMetrics` per activity.
fn pars_activities(records: &[Record], provider: &ProviderIds) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ACCMEActivities>");
    for record in records {
        let Some(pars) = &record.activity.pars else { continue };
        out.push_str("<MedicalEducationMetrics>");
        pars_description(&mut out, record, pars, provider);
        pars_metrics(&mut out, record, pars);
        out.push_str("</MedicalEducationMetrics>");
    }
    out.push_str("</ACCMEActivities>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_is_escaped_and_control_characters_dropped() {
        assert_eq!(xml_escape("A&B <\"x\"> 'y'\u{1}"), "A&amp;B &lt;&quot;x&quot;&gt; &apos;y&apos; ");
    }

    #[test]
    fn tracking_prefixes_are_dropped_for_the_roster() {
        assert_eq!(without_prefix("50-1234"), "1234");
        assert_eq!(without_prefix("1234"), "1234");
    }
}
