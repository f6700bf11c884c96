//! Response examples for the schemas the handlers' types do not illustrate themselves.
//!
//! One story runs through them: a learner (`LEARNER`) takes the sepsis course (`ACTIVITY`, the
//! create example), checks in to its session, passes the post-test and is awarded 1.5 AMA PRA
//! Category 1 credits, which are reported to the boards and pushed to an LMS. Every example is
//! completed the way the server writes the object (`null` for unset nullable fields, `[]` for
//! empty lists) and validated against its schema by `tests/clients/examples.py` in CI; pages and
//! arrays of an illustrated item are illustrated from it (`shapes::illustrate_collections`).

use serde_json::{json, Value};

const ACTIVITY: &str = "0193f1a0-1b2c-7d3e-8f40-5a6b7c8d9e0f";
const LEARNER: &str = "0193f19f-0a1b-7c2d-8e3f-4a5b6c7d8e9f";
const ENROLLMENT: &str = "0193f1a4-6c1e-7cc2-9f1c-5a0d2e7b9a41";
const CLAIM: &str = "0193f1a4-7a10-7cc2-9f1c-5a0d2e7b9a41";
const SESSION: &str = "0193f1a1-2c3d-7e4f-8a50-6b7c8d9e0f1a";
const SURVEY: &str = "0193f1a2-3d4e-7f5a-8b61-7c8d9e0f1a2b";
const BATCH: &str = "0193f1a6-5f60-7a7b-8c83-9e0f1a2b3c4d";
const ITEM: &str = "01938f5e-8a4b-7c3d-9e2f-0a1b2c3d4e5f";
const CLIENT: &str = "0193f1a7-6071-7b8c-8d94-0f1a2b3c4d5e";
const TITLE: &str = "Sepsis in the First Hour: Bundles, Biomarkers and Team Response";

