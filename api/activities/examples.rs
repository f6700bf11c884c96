//! The request example of `POST /v1/activities`, built from a date so that it stays
//! publishable: Swagger UI's "Try it out" creates an activity that can be published as is.
//! The served document builds it from today; the committed document from a fixed date.

use chrono::{Days, NaiveDate};
use serde_json::{json, Value};

pub fn create_activity(today: NaiveDate) -> Value {
    let start_day = today + Days::new(120);
    let disclosed_on = today - Days::new(14);
    let opens = today;
    json!({
        "title": "Sepsis in the First Hour: Bundles, Biomarkers and Team Response",
        "summary": "A half-day interprofessional course on recognising and treating sepsis early.",
        "description": "Case-based sessions and simulation on the Hour-1 bundle, lactate and procalcitonin, and escalation.",
        "format": "course",
        "delivery": "hybrid",
        "time_zone": "America/New_York",
        "starts_at": format!("{start_day}T13:00:00Z"),
        "ends_at": format!("{start_day}T16:30:00Z"),
        "location": "Simulation Center, 200 First Avenue, New York, NY",
        "join_url": "https://ce.example.org/live/sepsis",
        "capacity": 120,
        "registration_opens_at": format!("{opens}T00:00:00Z"),
        "registration_closes_at": format!("{start_day}T12:00:00Z"),
        "fee": {"amount_minor": 15000, "currency": "USD"},
        "specialties": ["emergency_medicine", "infectious_disease"],
        "topics": ["patient_safety", "quality_improvement", "team_based_care"],
        "target_professions": ["physician", "nurse", "pharmacist", "physician_assistant"],
        "practice_gap": "Time to antibiotics for septic patients in our emergency department exceeds the 1-hour target in 40% of cases.",
        "educational_needs": {
            "knowledge": "Current Surviving Sepsis Campaign recommendations",
            "competence": "Applying the Hour-1 bundle to ambiguous presentations",
            "performance": "Reliable team escalation within the first hour"
        },
        "learning_objectives": [
            "Recognise sepsis and septic shock using current criteria",
            "Apply the Hour-1 bundle in the emergency department",
            "Coordinate escalation across physicians, nurses and pharmacists"
        ],
        "outcome_levels": ["1", "2", "3a", "4", "5"],
        "joint_providers": ["Example County Hospital"],
        "credit_designations": [
            {"credit_type": "ama_pra_1", "max_amount": 3.5, "eligible_professions": ["physician", "physician_assistant"]},
            {"credit_type": "ancc", "max_amount": 3.5, "eligible_professions": ["nurse", "nurse_practitioner"]},
            {"credit_type": "acpe", "max_amount": 3.5, "acpe_uan": "0197-0000-26-001-L01-P", "eligible_professions": ["pharmacist"]}
        ],
        "people": [
            {
                "role": "planner",
                "name": "Dr. Priya Raman",
                "disclosure": {"disclosed_on": disclosed_on, "has_relationships": false, "relationships": []}
            },
            {
                "role": "faculty",
                "name": "Dr. Ana Silva",
                "disclosure": {
                    "disclosed_on": disclosed_on,
                    "has_relationships": true,
                    "relationships": [{"company": "Acme Diagnostics", "nature": "Consultant"}],
                    "relevant": true,
                    "mitigation": "Content peer reviewed by the CE committee for balance and absence of commercial bias"
                }
            },
            {
                "role": "reviewer",
                "name": "Jordan Lee, RN",
                "disclosure": {"disclosed_on": disclosed_on, "has_relationships": false, "relationships": []}
            }
        ],
        "commercial_support": [],
        "completion_requirements": {"min_attendance_percent": 80, "evaluation_required": true}
    })
}
