//! Reporting to the boards: items written with awards (and corrections with revocations),
//! due dates per destination, batch files checked element by element, answers, deadlines
//! around a clock the test moves, and who may see what.

use actix_web::http::Method;
use chrono::{Days, NaiveDate, TimeZone, Utc};
use serde_json::{json, Value};

use crate::{
    credit::{ama, claim, claim_body, completed_learner, enduring, post, publish, Learner, Setup},
    db_test,
    support::TestApp,
};

const UAN: &str = "0197-0000-26-001-H01-P";

/// The provider profile with its numbers at every destination.
async fn provider_with_numbers(app: &TestApp, admin: &str) {
    let profile = json!({
        "legal_name": "Riverside University CE",
        "address": "100 University Ave, Springfield, IL",
        "accreditations": [
            {"accreditor": "accme", "provider_number": "0001234"},
            {"accreditor": "acpe", "provider_number": "0197"}
        ],
        "cebroker_provider_number": "50-12345"
    });
    app.request(Method::PUT, "/v1/provider").bearer(admin).json(&profile).send().await.assert_status(200);
}

/// A published enduring material offering AMA, ABIM MOC, ACPE and ANCC credit, with its PARS
/// and CE Broker numbers.
async fn activity(app: &TestApp) -> Setup {
    let mut body = enduring(
        json!([
            ama(2.0),
            {"credit_type": "abim_moc", "max_amount": 2.0, "moc_credit_types": ["medical_knowledge"]},
            {"credit_type": "acpe", "max_amount": 2.0, "acpe_uan": UAN},
            {"credit_type": "ancc", "max_amount": 2.0}
        ]),
        "automatic",
    );
    body["reporting"] = json!({"accme_activity_id": "201234567", "cebroker_course_number": "20-678901"});
    publish(app, body).await
}

fn physician() -> Value {
    json!({"profession": "physician", "board_ids": {"abim": "123456"}, "birth_mmdd": "0412",
           "consent_to_report": true, "first_name": "Ana", "last_name": "Ruiz"})
}

fn pharmacist(epid: &str) -> Value {
    json!({"profession": "pharmacist", "nabp_eprofile_id": epid, "birth_mmdd": "0704"})
}

fn florida_nurse() -> Value {
    json!({"profession": "nurse", "state_licenses": [
        {"state": "FL", "license_type": "RN", "license_number": "RN9999999"},
        {"state": "NY", "license_type": "RN", "license_number": "123456"}
    ]})
}

/// Claims `credit_type` for the learner; the awarded claim's id and completion date.
async fn awarded(app: &TestApp, learner: &Learner, credit_type: &str, extra: Value) -> (String, NaiveDate) {
    let mut body = claim_body(&learner.enrollment, credit_type, 2.0);
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    let claimed = claim(app, &learner.token, body).await;
    claimed.assert_status(201);
    let claimed = claimed.json();
    assert_eq!(claimed["status"], "awarded");
    (
        claimed["id"].as_str().unwrap().to_string(),
        claimed["completion_date"].as_str().unwrap().parse().unwrap(),
    )
}

async fn items(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let page =
        app.request(Method::GET, &format!("/v1/reporting/items?limit=100{query}")).bearer(token).send().await;
    page.assert_status(200);
    page.json()["data"].as_array().unwrap().clone()
}

fn of_claim<'a>(items: &'a [Value], claim: &str) -> Vec<&'a Value> {
    items.iter().filter(|i| i["claim_id"] == claim).collect()
}

async fn batch(app: &TestApp, token: &str, body: Value) -> crate::support::app::TestResponse {
    post(app, token, "/v1/reporting/batches", body).await
}

async fn file(app: &TestApp, token: &str, batch_id: &str) -> (String, String, String) {
    let file = app
        .request(Method::GET, &format!("/v1/reporting/batches/{batch_id}/file"))
        .bearer(token)
        .send()
        .await;
    file.assert_status(200);
    (file.header("content-type").unwrap(), file.header("content-disposition").unwrap(), file.text())
}

/// The text of the only child element `name` of `node`.
fn child<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> roxmltree::Node<'a, 'a> {
    let found: Vec<_> = node.children().filter(|c| c.has_tag_name(name)).collect();
    assert_eq!(found.len(), 1, "one <{name}> in <{}>", node.tag_name().name());
    found[0]
}

fn text<'a>(node: roxmltree::Node<'a, 'a>, path: &[&str]) -> String {
    let mut at = node;
    for name in path {
        at = child(at, name);
    }
    at.text().unwrap_or("").to_string()
}