/// `(schema name, example)` for every response schema without one of its own.
pub(super) fn response_examples() -> Vec<(&'static str, Value)> {
    vec![
        ("HealthStatus", json!({"status": "ok"})),
        ("JwkSet", json!({"keys": [jwk()]})),
        ("Jwk", jwk()),
        ("Term", json!({"code": "emergency_medicine", "name": "Emergency Medicine", "parent_code": null})),
        ("User", user()),
        ("Session", session()),
        ("Survey", survey()),
        ("SurveyResponse", survey_response()),
        ("DisclosureSummary", disclosures()),
        ("Attendance", attendance()),
        (
            "AttendanceReport",
            json!({"results": [
                {"user_id": LEARNER, "accepted": true, "attendance": attendance()},
                {"user_id": "0193f1a8-7182-7c9d-8ea5-1a2b3c4d5e6f", "accepted": false,
                 "reason": "not enrolled in this activity"},
            ]}),
        ),
        ("CheckInCode", json!({"session_id": SESSION, "code": "K7MQ2X", "check_out_code": "P4WZ8D"})),
        (
            "BatchResult",
            json!({"succeeded": 1, "failed": 1, "results": [
                {"index": 0, "status": 201, "enrollment": {"$example": "Enrollment"}},
                {"index": 1, "status": 404, "problem": row_problem("not-found", 404, "No activity with this id")},
            ]}),
        ),
        (
            "ClaimBatchResult",
            json!({"succeeded": 1, "failed": 1, "results": [
                {"index": 0, "status": 201, "claim": {"$example": "CreditClaim"}},
                {"index": 1, "status": 409, "problem": row_problem(
                    "duplicate-claim", 409, "This learner already holds this credit for this activity")},
            ]}),
        ),
        (
            "ClaimHistoryEntry",
            json!({
                "action": "awarded", "actor": LEARNER, "from_status": null, "to_status": "awarded",
                "occurred_at": "2026-12-01T17:05:00Z",
            }),
        ),
        ("Transcript", transcript()),
        (
            "Verification",
            json!({
                "valid": true, "status": "awarded", "learner_name": "Jordan Rivera", "activity_title": TITLE,
                "credit_type": "ama_pra_1", "amount": 1.5, "completion_date": "2026-12-01",
                "provider": "Riverside University School of Medicine, Office of Continuing Education",
                "credential": "valid",
            }),
        ),
        ("IssuedCredential", issued_credential()),
        (
            "CreditEventPage",
            json!({
                "data": [credit_event()], "has_more": false,
                "next_cursor": "eyJzZXEiOjQyfQ",
            }),
        ),
        ("CreditEvent", credit_event()),
        ("IntegrationClient", integration_client()),
        ("CreatedIntegrationClient", {
            let mut created = integration_client();
            created["client_secret"] = json!("cs_3q8ZfT1kL0vX7wY2mN5bR9pA4sD6gH");
            created
        }),
        ("DeliveryScheduled", json!({"delivery_id": "0193f1a9-8293-7dae-8fb6-2b3c4d5e6f70"})),
        (
            "WebhookDelivery",
            json!({
                "id": "0193f1a9-8293-7dae-8fb6-2b3c4d5e6f70", "event_type": "credit.awarded",
                "message_id": "msg_0193f1a97a107cc29f1c5a0d2e7b9a41", "status": "succeeded", "attempts": 1,
                "response_status": 204, "created_at": "2026-12-01T17:05:00Z",
                "last_attempt_at": "2026-12-01T17:05:01Z", "delivered_at": "2026-12-01T17:05:01Z",
            }),
        ),
        ("Provider", provider()),
        ("ReportingItem", reporting_item()),
        ("Batch", batch()),
        (
            "Deadlines",
            json!({"today": "2026-12-01", "destinations": [
                {"destination": "pars_learner", "overdue": 0, "due_today": 0, "due_this_week": 3, "due_later": 41,
                 "held": 1, "awaiting_answer": 0, "rejected": 0},
                {"destination": "cpe_monitor", "overdue": 1, "due_today": 2, "due_this_week": 5, "due_later": 0,
                 "held": 0, "awaiting_answer": 12, "rejected": 1},
            ]}),
        ),
        ("ActivityOutcomes", activity_outcomes()),
        ("ProgramOutcomes", program_outcomes()),
        (
            "OAuthErrorBody",
            json!({
                "error": "invalid_client", "error_description": "Unknown client or wrong secret",
                "request_id": "0193f1aa-93a4-7ebf-80c7-3c4d5e6f7081",
            }),
        ),
    ]
}

fn row_problem(kind: &str, status: u16, detail: &str) -> Value {
    json!({"type": format!("{}{kind}", crate::error::PROBLEM_BASE), "title": detail, "status": status, "detail": detail})
}

fn jwk() -> Value {
    json!({"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": "Y3c8Xq2m0H4bEJ6nWdL1sRkTfA9vPZoG5uNiC7aMhKw",
           "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})
}

fn user() -> Value {
    json!({
        "id": LEARNER, "email": "jordan.rivera@example.org", "email_verified": true,
        "first_name": "Jordan", "last_name": "Rivera", "role": "learner", "active": true,
        "profession": "physician", "degree": "MD", "npi": "1234567893", "birth_mmdd": "0415",
        "consent_to_report": true, "board_ids": {"abim": "123456"},
        "state_licenses": [{"state": "NY", "license_type": "MD", "license_number": "123456",
                            "expires_on": "2027-06-30"}],
        "version": 3, "created_at": "2026-11-02T14:20:00Z", "updated_at": "2026-11-20T09:00:00Z",
    })
}

fn session() -> Value {
    json!({
        "id": SESSION, "activity_id": ACTIVITY, "title": "Hour-1 bundle: case-based workshop",
        "starts_at": "2026-12-01T13:00:00Z", "ends_at": "2026-12-01T14:30:00Z",
        "location": "Simulation Center, Room 2", "presenters": ["Dr. Ana Silva"], "credit_amount": 1.5,
        "version": 1, "created_at": "2026-11-15T10:00:00Z", "updated_at": "2026-11-15T10:00:00Z",
    })
}

fn survey() -> Value {
    json!({
        "id": SURVEY, "activity_id": ACTIVITY, "kind": "post_test", "title": "Sepsis: post-test",
        "max_attempts": 3, "response_count": 48, "version": 1,
        "created_at": "2026-11-15T10:00:00Z", "updated_at": "2026-11-15T10:00:00Z",
        "questions": [
            {"id": "q1", "type": "single_choice", "required": true, "moore_level": "3a",
             "text": "Within what time should broad-spectrum antibiotics be given in septic shock?",
             "objective": "Apply the Hour-1 bundle",
             "options": [{"id": "a", "text": "1 hour"}, {"id": "b", "text": "3 hours"}],
             "correct_option_ids": ["a"]},
            {"id": "q2", "type": "likert", "required": true, "moore_level": "4",
             "text": "I am confident escalating a septic patient",
             "likert_labels": ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]},
        ],
    })
}

fn survey_response() -> Value {
    json!({
        "id": "0193f1a3-4e5f-7a6b-8c72-8d9e0f1a2b3c", "survey_id": SURVEY, "kind": "post_test",
        "enrollment_id": ENROLLMENT, "user_id": LEARNER, "attempt": 1, "score": 100.0, "passed": true,
        "submitted_at": "2026-12-01T16:50:00Z",
        "answers": [
            {"question_id": "q1", "option_ids": ["a"]},
            {"question_id": "q2", "value": 4.0},
        ],
    })
}

fn disclosures() -> Value {
    json!({
        "activity_id": ACTIVITY, "title": TITLE,
        "statement": "All relevant financial relationships have been mitigated.",
        "people": [
            {"name": "Dr. Ana Silva", "role": "faculty", "mitigated": true,
             "relationships": [{"company": "Example Diagnostics Inc.", "nature": "Advisory board"}]},
            {"name": "Dana Lee, MD", "role": "planner", "mitigated": null, "relationships": []},
        ],
        "commercial_support": [
            {"supporter": "Example Diagnostics Inc.", "agreement_date": "2026-10-01",
             "in_kind_description": "Point-of-care lactate analyzers for the simulation lab"},
        ],
    })
}

fn attendance() -> Value {
    json!({
        "session_id": SESSION, "enrollment_id": ENROLLMENT, "enrollment_status": "registered",
        "minutes": 90, "source": "check_in", "present_from": "2026-12-01T13:00:00Z",
        "present_to": "2026-12-01T14:30:00Z", "recorded_at": "2026-12-01T14:30:00Z",
    })
}

fn reporting_state() -> Value {
    json!({"destination": "pars_learner", "action": "add", "status": "due", "due_on": "2026-12-31",
           "license_state": null})
}

fn transcript() -> Value {
    json!({
        "user_id": LEARNER, "first_name": "Jordan", "last_name": "Rivera", "from": "2026-01-01", "to": null,
        "entries": [{
            "claim_id": CLAIM, "activity_id": ACTIVITY, "activity_title": TITLE, "format": "course",
            "credit_type": "ama_pra_1", "amount": 1.5, "completion_date": "2026-12-01", "acpe_uan": null,
            "reporting": [reporting_state()],
        }],
        "totals": [{"credit_type": "ama_pra_1", "amount": 1.5}],
    })
}

fn issued_credential() -> Value {
    let credential_id = "urn:uuid:0193f1a5-8b21-7dd3-a02d-6b1e3f8c0b52";
    json!({
        "claim_id": CLAIM, "credential_id": credential_id, "revoked": false,
        "jwt": "eyJhbGciOiJFZERTQSIsImtpZCI6Imh0dHBzOi8vY2UuZXhhbXBsZS5lZHUvLndlbGwta25vd24vandrcy5qc29uI2tQcksiLCJ0eXAiOiJKV1QifQ.e30.c2ln",
        "credential": {
            "@context": ["https://www.w3.org/ns/credentials/v2",
                         "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "id": credential_id,
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {"id": "https://ce.example.edu/v1/credential-issuer", "type": ["Profile"],
                       "name": "Riverside University School of Medicine, Office of Continuing Education"},
            "validFrom": "2026-12-01T17:05:00Z",
            "credentialSubject": {"type": ["AchievementSubject"], "achievement": {
                "id": format!("https://ce.example.edu/v1/activities/{ACTIVITY}"), "type": ["Achievement"],
                "name": TITLE, "criteria": {"narrative": "Attended and completed the evaluation"}}},
            "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
                "statusListIndex": "4242",
                "statusListCredential": "https://ce.example.edu/v1/credential-status/0193f1a5-0000-7000-8000-000000000001"},
        },
    })
}

fn credit_event() -> Value {
    json!({
        "event_id": "42", "type": "credit.awarded", "occurred_at": "2026-12-01T17:05:00Z",
        "replaces_claim_id": null, "claim": {"$example": "CreditClaim"},
        "learner": {"user_id": LEARNER, "external_id": "EMP-20417", "email": "jordan.rivera@example.org",
                    "first_name": "Jordan", "last_name": "Rivera", "npi": "1234567893"},
        "activity": {"id": ACTIVITY, "title": TITLE, "format": "course", "time_zone": "America/New_York",
                     "starts_at": "2026-12-01T13:00:00Z", "ends_at": "2026-12-01T16:30:00Z",
                     "location": "Riverside University Hospital, Simulation Center"},
        "reporting": [reporting_state()],
    })
}

fn integration_client() -> Value {
    json!({
        "id": CLIENT, "name": "St. Mary's LMS", "scopes": ["enrollments:read", "credits:read"], "active": true,
        "created_at": "2026-11-29T10:00:00Z", "updated_at": "2026-11-29T10:00:00Z",
    })
}

fn provider() -> Value {
    json!({
        "configured": true, "version": 2, "updated_at": "2026-11-01T12:00:00Z",
        "legal_name": "Riverside University School of Medicine, Office of Continuing Education",
        "address": "100 University Ave, Springfield, IL 62701", "email": "ce@riverside.example.org",
        "accreditations": [{"accreditor": "joint_accreditation", "provider_number": "JA0000123",
            "statement": "In support of improving patient care, Riverside University School of Medicine is \
                jointly accredited by the Accreditation Council for Continuing Medical Education (ACCME), \
                the Accreditation Council for Pharmacy Education (ACPE), and the American Nurses \
                Credentialing Center (ANCC), to provide continuing education for the healthcare team."}],
        "designation_wording": [{"credit_type": "ama_pra_1", "statement": "Riverside University School of \
            Medicine designates this live activity for a maximum of {amount} AMA PRA Category 1 \
            Credit(s)\u{2122}. Physicians should claim only the credit commensurate with the extent of \
            their participation in the activity."}],
        "cebroker_provider_number": "50-12345", "signatory_name": "Dana Lee, MD",
        "signatory_title": "Director, Continuing Education",
    })
}

fn reporting_item() -> Value {
    json!({
        "id": ITEM, "destination": "pars_learner", "action": "add", "status": "due",
        "claim_id": CLAIM, "activity_id": ACTIVITY, "user_id": LEARNER, "credit_type": "ama_pra_1",
        "amount": 1.5, "completion_date": "2026-12-01", "due_on": "2026-12-31",
        "created_at": "2026-12-01T17:05:00Z", "updated_at": "2026-12-01T17:05:00Z",
    })
}

fn batch() -> Value {
    json!({
        "id": BATCH, "destination": "cpe_monitor", "status": "completed", "item_count": 2,
        "file_name": "cpe-monitor-2026-12-02.json", "media_type": "application/json",
        "accepted": 1, "rejected": 1, "held_back": [
            {"item_id": "01938f5e-8a4b-7c3d-9e2f-0a1b2c3d4e61",
             "reason": "the learner has no NABP e-Profile ID"},
        ],
        "created_at": "2026-12-02T09:00:00Z", "submitted_at": "2026-12-02T09:01:00Z",
        "completed_at": "2026-12-02T09:01:02Z",
    })
}

fn paired(n: i64, pre: f64, post: f64) -> Value {
    json!({"n": n, "mean_pre": pre, "mean_post": post, "mean_change": post - pre, "sd_change": 18.2,
           "cohens_d": ((post - pre) / 18.2 * 100.0).round() / 100.0})
}

fn participation() -> Value {
    json!({"enrolled": 112, "attended": 104, "completed": 97, "claimed": 95, "physicians": 61,
           "other_learners": 43, "session_attendances": 104,
           "credits_awarded": [{"credit_type": "ama_pra_1", "amount": 91.5},
                               {"credit_type": "ancc", "amount": 48.0}]})
}

fn activity_outcomes() -> Value {
    json!({
        "activity_id": ACTIVITY, "title": TITLE, "format": "course",
        "participation": participation(),
        "sessions": [{"session_id": SESSION, "title": "Hour-1 bundle: case-based workshop",
                      "date": "2026-12-01", "starts_at": "2026-12-01T13:00:00Z", "attended": 104,
                      "credits_awarded": [{"credit_type": "ama_pra_1", "amount": 91.5}]}],
        "levels_measured": [{"level": "2", "methods": ["subjective"]},
                            {"level": "3a", "methods": ["objective"]},
                            {"level": "4", "methods": ["subjective"]}],
        "satisfaction": [{"survey_id": SURVEY, "question_id": "q2", "moore_level": "4",
                          "question": "I am confident escalating a septic patient", "n": 97, "mean": 4.3,
                          "distribution": [0, 2, 9, 43, 43]}],
        "knowledge": {
            "pre_percent_correct": 58.0, "post_percent_correct": 89.0,
            "paired": paired(90, 58.0, 89.0),
            "paired_by_level": [{"level": "3a", "paired": paired(90, 58.0, 89.0)}],
            "items": [{"question_id": "q1", "moore_level": "3a", "objective": "Apply the Hour-1 bundle",
                       "question": "Within what time should broad-spectrum antibiotics be given in septic shock?",
                       "pre": {"n": 90, "correct": 52, "percent_correct": 57.8},
                       "post": {"n": 90, "correct": 80, "percent_correct": 88.9},
                       "mcnemar": {"b": 31, "c": 3, "chi_square": 21.44, "p_value": 0.00001,
                                   "method": "chi_square"}}],
        },
        "commitment": {"n": 97, "committed": 71, "rate": 0.73,
                       "statements": ["Start a lactate order set in our ED"]},
        "follow_up": {"n": 40, "implemented": 29, "rate": 0.73,
                      "barriers": ["Pharmacy turnaround time for first antibiotic dose"]},
        "free_text": [{"survey_id": SURVEY, "question_id": "q3", "question": "What will you change?",
                       "answers": ["Call the sepsis team at the first lactate above 2"]}],
    })
}

fn program_outcomes() -> Value {
    json!({
        "from": "2026-01-01", "to": "2026-12-31",
        "totals": {"activities": 14, "enrolled": 1520, "completed": 1288, "pre_percent_correct": 61.0,
                   "post_percent_correct": 84.5, "paired": paired(902, 61.0, 84.5)},
        "by_format": [{"format": "course", "activities": 9, "enrolled": 1104, "completed": 957,
                       "pre_percent_correct": 60.2, "post_percent_correct": 85.1,
                       "paired": paired(701, 60.2, 85.1)}],
        "by_level": [{"level": "3a", "activities": 11, "objective": 11, "subjective": 0,
                      "paired": paired(902, 61.0, 84.5)},
                     {"level": "4", "activities": 6, "objective": 0, "subjective": 6, "paired": null}],
        "activities": [{"activity_id": ACTIVITY, "title": TITLE, "format": "course",
                        "participation": participation(), "pre_percent_correct": 58.0,
                        "post_percent_correct": 89.0, "paired": paired(90, 58.0, 89.0),
                        "paired_by_level": [{"level": "3a", "paired": paired(90, 58.0, 89.0)}],
                        "levels_measured": [{"level": "3a", "methods": ["objective"]}],
                        "commitment_rate": 0.73, "follow_up_rate": 0.73}],
    })
}

/// Replaces every `{"$example": "Name"}` with the example of schema `Name` (so a row of a
/// batch result shows the same enrollment the `Enrollment` schema does).
pub(super) fn resolve(value: &mut Value, schemas: &serde_json::Map<String, Value>) {
    if let Some(name) = value.get("$example").and_then(Value::as_str) {
        if let Some(example) = schemas.get(name).and_then(|schema| schema.get("example")) {
            *value = example.clone();
        }
        return;
    }
    match value {
        Value::Object(object) => object.values_mut().for_each(|inner| resolve(inner, schemas)),
        Value::Array(items) => items.iter_mut().for_each(|inner| resolve(inner, schemas)),
        _ => {}
    }
}

/// `(operation path, CSV)`: each CSV representation illustrated by the server's own writer
/// applied to the JSON example of the same report (the roster, written from a query, by its
/// header and the example enrollment).
pub(super) fn csv_examples(schemas: &serde_json::Map<String, Value>) -> Vec<(&'static str, String)> {
    fn parsed<T: serde::de::DeserializeOwned>(
        schemas: &serde_json::Map<String, Value>,
        name: &str,
    ) -> Option<T> {
        serde_json::from_value(schemas.get(name)?.get("example")?.clone()).ok()
    }
    let mut examples = Vec::new();
    if let Some(transcript) = parsed(schemas, "Transcript") {
        let csv = crate::credit_claims::transcript::to_csv(&transcript);
        examples.push(("/v1/me/transcript", csv.clone()));
        examples.push(("/v1/users/{user_id}/transcript", csv));
    }
    if let Some(report) = parsed(schemas, "ActivityOutcomes") {
        examples
            .push(("/v1/activities/{activity_id}/outcomes", crate::reports::tables::outcomes_csv(&report)));
    }
    if let Some(report) = parsed(schemas, "ProgramOutcomes") {
        examples.push(("/v1/reports/outcomes", crate::reports::tables::program_csv(&report)));
    }
    let survey: Option<crate::surveys::dto::Survey> = parsed(schemas, "Survey");
    if let (Some(survey), Some(response)) = (survey, parsed(schemas, "SurveyResponse")) {
        let csv = crate::surveys::tables::responses_csv(&[response], &survey.details.questions);
        examples.push(("/v1/surveys/{survey_id}/responses", csv));
    }
    let enrollment = schemas.get("Enrollment").and_then(|s| s.get("example"));
    if let Some(enrollment) = enrollment {
        let learner = user();
        let text = |value: &Value| value.as_str().map(str::to_string).unwrap_or_default();
        let mut csv = crate::enrollments::service::ROSTER_CSV_HEADER.to_string();
        let row = [
            text(&enrollment["id"]),
            text(&enrollment["user_id"]),
            text(&learner["last_name"]),
            text(&learner["first_name"]),
            text(&learner["email"]),
            text(&learner["profession"]),
            text(&enrollment["status"]),
            String::new(),
            text(&enrollment["completed_at"]),
            text(&enrollment["completion_date"]),
        ];
        crate::http::csv::push_row(&mut csv, &row);
        examples.push(("/v1/activities/{activity_id}/enrollments", csv));
    }
    examples
}