db_test!(
    async fn awards_become_items_files_and_corrections_for_each_board(app: TestApp) {
        let setup = activity(&app).await;
        provider_with_numbers(&app, &setup.admin).await;
        let doctor = completed_learner(&app, &setup, physician(), 120).await;
        let (ama_claim, _) = awarded(&app, &doctor, "ama_pra_1", json!({})).await;
        let (moc_claim, completed) =
            awarded(&app, &doctor, "abim_moc", json!({"moc_credit_type": "medical_knowledge"})).await;
        let pharmacist_a = completed_learner(&app, &setup, pharmacist("1234567"), 120).await;
        let (acpe_a, _) = awarded(&app, &pharmacist_a, "acpe", json!({})).await;
        let pharmacist_b = completed_learner(&app, &setup, pharmacist("7654321"), 120).await;
        let (acpe_b, _) = awarded(&app, &pharmacist_b, "acpe", json!({})).await;
        let nurse = completed_learner(&app, &setup, florida_nurse(), 120).await;
        let (ancc_claim, _) = awarded(&app, &nurse, "ancc", json!({})).await;

        // One item per award a board takes, each with its destination's due date (and the
        // activity's own PARS record, written when it was published).
        let all = items(&app, &setup.admin, "").await;
        assert_eq!(all.len(), 5, "{all:?}");
        assert_eq!(all.iter().filter(|i| i["destination"] == "pars_activity").count(), 1);
        assert!(of_claim(&all, &ama_claim).is_empty(), "AMA credit alone goes to no board");
        let moc = of_claim(&all, &moc_claim)[0];
        assert_eq!(
            (moc["destination"].as_str(), moc["action"].as_str()),
            (Some("pars_learner"), Some("add"))
        );
        let year_end = NaiveDate::from_ymd_opt(chrono::Datelike::year(&completed), 12, 31).unwrap();
        assert_eq!(moc["due_on"], year_end.to_string());
        let cpe = of_claim(&all, &acpe_a)[0];
        assert_eq!(cpe["destination"], "cpe_monitor");
        assert_eq!(cpe["due_on"], (completed + Days::new(60)).to_string());
        let broker = of_claim(&all, &ancc_claim);
        assert_eq!(broker.len(), 1, "the New York license goes nowhere");
        assert_eq!(broker[0]["destination"], "ce_broker");
        assert_eq!(broker[0]["license_state"], "FL");
        assert_eq!(broker[0]["due_on"], (completed + Days::new(30)).to_string());

        // Pharmacist B loses the e-Profile ID: the CPE Monitor batch holds that item back, named.
        app.request(Method::PATCH, "/v1/me")
            .bearer(&pharmacist_b.token)
            .json(&json!({"nabp_eprofile_id": null}))
            .send()
            .await
            .assert_status(200);
        let built = batch(&app, &setup.admin, json!({"destination": "cpe_monitor"})).await;
        built.assert_status(201);
        let cpe_batch = built.json();
        assert_eq!(cpe_batch["item_count"], 1);
        let held_id = of_claim(&all, &acpe_b)[0]["id"].clone();
        assert_eq!(cpe_batch["held_back"][0]["item_id"], held_id);
        assert!(cpe_batch["held_back"][0]["reason"].as_str().unwrap().contains("NABP e-Profile ID"));
        let held = items(&app, &setup.admin, "&destination=cpe_monitor&status=due").await;
        assert_eq!(held.len(), 1);
        assert!(held[0]["hold_reason"].as_str().unwrap().contains("NABP e-Profile ID"));
        let cpe_batch_id = cpe_batch["id"].as_str().unwrap().to_string();
        let (media, disposition, body) = file(&app, &setup.admin, &cpe_batch_id).await;
        assert!(media.starts_with("application/json"));
        assert!(disposition.contains("cpe-monitor-") && disposition.contains(".json"));
        let document: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(document["provider_number"], "0197");
        let records = document["records"].as_array().unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0]["epid"], "1234567");
        assert_eq!(records[0]["date_of_birth"], "0704");
        assert_eq!(records[0]["uan"], UAN);
        assert_eq!(records[0]["date_of_participation"], completed.to_string());
        assert_eq!(records[0]["action"], "I");
        assert_eq!(records[0]["credit_hours"], 2.0);

        // CE Broker: the roster XML, element by element.
        let built = batch(&app, &setup.admin, json!({"destination": "ce_broker"})).await;
        built.assert_status(201);
        let broker_batch = built.json()["id"].as_str().unwrap().to_string();
        let (media, _, xml) = file(&app, &setup.admin, &broker_batch).await;
        assert!(media.starts_with("application/xml"));
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let rosters = doc.root_element();
        assert_eq!(rosters.tag_name().name(), "rosters");
        assert_eq!(rosters.attribute("id_parent_provider"), Some("12345"));
        let roster = child(rosters, "roster");
        assert_eq!(text(roster, &["id_provider"]), "12345");
        assert_eq!(text(roster, &["id_course"]), "678901");
        let attendee = child(child(roster, "attendees"), "attendee");
        assert_eq!(text(attendee, &["licensee_profession"]), "RN");
        assert_eq!(text(attendee, &["license"]), "RN9999999");
        assert_eq!(text(attendee, &["cebroker_state"]), "FL");
        assert_eq!(text(attendee, &["date_completed"]), completed.format("%m/%d/%Y").to_string());
        assert!(!text(attendee, &["first_name"]).is_empty() && !text(attendee, &["last_name"]).is_empty());

        // PARS learner XML for the MOC points.
        let built = batch(&app, &setup.admin, json!({"destination": "pars_learner"})).await;
        built.assert_status(201);
        let pars_batch = built.json()["id"].as_str().unwrap().to_string();
        let (_, _, xml) = file(&app, &setup.admin, &pars_batch).await;
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let report = child(child(doc.root_element(), "ActivityReports"), "ActivityReport");
        assert_eq!(text(report, &["ReportingOrganization"]), "Riverside University CE");
        assert_eq!(text(report, &["Member", "Name", "GivenName"]), "Ana");
        assert_eq!(text(report, &["Member", "Name", "FamilyName"]), "Ruiz");
        assert_eq!(text(report, &["Member", "PersonalInfo", "BirthDate"]), "--04-12");
        let activity = child(report, "Activity");
        assert_eq!(text(activity, &["ProviderOrganization"]), "0001234");
        let module = child(activity, "Module");
        assert_eq!(child(module, "ModuleName").attribute("moduleID"), Some("201234567"));
        assert_eq!(text(module, &["Status"]), "Completed");
        assert_eq!(text(module, &["CompletedDateTime"]), format!("{completed}T00:00:00"));
        let certificate = child(module, "CreditCertificate");
        assert_eq!(child(certificate, "UniqueID").attribute("domain"), Some("ABIM"));
        assert_eq!(text(certificate, &["UniqueID"]), "123456");
        let credit = child(certificate, "CreditReceived");
        assert_eq!(credit.attribute("numberOfCredits"), Some("2"));
        assert_eq!(credit.attribute("activityCertification"), Some("ABIM MK"));
        assert_eq!(text(certificate, &["CreditID"]), format!("ccid:0001234:{moc_claim}"));
        assert_eq!(text(report, &["XtensibleInfo", "LearnerRecordAction"]), "add");

        // Answers: before submission, refused; then CPE Monitor accepts, PARS rejects.
        let answer = |id: &Value, outcome: &str| json!({"results": [{"item_id": id, "outcome": outcome, "message": "checked"}]});
        let cpe_item = cpe["id"].clone();
        post(
            &app,
            &setup.admin,
            &format!("/v1/reporting/batches/{cpe_batch_id}/results"),
            answer(&cpe_item, "accepted"),
        )
        .await
        .assert_problem(409, "invalid-transition");
        for id in [&cpe_batch_id, &pars_batch] {
            let submitted =
                post(&app, &setup.admin, &format!("/v1/reporting/batches/{id}/submission"), json!({})).await;
            submitted.assert_status(200);
            assert_eq!(submitted.json()["status"], "submitted");
        }
        post(&app, &setup.admin, &format!("/v1/reporting/batches/{cpe_batch_id}/submission"), json!({}))
            .await
            .assert_problem(409, "invalid-transition");
        let not_in_batch = post(
            &app,
            &setup.admin,
            &format!("/v1/reporting/batches/{cpe_batch_id}/results"),
            answer(&held_id, "accepted"),
        )
        .await
        .assert_problem(422, "validation");
        assert_eq!(not_in_batch["errors"][0]["field"], "results[0].item_id");
        let no_message = json!({"results": [{"item_id": moc["id"], "outcome": "rejected"}]});
        let refused =
            post(&app, &setup.admin, &format!("/v1/reporting/batches/{pars_batch}/results"), no_message)
                .await
                .assert_problem(422, "validation");
        assert_eq!(refused["errors"][0]["field"], "results[0].message");
        let done = post(
            &app,
            &setup.admin,
            &format!("/v1/reporting/batches/{cpe_batch_id}/results"),
            answer(&cpe_item, "accepted"),
        )
        .await;
        done.assert_status(200);
        assert_eq!(
            (done.json()["status"].as_str(), done.json()["accepted"].as_i64()),
            (Some("completed"), Some(1))
        );
        let rejection = json!({"results": [{"item_id": moc["id"], "outcome": "rejected", "message": "Board ID not found"}]});
        post(&app, &setup.admin, &format!("/v1/reporting/batches/{pars_batch}/results"), rejection)
            .await
            .assert_status(200);
        let after = items(&app, &setup.admin, "").await;
        let find = |id: &Value| after.iter().find(|i| i["id"] == *id).unwrap().clone();
        assert_eq!(find(&cpe_item)["status"], "accepted");
        let rejected = find(&moc["id"]);
        assert_eq!(
            (rejected["status"].as_str(), rejected["rejection"].as_str()),
            (Some("due"), Some("Board ID not found"))
        );

        // A revocation after acceptance yields the destination's delete; before sending, the
        // item is simply superseded.
        for (id, token) in [(&acpe_a, &setup.planner), (&acpe_b, &setup.planner)] {
            post(
                &app,
                token,
                &format!("/v1/credit-claims/{id}/revoke"),
                json!({"reason": "Attendance not verified"}),
            )
            .await
            .assert_status(200);
        }
        let after = items(&app, &setup.admin, "&destination=cpe_monitor").await;
        let corrections: Vec<&Value> = after.iter().filter(|i| i["action"] == "delete").collect();
        assert_eq!(corrections.len(), 1, "{after:?}");
        assert_eq!(corrections[0]["correction_of"], cpe_item);
        assert_eq!(corrections[0]["status"], "due");
        assert_eq!(of_claim(&after, &acpe_b)[0]["status"], "superseded");
        // The delete goes out in the next CPE Monitor file.
        let built = batch(&app, &setup.admin, json!({"destination": "cpe_monitor"})).await;
        built.assert_status(201);
        let (_, _, body) = file(&app, &setup.admin, built.json()["id"].as_str().unwrap()).await;
        let document: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(document["records"][0]["action"], "D");
        // Nothing left: the answer says so.
        batch(&app, &setup.admin, json!({"destination": "cpe_monitor"}))
            .await
            .assert_problem(422, "nothing-to-report");
    }
);

async fn counts(app: &TestApp, token: &str, destination: &str) -> Value {
    let deadlines = app.request(Method::GET, "/v1/reporting/deadlines").bearer(token).send().await;
    deadlines.assert_status(200);
    deadlines.json()["destinations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["destination"] == destination)
        .unwrap()
        .clone()
}

db_test!(
    settings = crate::support::tokens_outlive_the_scenario;
    async fn deadline_counts_follow_the_clock(app: TestApp) {
        let setup = activity(&app).await;
        provider_with_numbers(&app, &setup.admin).await;
        let nurse = completed_learner(&app, &setup, florida_nurse(), 120).await;
        let (_, completed) = awarded(&app, &nurse, "ancc", json!({})).await;
        let pharmacist = completed_learner(&app, &setup, pharmacist("1234567"), 120).await;
        awarded(&app, &pharmacist, "acpe", json!({})).await;
        let noon =
            |days: u64| Utc.from_utc_datetime(&(completed + Days::new(days)).and_hms_opt(12, 0, 0).unwrap());
        let expect = |d: &Value, overdue: i64, today: i64, week: i64, later: i64| {
            assert_eq!(
                (
                    d["overdue"].as_i64(),
                    d["due_today"].as_i64(),
                    d["due_this_week"].as_i64(),
                    d["due_later"].as_i64()
                ),
                (Some(overdue), Some(today), Some(week), Some(later)),
                "{d}"
            );
        };
        // CE Broker (30 days) and CPE Monitor (60 days) from the completion date.
        app.clock.set(noon(1));
        expect(&counts(&app, &setup.admin, "ce_broker").await, 0, 0, 0, 1);
        app.clock.set(noon(23));
        expect(&counts(&app, &setup.admin, "ce_broker").await, 0, 0, 1, 0);
        app.clock.set(noon(30));
        expect(&counts(&app, &setup.admin, "ce_broker").await, 0, 1, 0, 0);
        expect(&counts(&app, &setup.admin, "cpe_monitor").await, 0, 0, 0, 1);
        app.clock.set(noon(31));
        expect(&counts(&app, &setup.admin, "ce_broker").await, 1, 0, 0, 0);
        app.clock.set(noon(55));
        expect(&counts(&app, &setup.admin, "cpe_monitor").await, 0, 0, 1, 0);
        assert_eq!(counts(&app, &setup.admin, "cpe_monitor").await["held"], 0);
        // Held back and submitted items are counted apart.
        app.request(Method::PATCH, "/v1/me")
            .bearer(&pharmacist.token)
            .json(&json!({"nabp_eprofile_id": null}))
            .send()
            .await
            .assert_status(200);
        batch(&app, &setup.admin, json!({"destination": "cpe_monitor"}))
            .await
            .assert_problem(422, "nothing-to-report");
        assert_eq!(counts(&app, &setup.admin, "cpe_monitor").await["held"], 1);
        let built = batch(&app, &setup.admin, json!({"destination": "ce_broker"})).await;
        built.assert_status(201);
        let id = built.json()["id"].as_str().unwrap().to_string();
        post(&app, &setup.admin, &format!("/v1/reporting/batches/{id}/submission"), json!({}))
            .await
            .assert_status(200);
        let broker = counts(&app, &setup.admin, "ce_broker").await;
        expect(&broker, 0, 0, 0, 0);
        assert_eq!(broker["awaiting_answer"], 1);
        let today =
            app.request(Method::GET, "/v1/reporting/deadlines").bearer(&setup.admin).send().await.json()
                ["today"]
                .clone();
        assert_eq!(today, (completed + Days::new(55)).to_string());
    }
);

db_test!(
    async fn reporting_is_for_the_ce_office_and_planners_see_their_own(app: TestApp) {
        let setup = activity(&app).await;
        provider_with_numbers(&app, &setup.admin).await;
        let pharmacist = completed_learner(&app, &setup, pharmacist("1234567"), 120).await;
        awarded(&app, &pharmacist, "acpe", json!({})).await;
        let (_, other_planner) = app.user_with_role(&setup.admin, "planner").await;
        let (_, leader) = app.user_with_role(&setup.admin, "leader").await;
        assert_eq!(items(&app, &setup.planner, "&destination=cpe_monitor").await.len(), 1);
        assert!(items(&app, &other_planner, "").await.is_empty());
        for token in [&pharmacist.token, &leader] {
            app.request(Method::GET, "/v1/reporting/items")
                .bearer(token)
                .send()
                .await
                .assert_problem(403, "forbidden");
        }
        // A planner builds batches of their own activities' items only.
        batch(&app, &other_planner, json!({"destination": "cpe_monitor"}))
            .await
            .assert_problem(422, "nothing-to-report");
        let item = items(&app, &setup.admin, "&destination=cpe_monitor").await[0]["id"].clone();
        let named =
            batch(&app, &other_planner, json!({"destination": "cpe_monitor", "item_ids": [item]})).await;
        assert_eq!(named.assert_problem(422, "validation")["errors"][0]["code"], "unknown");
        let wrong =
            batch(&app, &setup.planner, json!({"destination": "ce_broker", "item_ids": [item]})).await;
        assert_eq!(wrong.assert_problem(422, "validation")["errors"][0]["code"], "other_destination");
        let built =
            batch(&app, &setup.planner, json!({"destination": "cpe_monitor", "item_ids": [item]})).await;
        built.assert_status(201);
        let id = built.json()["id"].as_str().unwrap().to_string();
        app.request(Method::GET, &format!("/v1/reporting/batches/{id}"))
            .bearer(&other_planner)
            .send()
            .await
            .assert_problem(404, "not-found");
        let again =
            batch(&app, &setup.planner, json!({"destination": "cpe_monitor", "item_ids": [item]})).await;
        assert_eq!(again.assert_problem(422, "validation")["errors"][0]["code"], "not_due");
        // Clients with reporting:read read; they do not build batches.
        let (client, secret) = app.integration_client(&setup.admin, &["reporting:read"]).await;
        let lms = app.client_access_token(&client, &secret).await;
        assert_eq!(items(&app, &lms, "&destination=cpe_monitor").await.len(), 1);
        app.request(Method::GET, &format!("/v1/reporting/batches/{id}/file"))
            .bearer(&lms)
            .send()
            .await
            .assert_status(200);
        batch(&app, &lms, json!({"destination": "cpe_monitor"})).await.assert_problem(403, "forbidden");
        let (client, secret) = app.integration_client(&setup.admin, &["credits:read"]).await;
        let other = app.client_access_token(&client, &secret).await;
        app.request(Method::GET, "/v1/reporting/deadlines")
            .bearer(&other)
            .send()
            .await
            .assert_problem(403, "insufficient_scope");
        // The activity's numbers are checked for shape, naming the field.
        let bad = app
            .amend_activity(
                &setup.planner,
                &setup.activity,
                json!({"reporting": {"accme_activity_id": "12-34"}}),
            )
            .await;
        let problem = bad.assert_problem(422, "validation");
        assert_eq!(problem["errors"][0]["field"], "reporting.accme_activity_id", "{problem}");
    }
);

db_test!(
    async fn an_amendment_replaces_what_was_not_sent_and_corrects_what_was(app: TestApp) {
        let setup = activity(&app).await;
        provider_with_numbers(&app, &setup.admin).await;
        let pharmacist = completed_learner(&app, &setup, pharmacist("1234567"), 120).await;
        let (first, _) = awarded(&app, &pharmacist, "acpe", json!({})).await;
        // The learner's transcript and the LMS feed show where the award stands with CPE Monitor.
        let transcript =
            app.request(Method::GET, "/v1/me/transcript").bearer(&pharmacist.token).send().await.json();
        let state = &transcript["entries"][0]["reporting"][0];
        assert_eq!(
            (state["destination"].as_str(), state["status"].as_str()),
            (Some("cpe_monitor"), Some("due"))
        );
        let feed = app.request(Method::GET, "/v1/credit-events").bearer(&setup.admin).send().await.json();
        let event = feed["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["claim"]["id"] == first.as_str())
            .unwrap()
            .clone();
        assert_eq!(event["reporting"][0]["destination"], "cpe_monitor");
        let amend = |id: String, amount: f64| {
            let path = format!("/v1/credit-claims/{id}/amend");
            let body = json!({"amount": amount, "attestation": true, "reason": "Left early"});
            let app = &app;
            let token = pharmacist.token.clone();
            async move {
                let amended = post(app, &token, &path, body).await;
                amended.assert_status(201);
                amended.json()["id"].as_str().unwrap().to_string()
            }
        };
        // Not sent yet: the old item is superseded, the new claim has its own.
        let second = amend(first.clone(), 1.75).await;
        let all = items(&app, &setup.admin, "").await;
        assert_eq!(of_claim(&all, &first)[0]["status"], "superseded");
        let new_item = of_claim(&all, &second)[0].clone();
        assert_eq!((new_item["action"].as_str(), new_item["amount"].as_f64()), (Some("add"), Some(1.75)));
        // Sent: amending again deletes the record at CPE Monitor and adds the new one.
        let built = batch(&app, &setup.admin, json!({"destination": "cpe_monitor"})).await;
        built.assert_status(201);
        let id = built.json()["id"].as_str().unwrap().to_string();
        post(&app, &setup.admin, &format!("/v1/reporting/batches/{id}/submission"), json!({}))
            .await
            .assert_status(200);
        let third = amend(second.clone(), 1.5).await;
        let all = items(&app, &setup.admin, "").await;
        let of_second = of_claim(&all, &second);
        assert_eq!(of_second.len(), 2, "the add, still submitted, and its delete");
        let delete = of_second.iter().find(|i| i["action"] == "delete").unwrap();
        assert_eq!(delete["correction_of"], new_item["id"]);
        assert_eq!(of_claim(&all, &third)[0]["action"], "add");
        assert_eq!(of_claim(&all, &third)[0]["amount"], 1.5);
        // Both go out in the next file.
        let built = batch(&app, &setup.admin, json!({"destination": "cpe_monitor"})).await;
        built.assert_status(201);
        let (_, _, body) = file(&app, &setup.admin, built.json()["id"].as_str().unwrap()).await;
        let document: Value = serde_json::from_str(&body).unwrap();
        let actions: Vec<&str> =
            document["records"].as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["D", "I"], "the old record is taken back before the new one arrives");
    }
);

/// The learner's answers to the activity's post-test (both right).
async fn pass_post_test(app: &TestApp, setup: &Setup, token: &str) {
    let surveys = app
        .request(Method::GET, &format!("/v1/activities/{}/surveys", setup.activity))
        .bearer(token)
        .send()
        .await;
    let surveys = surveys.json();
    let post_test =
        surveys.as_array().unwrap().iter().find(|s| s["kind"] == "post_test").unwrap()["id"].clone();
    let answers = json!({"answers": [{"question_id": "q1", "option_ids": ["a"]}, {"question_id": "q2", "option_ids": ["b"]}]});
    post(app, token, &format!("/v1/surveys/{}/responses", post_test.as_str().unwrap()), answers)
        .await
        .assert_status(201);
}

db_test!(
    async fn an_accredited_activity_goes_to_pars_with_its_counts_and_outcomes(app: TestApp) {
        let mut body = enduring(json!([ama(2.0)]), "automatic");
        body["completion_requirements"] = json!({"min_minutes": 30, "post_test_passing_score": 70});
        body["reporting"] = json!({"accme_activity_id": "201234567", "rems": "opioid_analgesic"});
        let setup = publish(&app, body).await;
        let records = items(&app, &setup.admin, "&destination=pars_activity").await;
        assert_eq!(records.len(), 1, "written when it was published");
        let record = records[0].clone();
        let released: NaiveDate = record["completion_date"].as_str().unwrap().parse().unwrap();
        let march_31 = NaiveDate::from_ymd_opt(chrono::Datelike::year(&released) + 1, 3, 31).unwrap();
        assert_eq!(record["due_on"], march_31.to_string());
        assert!(record["claim_id"].is_null() && record["user_id"].is_null());
        // A physician and a nurse complete it, each with a passed post-test.
        for profile in [json!({"profession": "physician"}), json!({"profession": "nurse"})] {
            let learner = crate::credit::enrolled_learner(&app, &setup, profile).await;
            pass_post_test(&app, &setup, &learner.token).await;
            post(
                &app,
                &setup.planner,
                &format!("/v1/enrollments/{}/completion", learner.enrollment),
                json!({"minutes_spent": 60}),
            )
            .await
            .assert_status(200);
        }
        // Without the provider's ACCME ID the record is held, naming it.
        let held = batch(&app, &setup.admin, json!({"destination": "pars_activity"})).await;
        let held = held.assert_problem(422, "nothing-to-report");
        assert!(held["errors"][0]["message"].as_str().unwrap().contains("ACCME provider ID"), "{held}");
        provider_with_numbers(&app, &setup.admin).await;
        let built = batch(&app, &setup.admin, json!({"destination": "pars_activity"})).await;
        built.assert_status(201);
        let id = built.json()["id"].as_str().unwrap().to_string();
        let (media, disposition, xml) = file(&app, &setup.admin, &id).await;
        assert!(media.starts_with("application/xml") && disposition.contains("pars-activities-"));
        let doc = roxmltree::Document::parse(&xml).unwrap();
        assert_eq!(doc.root_element().tag_name().name(), "ACCMEActivities");
        let metrics = child(doc.root_element(), "MedicalEducationMetrics");
        assert_eq!(text(metrics, &["ReportDescription", "ReportingStartDate"]), released.to_string());
        let general = child(child(metrics, "Lom"), "general");
        let ids: Vec<(String, String)> = general
            .children()
            .filter(|c| c.has_tag_name("identifier"))
            .map(|i| (text(i, &["catalog"]), text(i, &["entry"])))
            .collect();
        assert_eq!(
            ids,
            [
                ("Provider Activity ID".to_string(), setup.activity.clone()),
                ("ACCME Activity ID".to_string(), "201234567".to_string())
            ]
        );
        assert_eq!(text(general, &["title"]), "Opioid Prescribing <Safely>", "escaped and read back");
        let education = child(child(metrics, "healthcareMetadata"), "healthcareEducation");
        assert_eq!(text(education, &["credits", "activityCertification"]), "AMA PRA Category 1");
        assert_eq!(text(education, &["credits", "numberOfCredits"]), "2");
        assert_eq!(text(education, &["activitySponsorship"]), "direct");
        assert_eq!(text(education, &["activityFormat"]), "Enduring Material");
        assert_eq!(text(education, &["commercialSupport"]), "false");
        assert!(education.children().all(|c| !c.has_tag_name("activityLocation")), "not in person");
        let counts: Vec<(String, String)> = child(metrics, "ParticipationMetrics")
            .children()
            .filter(|c| c.has_tag_name("participantsByCategory"))
            .map(|c| (text(c, &["category"]), text(c, &["numberOfParticipants"])))
            .collect();
        assert_eq!(
            counts,
            [("physician".to_string(), "1".to_string()), ("non-physician".to_string(), "1".to_string())]
        );
        let extra = child(metrics, "XtensibleInfo");
        assert_eq!(text(extra, &["DeliveryMethods", "DeliveryMethod"]), "Online");
        assert_eq!(text(extra, &["MeasuredOutcomes", "MeasuredOutcome"]), "Learner Knowledge");
        assert_eq!(text(extra, &["MeasuredOutcomes", "MeasurementType"]), "Objective");
        assert_eq!(text(extra, &["REMS", "REMSType"]), "Opioid Analgesic");
        assert_eq!(text(extra, &["activityRecordAction"]), "Add");
        assert_eq!(text(extra, &["closeActivityRecord"]), "true");
        // Cancelled after it was sent: PARS gets a delete.
        post(&app, &setup.admin, &format!("/v1/reporting/batches/{id}/submission"), json!({}))
            .await
            .assert_status(200);
        app.request(Method::POST, &format!("/v1/activities/{}/cancel", setup.activity))
            .bearer(&setup.planner)
            .header("if-match", "*")
            .json(&json!({}))
            .send()
            .await
            .assert_status(200);
        let records = items(&app, &setup.admin, "&destination=pars_activity").await;
        let delete = records.iter().find(|r| r["action"] == "delete").unwrap();
        assert_eq!(delete["correction_of"], record["id"]);
        let built = batch(&app, &setup.admin, json!({"destination": "pars_activity"})).await;
        built.assert_status(201);
        let (_, _, xml) = file(&app, &setup.admin, built.json()["id"].as_str().unwrap()).await;
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let metrics = child(doc.root_element(), "MedicalEducationMetrics");
        assert_eq!(text(metrics, &["XtensibleInfo", "activityRecordAction"]), "Delete");
    }
);

/// A stand-in for a board's web service on 127.0.0.1: keeps each request (path with query,
/// and body) and answers with `answer(path, body)`.
struct Stub {
    url: String,
    requests: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
    handle: actix_web::dev::ServerHandle,
}

async fn stub(answer: fn(&str, &str) -> (u16, String)) -> Stub {
    use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
    let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = requests.clone();
    let server = HttpServer::new(move || {
        let seen = seen.clone();
        App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
            let seen = seen.clone();
            async move {
                let path = req.uri().to_string();
                let body = String::from_utf8_lossy(&body).into_owned();
                let (status, reply) = answer(&path, &body);
                seen.lock().unwrap().push((path, body));
                HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).body(reply)
            }
        }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Stub { url: format!("http://127.0.0.1:{port}/service.asmx"), requests, handle }
}

/// The query parameters of a recorded request.
fn query(path: &str) -> std::collections::HashMap<String, String> {
    serde_urlencoded::from_str(path.split_once('?').map_or("", |(_, q)| q)).unwrap()
}

/// CPE Monitor accepts e-Profile 1234567, fails on 5555555 (HTTP 500) and refuses any other.
fn cpe_monitor_answer(path: &str, _: &str) -> (u16, String) {
    let epid = query(path).get("epid").cloned().unwrap_or_default();
    if epid == "5555555" {
        return (500, "Server Error".into());
    }
    if epid == "1234567" {
        (200, r#"{"status":"Accepted"}"#.into())
    } else {
        (200, r#"{"status":"Rejected","error_message":"e-Profile ID and birth date do not match"}"#.into())
    }
}

#[actix_web::test]
async fn a_cpe_monitor_batch_is_sent_to_its_service_and_answered_per_participation() {
    for backend in [ce_api::config::Backend::Sqlite, ce_api::config::Backend::Postgres] {
        let service = stub(cpe_monitor_answer).await;
        let url = service.url.clone();
        let configure = move |s: &mut ce_api::config::Settings| {
            s.boards.cpe_monitor = Some(ce_api::config::CpeMonitorService {
                url,
                username: "riverside".into(),
                password: "s3cret".into(),
            });
        };
        let Some(app) = TestApp::spawn_with(backend, configure).await else {
            service.handle.stop(true).await;
            continue;
        };
        let setup = activity(&app).await;
        provider_with_numbers(&app, &setup.admin).await;
        let known = completed_learner(&app, &setup, pharmacist("1234567"), 120).await;
        let (accepted_claim, completed) = awarded(&app, &known, "acpe", json!({})).await;
        let unknown = completed_learner(&app, &setup, pharmacist("7654321"), 120).await;
        let (rejected_claim, _) = awarded(&app, &unknown, "acpe", json!({})).await;
        let built = batch(&app, &setup.admin, json!({"destination": "cpe_monitor"})).await;
        built.assert_status(201);
        let id = built.json()["id"].as_str().unwrap().to_string();
        let sent =
            post(&app, &setup.admin, &format!("/v1/reporting/batches/{id}/submission"), json!({})).await;
        sent.assert_status(200);
        let sent = sent.json();
        assert_eq!(
            (sent["status"].as_str(), sent["accepted"].as_i64(), sent["rejected"].as_i64()),
            (Some("completed"), Some(1), Some(1))
        );
        // The service got one call per participation, with the documented parameters.
        let requests = service.requests.lock().unwrap().clone();
        assert_eq!(requests.len(), 2);
        let first = query(&requests[0].0);
        assert!(requests[0].0.starts_with("/service.asmx/SubmitCPEActivityJSON?"), "{}", requests[0].0);
        assert_eq!(first["username"], "riverside");
        assert_eq!(first["password"], "s3cret");
        assert_eq!(first["provider_number"], "0197");
        assert_eq!(first["uan"], UAN);
        assert_eq!(first["date_of_birth"], "0704");
        assert_eq!(first["date_of_participation"], completed.to_string());
        assert_eq!(first["action"], "I");
        let all = items(&app, &setup.admin, "&destination=cpe_monitor").await;
        assert_eq!(of_claim(&all, &accepted_claim)[0]["status"], "accepted");
        let rejected = of_claim(&all, &rejected_claim)[0].clone();
        assert_eq!(rejected["status"], "due");
        assert_eq!(rejected["rejection"], "e-Profile ID and birth date do not match");
        // The service fails halfway: what it answered is kept, the rest is due again, named.
        let first = completed_learner(&app, &setup, pharmacist("1234567"), 120).await;
        let (first_claim, _) = awarded(&app, &first, "acpe", json!({})).await;
        let second = completed_learner(&app, &setup, pharmacist("5555555"), 120).await;
        let (second_claim, _) = awarded(&app, &second, "acpe", json!({})).await;
        let ids: Vec<Value> = items(&app, &setup.admin, "&destination=cpe_monitor&status=due")
            .await
            .iter()
            .filter(|i| i["claim_id"] == first_claim.as_str() || i["claim_id"] == second_claim.as_str())
            .map(|i| i["id"].clone())
            .collect();
        let built = batch(&app, &setup.admin, json!({"destination": "cpe_monitor", "item_ids": ids})).await;
        let id = built.json()["id"].as_str().unwrap().to_string();
        let halfway =
            post(&app, &setup.admin, &format!("/v1/reporting/batches/{id}/submission"), json!({})).await;
        halfway.assert_status(200);
        assert_eq!(halfway.json()["accepted"], 1);
        let all = items(&app, &setup.admin, "&destination=cpe_monitor").await;
        assert_eq!(of_claim(&all, &first_claim)[0]["status"], "accepted");
        let unsent = of_claim(&all, &second_claim)[0].clone();
        assert_eq!(unsent["status"], "due");
        assert!(
            unsent["hold_reason"].as_str().unwrap().starts_with("not sent: CPE Monitor answered HTTP 500"),
            "{unsent}"
        );
        app.handle().stop(true).await;
        service.handle.stop(true).await;

        // A service that does not answer: 503, the batch stays built, nothing is lost.
        let gone = stub(cpe_monitor_answer).await;
        let url = gone.url.clone();
        gone.handle.stop(true).await;
        let configure = move |s: &mut ce_api::config::Settings| {
            s.outbound.connect_timeout = std::time::Duration::from_millis(500);
            s.boards.cpe_monitor =
                Some(ce_api::config::CpeMonitorService { url, username: "u".into(), password: "p".into() });
        };
        let Some(app) = TestApp::spawn_with(backend, configure).await else { continue };
        let setup = activity(&app).await;
        provider_with_numbers(&app, &setup.admin).await;
        let learner = completed_learner(&app, &setup, pharmacist("1234567"), 120).await;
        awarded(&app, &learner, "acpe", json!({})).await;
        let built = batch(&app, &setup.admin, json!({"destination": "cpe_monitor"})).await;
        let id = built.json()["id"].as_str().unwrap().to_string();
        let refused =
            post(&app, &setup.admin, &format!("/v1/reporting/batches/{id}/submission"), json!({})).await;
        let problem = refused.assert_problem(503, "service-unavailable");
        assert!(problem["detail"].as_str().unwrap().contains("did not answer"), "{problem}");
        let kept = app
            .request(Method::GET, &format!("/v1/reporting/batches/{id}"))
            .bearer(&setup.admin)
            .send()
            .await
            .json();
        assert_eq!(kept["status"], "built");
        assert!(kept["service_message"].is_string());
        let in_batch = items(&app, &setup.admin, "&destination=cpe_monitor&status=in_batch").await;
        assert_eq!(in_batch.len(), 1, "the item waits in its batch for the next try");
        app.handle().stop(true).await;
    }
}

/// CE Broker accepts the upload (error code 0).
fn ce_broker_answer(_: &str, _: &str) -> (u16, String) {
    (200, "<response><ErrorCode>0</ErrorCode><Message>Roster uploaded</Message></response>".into())
}

#[actix_web::test]
async fn a_ce_broker_roster_is_uploaded_with_the_key_kept_out_of_the_file() {
    for backend in [ce_api::config::Backend::Sqlite, ce_api::config::Backend::Postgres] {
        let service = stub(ce_broker_answer).await;
        let url = service.url.clone();
        let configure = move |s: &mut ce_api::config::Settings| {
            s.boards.ce_broker = Some(ce_api::config::CeBrokerService { url, upload_key: "KEY-123".into() });
        };
        let Some(app) = TestApp::spawn_with(backend, configure).await else {
            service.handle.stop(true).await;
            continue;
        };
        let setup = activity(&app).await;
        provider_with_numbers(&app, &setup.admin).await;
        let nurse = completed_learner(&app, &setup, florida_nurse(), 120).await;
        let (claim_id, _) = awarded(&app, &nurse, "ancc", json!({})).await;
        let built = batch(&app, &setup.admin, json!({"destination": "ce_broker"})).await;
        built.assert_status(201);
        let id = built.json()["id"].as_str().unwrap().to_string();
        let (_, _, downloaded) = file(&app, &setup.admin, &id).await;
        assert!(!downloaded.contains("KEY-123"), "the upload key is a secret");
        let sent =
            post(&app, &setup.admin, &format!("/v1/reporting/batches/{id}/submission"), json!({})).await;
        sent.assert_status(200);
        assert_eq!(sent.json()["status"], "completed");
        assert!(sent.json()["service_message"].as_str().unwrap().contains("Roster uploaded"));
        let requests = service.requests.lock().unwrap().clone();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].0, "/service.asmx/UploadXMLString");
        let form: std::collections::HashMap<String, String> =
            serde_urlencoded::from_str(&requests[0].1).unwrap();
        let xml = roxmltree::Document::parse(&form["InXML"]).unwrap();
        assert_eq!(xml.root_element().attribute("upload_key"), Some("KEY-123"));
        assert_eq!(text(xml.root_element(), &["roster", "attendees", "attendee", "license"]), "RN9999999");
        let all = items(&app, &setup.admin, "&destination=ce_broker").await;
        assert_eq!(of_claim(&all, &claim_id)[0]["status"], "accepted");
        app.handle().stop(true).await;
        service.handle.stop(true).await;
    }
}
