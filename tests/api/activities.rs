//! The activity catalog: create, read back, publish with accreditation checks, edit under
//! optimistic concurrency, life cycle, sessions, visibility, filters and pagination.

use actix_web::http::Method;
use ce_api::activities::examples;
use serde_json::{json, Value};

use crate::{
    db_test,
    support::{app::TestResponse, TestApp},
};

/// A JSON value with its `null` members removed: optional fields come back as `null`.
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), without_nulls(v))).collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// A change that makes a valid activity invalid.
type Mutation = Box<dyn Fn(&mut Value)>;

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// A planner's token (through an administrator).
async fn planner(app: &TestApp) -> String {
    let admin = app.admin_token().await;
    app.user_with_role(&admin, "planner").await.1
}

async fn create(app: &TestApp, token: &str, body: &Value) -> TestResponse {
    app.request(Method::POST, "/v1/activities").bearer(token).json(body).send().await
}

async fn created_id(app: &TestApp, token: &str, body: &Value) -> String {
    let response = create(app, token, body).await;
    response.assert_status(201);
    response.json()["id"].as_str().unwrap().to_string()
}

/// `count` published activities starting every other day (see `variant`), in catalog order.
async fn published_every_other_day(app: &TestApp, token: &str, count: i64, title: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for n in 0..count {
        let id = created_id(app, token, &variant(n * 2, &format!("{title} {n}"))).await;
        app.publish(token, &id).await.assert_status(200);
        ids.push(id);
    }
    ids
}

async fn action(app: &TestApp, token: &str, id: &str, verb: &str) -> TestResponse {
    app.request(Method::POST, &format!("/v1/activities/{id}/{verb}")).bearer(token).send().await
}

/// The example with the start moved by `days` and another title.
fn variant(days: i64, title: &str) -> Value {
    let mut body = examples::create_activity(today());
    let day = today() + chrono::Days::new(100 + days as u64);
    body["starts_at"] = json!(format!("{day}T13:00:00Z"));
    body["ends_at"] = json!(format!("{day}T16:30:00Z"));
    body["registration_closes_at"] = json!(format!("{day}T12:00:00Z"));
    body["title"] = json!(title);
    body
}

db_test!(
    async fn the_specs_own_example_publishes_once_its_sessions_and_evaluation_exist(app: TestApp) {
        let token = planner(&app).await;
        let spec = app.get("/openapi.json").await.json();
        let example = spec["paths"]["/v1/activities"]["post"]["requestBody"]["content"]["application/json"]
            ["example"]
            .clone();
        assert!(example.is_object(), "the operation has a request example");
        let response = create(&app, &token, &example).await;
        response.assert_status(201);
        assert_eq!(response.header("etag").as_deref(), Some("\"1\""));
        let created = response.json();
        assert_eq!(created["status"], "draft");
        // Read back identically: every field sent comes back as sent.
        let id = created["id"].as_str().unwrap();
        let read =
            app.request(Method::GET, &format!("/v1/activities/{id}")).bearer(&token).send().await.json();
        for (key, value) in example.as_object().unwrap() {
            assert_eq!(without_nulls(&read[key]), without_nulls(value), "field {key}");
        }
        // Its requirements name an evaluation and 80% attendance: publishing waits for the
        // evaluation survey and the sessions attendance is counted over.
        let blockers = action(&app, &token, id, "publish").await.assert_problem(422, "not-publishable");
        let fields: Vec<&str> =
            blockers["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(
            fields,
            ["completion_requirements.min_attendance_percent", "completion_requirements.evaluation_required"],
            "{blockers}"
        );
        let published = app.publish(&token, id).await;
        published.assert_status(200);
        assert_eq!(published.json()["status"], "published");
        assert!(published.json()["published_at"].is_string());
        // Now in the public catalog.
        let catalog = app.get("/v1/activities").await.json();
        assert_eq!(catalog["data"][0]["id"], id);
    }
);

db_test!(
    async fn publishing_an_incomplete_activity_names_every_missing_piece(app: TestApp) {
        let token = planner(&app).await;
        let stale = today() - chrono::Days::new(400);
        let body = json!({
            "title": "Journal club: anticoagulation",
            "format": "journal",
            "time_zone": "America/Chicago",
            "people": [
                {"role": "faculty", "name": "No Disclosure"},
                {"role": "faculty", "name": "Unmitigated", "disclosure": {
                    "disclosed_on": today(), "has_relationships": true,
                    "relationships": [{"company": "Acme", "nature": "Speaker"}], "relevant": true}},
                {"role": "reviewer", "name": "Undecided", "disclosure": {
                    "disclosed_on": today(), "has_relationships": true,
                    "relationships": [{"company": "Acme", "nature": "Grant"}]}},
                {"role": "reviewer", "name": "Stale", "disclosure": {"disclosed_on": stale, "has_relationships": false}}
            ]
        });
        let id = created_id(&app, &token, &body).await;
        let problem = action(&app, &token, &id, "publish").await.assert_problem(422, "not-publishable");
        let mut fields: Vec<String> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect();
        fields.sort();
        assert_eq!(
            fields,
            vec![
                "credit_designations",
                "learning_objectives",
                "people",
                "people[0].disclosure",
                "people[1].disclosure.mitigation",
                "people[2].disclosure.relevant",
                "people[3].disclosure.disclosed_on",
                "practice_gap",
            ],
            "{problem}"
        );
        let after =
            app.request(Method::GET, &format!("/v1/activities/{id}")).bearer(&token).send().await.json();
        assert_eq!(after["status"], "draft");
        assert_eq!(after["version"], 1, "nothing changed");
    }
);

db_test!(
    async fn invalid_activities_are_refused_naming_the_field(app: TestApp) {
        let token = planner(&app).await;
        let base = examples::create_activity(today());
        let cases: Vec<(&str, Mutation)> = vec![
            (
                "credit_designations[0].max_amount",
                Box::new(|b| b["credit_designations"][0]["max_amount"] = json!(1.3)),
            ),
            (
                "credit_designations[0].max_amount",
                Box::new(|b| b["credit_designations"][0]["max_amount"] = json!(0)),
            ),
            (
                "credit_designations[2].acpe_uan",
                Box::new(|b| b["credit_designations"][2]["acpe_uan"] = json!("0197-0000-26-001-Q01-P")),
            ),
            (
                "credit_designations[2].acpe_uan",
                Box::new(|b| b["credit_designations"][2]["acpe_uan"] = json!("0197-0000-26-001-H01-P")),
            ),
            (
                "credit_designations[2].acpe_uan",
                Box::new(|b| {
                    b["credit_designations"][2].as_object_mut().unwrap().remove("acpe_uan");
                }),
            ),
            (
                "credit_designations[1].credit_type",
                Box::new(|b| b["credit_designations"][1]["credit_type"] = json!("ama_pra_1")),
            ),
            ("ends_at", Box::new(|b| b["ends_at"] = b["starts_at"].clone())),
            ("format", Box::new(|b| b["format"] = json!("webinar"))),
            ("time_zone", Box::new(|b| b["time_zone"] = json!("Mars/Olympus_Mons"))),
            ("title", Box::new(|b| b["title"] = json!("x".repeat(301)))),
            ("learning_objectives", Box::new(|b| b["learning_objectives"] = json!(vec!["Objective"; 31]))),
            ("specialties[1]", Box::new(|b| b["specialties"][1] = json!("astrology"))),
            (
                "people[0].disclosure.relationships",
                Box::new(|b| {
                    b["people"][0]["disclosure"]["relationships"] = json!([{"company": "A", "nature": "B"}])
                }),
            ),
            (
                "delivery",
                Box::new(|b| {
                    b.as_object_mut().unwrap().remove("delivery");
                }),
            ),
            (
                "registration_closes_at",
                Box::new(|b| b["registration_closes_at"] = b["registration_opens_at"].clone()),
            ),
            ("unexpected", Box::new(|b| b["unexpected"] = json!(true))),
        ];
        for (field, mutate) in cases {
            let mut body = base.clone();
            mutate(&mut body);
            let problem = create(&app, &token, &body).await.assert_problem(422, "validation");
            let fields: Vec<&str> =
                problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
            assert!(fields.contains(&field), "expected {field}: {problem}");
        }
        // Enduring materials: release and expiry at most 3 years apart.
        let mut enduring = base.clone();
        let object = enduring.as_object_mut().unwrap();
        for key in ["starts_at", "ends_at", "delivery", "location", "join_url"] {
            object.remove(key);
        }
        enduring["format"] = json!("enduring");
        enduring["medium"] = json!("online");
        enduring["credit_designations"][2]["acpe_uan"] = json!("0197-0000-26-001-H01-P");
        enduring["release_date"] = json!("2027-01-01");
        enduring["expiry_date"] = json!("2030-01-02");
        let problem = create(&app, &token, &enduring).await.assert_problem(422, "validation");
        assert_eq!(problem["errors"][0]["field"], "expiry_date", "{problem}");
        enduring["expiry_date"] = json!("2029-12-31");
        create(&app, &token, &enduring).await.assert_status(201);
        // Nothing of the refused ones was stored.
        let mine = app.request(Method::GET, "/v1/activities?status=draft").bearer(&token).send().await.json();
        assert_eq!(mine["data"].as_array().unwrap().len(), 1);
    }
);

db_test!(
    async fn patches_need_a_current_etag_and_exactly_one_concurrent_writer_wins(app: TestApp) {
        let token = planner(&app).await;
        let id = created_id(&app, &token, &examples::create_activity(today())).await;
        let path = format!("/v1/activities/{id}");
        let patch = |if_match: Option<&str>, body: Value| {
            let mut request = app.request(Method::PATCH, &path).bearer(&token);
            if let Some(tag) = if_match {
                request = request.header("if-match", tag);
            }
            request.json(&body).send()
        };
        patch(None, json!({"capacity": 80})).await.assert_problem(428, "precondition-required");
        patch(Some("\"7\""), json!({"capacity": 80})).await.assert_problem(412, "precondition-failed");
        let (a, b) = futures_util::future::join(
            patch(Some("\"1\""), json!({"title": "Writer A"})),
            patch(Some("\"1\""), json!({"title": "Writer B"})),
        )
        .await;
        let mut statuses = vec![a.status.as_u16(), b.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, vec![200, 412]);
        let winner = if a.status.as_u16() == 200 { "Writer A" } else { "Writer B" };
        let current = app.request(Method::GET, &path).bearer(&token).send().await;
        assert_eq!(current.json()["title"], winner);
        assert_eq!(current.header("etag").as_deref(), Some("\"2\""));
        // Merge patch: null removes an optional field; the rest stays.
        let cleared = patch(Some("\"2\""), json!({"capacity": null})).await;
        cleared.assert_status(200);
        assert_eq!(cleared.json()["capacity"], Value::Null);
        assert_eq!(cleared.json()["title"], winner);
        // A patch that breaks a rule is refused whole.
        patch(
            Some("\"3\""),
            json!({"capacity": 5, "credit_designations": [{"credit_type": "ancc", "max_amount": 1.1}]}),
        )
        .await
        .assert_problem(422, "validation");
        assert_eq!(
            app.request(Method::GET, &path).bearer(&token).send().await.json()["capacity"],
            Value::Null
        );
    }
);

db_test!(
    async fn published_activities_keep_their_credit_designations(app: TestApp) {
        let token = planner(&app).await;
        let id = created_id(&app, &token, &examples::create_activity(today())).await;
        app.publish(&token, &id).await.assert_status(200);
        let path = format!("/v1/activities/{id}");
        let change = app
            .request(Method::PATCH, &path)
            .bearer(&token)
            .header("if-match", "\"2\"")
            .json(&json!({"credit_designations": [{"credit_type": "ama_pra_1", "max_amount": 4.0}]}))
            .send()
            .await;
        change.assert_problem(409, "designations-locked");
        let capacity = app
            .request(Method::PATCH, &path)
            .bearer(&token)
            .header("if-match", "\"2\"")
            .json(&json!({"capacity": 200}))
            .send()
            .await;
        capacity.assert_status(200);
        assert_eq!(capacity.json()["credit_designations"][0]["max_amount"], 3.5);
    }
);

db_test!(
    async fn the_life_cycle_allows_only_its_transitions(app: TestApp) {
        let token = planner(&app).await;
        let id = created_id(&app, &token, &examples::create_activity(today())).await;
        action(&app, &token, &id, "close").await.assert_problem(409, "invalid-transition");
        app.publish(&token, &id).await.assert_status(200);
        action(&app, &token, &id, "publish").await.assert_problem(409, "invalid-transition");
        action(&app, &token, &id, "close").await.assert_status(200);
        action(&app, &token, &id, "cancel").await.assert_problem(409, "invalid-transition");
        let archived = action(&app, &token, &id, "archive").await;
        archived.assert_status(200);
        assert_eq!(archived.json()["status"], "archived");
        let other = created_id(&app, &token, &examples::create_activity(today())).await;
        let cancelled = action(&app, &token, &other, "cancel").await;
        assert_eq!(cancelled.json()["status"], "cancelled");
        app.amend_activity(&token, &other, json!({"title": "Too late"}))
            .await
            .assert_problem(409, "activity-finished");
    }
);

db_test!(
    async fn learners_see_only_published_activities_and_cannot_create(app: TestApp) {
        let admin = app.admin_token().await;
        let (_, planner_token) = app.user_with_role(&admin, "planner").await;
        let (_, other_planner) = app.user_with_role(&admin, "planner").await;
        let (_, learner) = app.learner("reader@example.org").await;
        let draft = created_id(&app, &planner_token, &examples::create_activity(today())).await;
        let path = format!("/v1/activities/{draft}");
        app.request(Method::GET, &path).bearer(&learner).send().await.assert_problem(404, "not-found");
        app.get(&path).await.assert_problem(404, "not-found");
        app.request(Method::GET, &path).bearer(&other_planner).send().await.assert_problem(404, "not-found");
        app.request(Method::GET, &path).bearer(&admin).send().await.assert_status(200);
        create(&app, &learner, &examples::create_activity(today())).await.assert_problem(403, "forbidden");

        app.publish(&planner_token, &draft).await.assert_status(200);
        app.request(Method::GET, &path).bearer(&learner).send().await.assert_status(200);
        // Another planner can see the published activity but not change it.
        app.amend_activity(&other_planner, &draft, json!({"title": "Hijacked"}))
            .await
            .assert_problem(403, "forbidden");
        // A learner asking for drafts still gets only published ones.
        let listed =
            app.request(Method::GET, "/v1/activities?status=draft").bearer(&learner).send().await.json();
        assert!(listed["data"].as_array().unwrap().iter().all(|a| a["status"] == "published"));

        // Machine clients need activities:read.
        let (with, with_secret) = app.integration_client(&admin, &["activities:read"]).await;
        let (without, without_secret) = app.integration_client(&admin, &["credits:read"]).await;
        let token = app.client_access_token(&with, &with_secret).await;
        app.request(Method::GET, "/v1/activities").bearer(&token).send().await.assert_status(200);
        let token = app.client_access_token(&without, &without_secret).await;
        app.request(Method::GET, "/v1/activities")
            .bearer(&token)
            .send()
            .await
            .assert_problem(403, "insufficient_scope");
    }
);

db_test!(
    async fn walking_the_catalog_while_activities_are_added_never_repeats_or_skips(app: TestApp) {
        let token = planner(&app).await;
        let original = published_every_other_day(&app, &token, 12, "Original").await;
        let mut seen: Vec<String> = Vec::new();
        let mut next = Some("/v1/activities?limit=5".to_string());
        let mut inserted = 0;
        while let Some(path) = next {
            let page = app.get(&path).await;
            page.assert_status(200);
            for activity in page.json()["data"].as_array().unwrap() {
                seen.push(activity["id"].as_str().unwrap().to_string());
            }
            next = page.next_page();
            // New activities land before, between and after the walk's position.
            for days in [1 + inserted * 2, 30 + inserted] {
                let id = created_id(&app, &token, &variant(days as i64, "Added during the walk")).await;
                app.publish(&token, &id).await.assert_status(200);
            }
            inserted += 1;
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "no activity appears twice");
        for id in &original {
            assert!(seen.contains(id), "activity {id} that existed when the walk began was skipped");
        }
    }
);

db_test!(
    /// A page is read with its limit rounded up to one of a few sizes (`db::page_limit`); the
    /// rows past the page's own size are neither shown nor skipped, whatever the size.
    async fn pages_of_any_size_walk_the_catalog_once_in_order(app: TestApp) {
        let token = planner(&app).await;
        let published = published_every_other_day(&app, &token, 8, "Walked").await;
        for size in [1, 3, 7, 8, 9] {
            let mut seen: Vec<String> = Vec::new();
            let mut next = Some(format!("/v1/activities?limit={size}"));
            while let Some(path) = next {
                let page = app.get(&path).await;
                page.assert_status(200);
                let items = page.json()["data"].as_array().unwrap().clone();
                assert!(items.len() <= size, "a page of {size} showed {}", items.len());
                seen.extend(items.iter().map(|item| item["id"].as_str().unwrap().to_string()));
                next = page.next_page();
            }
            let ours: Vec<&String> = seen.iter().filter(|id| published.contains(id)).collect();
            assert_eq!(ours, published.iter().collect::<Vec<_>>(), "pages of {size}: each once, in order");
            let mut unique = seen.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), seen.len(), "pages of {size}: no activity twice");
        }
    }
);

/// On PostgreSQL a connection plans the catalog page's statement once and runs it on that
/// generic plan, instead of planning it again for every page: its limit is written into the
/// statement, so the generic plan is costed for the rows a page reads. With the limit bound
/// as a parameter, PostgreSQL costs the generic plan for a tenth of the table and, once the
/// catalog is large, plans every run anew.
#[actix_web::test]
async fn the_catalog_page_is_planned_once_per_connection_on_postgres() {
    use ce_api::activities::{dto::ActivityListQuery, service};
    use diesel::{connection::SimpleConnection, RunQueryDsl};

    let Some(app) = TestApp::spawn(ce_api::config::Backend::Postgres).await else { return };
    let server = app.handle();
    let token = planner(&app).await;
    let id = created_id(&app, &token, &variant(3, "Copied")).await;
    app.publish(&token, &id).await.assert_status(200);
    let mut conn = app.database.connect();
    let ce_api::db::DbConnection::Postgres(pg) = &mut conn else { unreachable!("a PostgreSQL app") };
    // A catalog of 1,000, analyzed: large enough that a tenth of it costs more than a page.
    pg.batch_execute(&format!(
        "CREATE TEMP TABLE copies AS SELECT a.*, n FROM activities a CROSS JOIN generate_series(1, 999) n \
         WHERE a.id = '{id}'; \
         UPDATE copies SET id = id || '-' || n; \
         ALTER TABLE copies DROP COLUMN n; \
         INSERT INTO activities SELECT * FROM copies; \
         ANALYZE activities;"
    ))
    .unwrap();
    let published: i64 = diesel::sql_query("SELECT count(*) AS n FROM activities WHERE status = 'published'")
        .load::<Count>(pg)
        .unwrap()[0]
        .n;
    assert_eq!(published, 1000);

    let query = ActivityListQuery { limit: Some(50), ..Default::default() };
    for _ in 0..8 {
        let page = service::list(&mut conn, None, &query, &Default::default()).unwrap();
        assert_eq!(page.data.len(), 50);
        assert!(page.next_cursor.is_some());
    }
    let counts = crate::support::plans::plan_counts(&mut conn).expect("PostgreSQL");
    let (_, generic, custom) = counts
        .iter()
        .find(|(sql, ..)| sql.contains("\"summary_json\""))
        .unwrap_or_else(|| panic!("the page statement is held prepared: {counts:#?}"));
    assert!(
        *generic >= 3,
        "run on its generic plan after the first five: {generic} generic, {custom} custom"
    );
    server.stop(true).await;
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

db_test!(
    async fn catalog_filters_combine(app: TestApp) {
        let token = planner(&app).await;
        let publish = |body: Value| {
            let token = token.clone();
            let app = &app;
            async move {
                let id = created_id(app, &token, &body).await;
                app.publish(&token, &id).await.assert_status(200);
                id
            }
        };
        let sepsis = publish(variant(0, "Sepsis update")).await;
        let mut cardiology = variant(10, "Heart failure update");
        cardiology["specialties"] = json!(["cardiology"]);
        cardiology["credit_designations"] = json!([{"credit_type": "ama_pra_1", "max_amount": 2.0}]);
        cardiology["target_professions"] = json!(["physician"]);
        let heart = publish(cardiology).await;
        let mut nursing = variant(20, "Sepsis for nurses");
        nursing["credit_designations"] = json!([{"credit_type": "ancc", "max_amount": 2.0}]);
        nursing["target_professions"] = json!(["nurse"]);
        let nurses = publish(nursing).await;
        created_id(&app, &token, &variant(5, "Sepsis draft")).await;

        let ids = |query: &'static str| {
            let app = &app;
            async move {
                let body = app.get(&format!("/v1/activities?{query}")).await.json();
                body["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["id"].as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(ids("q=sepsis").await, vec![sepsis.clone(), nurses.clone()]);
        assert_eq!(ids("q=SEPSIS+nurses").await, vec![nurses.clone()]);
        assert_eq!(ids("credit_type=ancc").await, vec![sepsis.clone(), nurses.clone()]);
        assert_eq!(ids("credit_type=acpe&q=sepsis").await, vec![sepsis.clone()]);
        assert_eq!(ids("specialty=cardiology").await, vec![heart.clone()]);
        assert_eq!(ids("profession=nurse").await, vec![sepsis.clone(), nurses.clone()]);
        assert_eq!(
            ids("profession=physician&credit_type=ama_pra_1").await,
            vec![sepsis.clone(), heart.clone()]
        );
        assert_eq!(
            ids("format=course&specialty=emergency_medicine&profession=nurse").await,
            vec![sepsis.clone(), nurses.clone()]
        );
        assert_eq!(ids("format=rss").await, Vec::<String>::new());
        let after = today() + chrono::Days::new(105);
        let before = today() + chrono::Days::new(115);
        let window = app
            .get(&format!("/v1/activities?starts_after={after}T00:00:00Z&starts_before={before}T00:00:00Z"))
            .await
            .json();
        let window: Vec<&str> =
            window["data"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
        assert_eq!(window, vec![heart.as_str()]);
        // LMS polling: changes since an instant, oldest change first.
        let since = app.get(&format!("/v1/activities/{heart}")).await.json()["updated_at"]
            .as_str()
            .unwrap()
            .to_string();
        let changed =
            app.get(&format!("/v1/activities?updated_since={}", since.replace('+', "%2B"))).await.json();
        let changed: Vec<&str> =
            changed["data"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
        assert_eq!(changed, vec![heart.as_str(), nurses.as_str()]);
    }
);

db_test!(
    async fn series_sessions_stay_within_twelve_months(app: TestApp) {
        let token = planner(&app).await;
        let mut series = examples::create_activity(today());
        series["format"] = json!("rss");
        series.as_object_mut().unwrap().remove("delivery");
        series["title"] = json!("Medicine Grand Rounds");
        let id = created_id(&app, &token, &series).await;
        let sessions = format!("/v1/activities/{id}/sessions");
        let session = |day: u64, title: &str| {
            let date = today() + chrono::Days::new(day);
            json!({"title": title, "starts_at": format!("{date}T12:00:00Z"), "ends_at": format!("{date}T13:00:00Z"),
                   "presenters": ["Dr. Ana Silva"], "credit_amount": 1.0})
        };
        let first =
            app.request(Method::POST, &sessions).bearer(&token).json(&session(130, "Week 1")).send().await;
        first.assert_status(201);
        let first_id = first.json()["id"].as_str().unwrap().to_string();
        app.request(Method::POST, &sessions)
            .bearer(&token)
            .json(&session(137, "Week 2"))
            .send()
            .await
            .assert_status(201);
        let too_far = app
            .request(Method::POST, &sessions)
            .bearer(&token)
            .json(&session(130 + 400, "Next year"))
            .send()
            .await;
        assert_eq!(too_far.assert_problem(422, "validation")["errors"][0]["code"], "rss_span");
        let mut bad_credit = session(140, "Odd credit");
        bad_credit["credit_amount"] = json!(0.3);
        app.request(Method::POST, &sessions)
            .bearer(&token)
            .json(&bad_credit)
            .send()
            .await
            .assert_problem(422, "validation");

        let listed = app.request(Method::GET, &sessions).bearer(&token).send().await.json();
        let titles: Vec<&str> =
            listed.as_array().unwrap().iter().map(|s| s["title"].as_str().unwrap()).collect();
        assert_eq!(titles, vec!["Week 1", "Week 2"]);
        let patched = app
            .request(Method::PATCH, &format!("/v1/sessions/{first_id}"))
            .bearer(&token)
            .header("if-match", "\"1\"")
            .json(&json!({"location": "Auditorium C"}))
            .send()
            .await;
        patched.assert_status(200);
        assert_eq!(patched.json()["location"], "Auditorium C");
        assert_eq!(patched.json()["title"], "Week 1");
        // Learners cannot touch sessions (nor see those of a draft).
        let (_, learner) = app.learner("attendee@example.org").await;
        app.request(Method::GET, &sessions).bearer(&learner).send().await.assert_problem(404, "not-found");
        app.request(Method::DELETE, &format!("/v1/sessions/{first_id}"))
            .bearer(&learner)
            .send()
            .await
            .assert_problem(404, "not-found");
        app.request(Method::DELETE, &format!("/v1/sessions/{first_id}"))
            .bearer(&token)
            .send()
            .await
            .assert_status(204);
        let listed = app.request(Method::GET, &sessions).bearer(&token).send().await.json();
        assert_eq!(listed.as_array().unwrap().len(), 1);
    }
);

db_test!(
    async fn vocabularies_and_disclosures_are_public(app: TestApp) {
        let specialties = app.get("/v1/specialties").await.json();
        assert!(specialties
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["code"] == "cardiology" && s["parent_code"] == "internal_medicine"));
        let topics = app.get("/v1/topics").await.json();
        assert!(topics.as_array().unwrap().iter().any(|t| t["code"] == "patient_safety"));
        let token = planner(&app).await;
        let id = created_id(&app, &token, &examples::create_activity(today())).await;
        app.publish(&token, &id).await.assert_status(200);
        let summary = app.get(&format!("/v1/activities/{id}/disclosures")).await.json();
        let faculty = &summary["people"][1];
        assert_eq!(faculty["relationships"][0]["company"], "Acme Diagnostics");
        assert_eq!(faculty["mitigated"], true);
        assert_eq!(summary["people"][0]["relationships"], json!([]));
        assert!(summary["statement"].as_str().unwrap().contains("mitigated"));
    }
);

db_test!(
    async fn designations_fit_the_schedule_and_sessions_their_length(app: TestApp) {
        let token = planner(&app).await;
        // 40 AMA credits on a two-hour course.
        let mut body = examples::create_activity(today());
        let day = today() + chrono::Days::new(120);
        body["starts_at"] = json!(format!("{day}T13:00:00Z"));
        body["ends_at"] = json!(format!("{day}T15:00:00Z"));
        body["credit_designations"] = json!([{"credit_type": "ama_pra_1", "max_amount": 40.0}]);
        let problem = create(&app, &token, &body).await.assert_problem(422, "validation");
        assert_eq!(problem["errors"][0]["field"], "credit_designations[0].max_amount", "{problem}");
        assert_eq!(problem["errors"][0]["code"], "exceeds_schedule");
        body["credit_designations"] = json!([{"credit_type": "ama_pra_1", "max_amount": 2.0}]);
        let id = created_id(&app, &token, &body).await;
        // A 60-minute session carries at most 1 credit.
        let session = json!({"title": "Grand rounds", "starts_at": format!("{day}T13:00:00Z"),
                             "ends_at": format!("{day}T14:00:00Z"), "credit_amount": 5.0});
        let refused = app
            .request(Method::POST, &format!("/v1/activities/{id}/sessions"))
            .bearer(&token)
            .json(&session)
            .send()
            .await
            .assert_problem(422, "validation");
        assert_eq!(refused["errors"][0]["field"], "credit_amount");
        assert_eq!(refused["errors"][0]["code"], "exceeds_duration");
        // Published with a one-hour session only, the two credits no longer fit.
        let mut fitting = session.clone();
        fitting["credit_amount"] = json!(1.0);
        app.request(Method::POST, &format!("/v1/activities/{id}/sessions"))
            .bearer(&token)
            .json(&fitting)
            .send()
            .await
            .assert_status(201);
        let blocked = app.publish(&token, &id).await.assert_problem(422, "not-publishable");
        let fields: Vec<&str> =
            blocked["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["credit_designations[0].max_amount"], "{blocked}");
    }
);

db_test!(
    async fn publishing_checks_every_requirement_can_be_met_and_the_boards_rules(app: TestApp) {
        let token = planner(&app).await;
        // A draft may be saved without dates; publishing names them.
        let mut undated = examples::create_activity(today());
        for key in ["starts_at", "ends_at", "registration_closes_at"] {
            undated.as_object_mut().unwrap().remove(key);
        }
        undated["completion_requirements"] =
            json!({"min_attendance_percent": 80, "evaluation_required": true, "post_test_passing_score": 75});
        undated["credit_designations"] = json!([
            {"credit_type": "abim_moc", "max_amount": 1.0},
            {"credit_type": "ipce", "max_amount": 1.0}
        ]);
        let id = created_id(&app, &token, &undated).await;
        let blocked = action(&app, &token, &id, "publish").await.assert_problem(422, "not-publishable");
        let mut found: Vec<(String, String)> = blocked["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["field"].as_str().unwrap().to_string(), e["code"].as_str().unwrap().to_string()))
            .collect();
        found.sort();
        let expected = [
            ("completion_requirements.evaluation_required", "evaluation_missing"),
            ("completion_requirements.min_attendance_percent", "sessions_required"),
            ("completion_requirements.post_test_passing_score", "post_test_missing"),
            ("credit_designations[0].credit_type", "moc_needs_ama"),
            ("credit_designations[0].credit_type", "moc_needs_evaluation"),
            ("credit_designations[0].moc_credit_types", "required"),
            ("credit_designations[1].credit_type", "ipce_team"),
            ("ends_at", "required"),
            ("starts_at", "required"),
        ];
        let expected: Vec<(String, String)> =
            expected.iter().map(|(f, c)| (f.to_string(), c.to_string())).collect();
        assert_eq!(found, expected, "{blocked}");
    }
);

db_test!(
    async fn session_presenters_must_have_disclosed_before_publishing(app: TestApp) {
        let token = planner(&app).await;
        let body = examples::create_activity(today());
        let id = created_id(&app, &token, &body).await;
        let session = |presenters: Value| json!({"title": "Main session", "starts_at": body["starts_at"], "ends_at": body["ends_at"], "presenters": presenters});
        let created = app
            .request(Method::POST, &format!("/v1/activities/{id}/sessions"))
            .bearer(&token)
            .json(&session(json!(["Dr. Ana Silva", "Dr. Walk-On Speaker"])))
            .send()
            .await;
        created.assert_status(201);
        let blocked = app.publish(&token, &id).await.assert_problem(422, "not-publishable");
        let fields: Vec<&str> =
            blocked["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["sessions[0].presenters[1]"], "{blocked}");
        // Dropping the undisclosed speaker lets it publish.
        let session_id = created.json()["id"].as_str().unwrap().to_string();
        app.request(Method::PATCH, &format!("/v1/sessions/{session_id}"))
            .bearer(&token)
            .raw(
                "application/merge-patch+json",
                serde_json::to_vec(&json!({"presenters": ["Dr. Ana Silva"]})).unwrap(),
            )
            .send()
            .await
            .assert_status(200);
        app.publish(&token, &id).await.assert_status(200);
    }
);

db_test!(
    async fn only_abim_designations_carry_moc_credit_types(app: TestApp) {
        let token = planner(&app).await;
        let mut body = examples::create_activity(today());
        body["credit_designations"][0]["moc_credit_types"] = json!(["medical_knowledge"]);
        let problem = create(&app, &token, &body).await.assert_problem(422, "validation");
        assert_eq!(problem["errors"][0]["field"], "credit_designations[0].moc_credit_types", "{problem}");
        assert_eq!(problem["errors"][0]["code"], "not_applicable");
    }
);

db_test!(
    async fn catalog_reads_are_conditional_and_cacheable_when_anonymous(app: TestApp) {
        use crate::credit::{ama, enduring, publish};
        let setup = publish(&app, enduring(serde_json::json!([ama(1.0)]), "automatic")).await;
        let page = app.get("/v1/activities?limit=10").await;
        page.assert_status(200);
        let tag = page.header("etag").expect("a page has an ETag");
        assert_eq!(page.header("cache-control").as_deref(), Some("public, max-age=60"));
        assert_eq!(page.header("vary").as_deref(), Some("Authorization, Accept"));
        let again =
            app.request(Method::GET, "/v1/activities?limit=10").header("if-none-match", &tag).send().await;
        again.assert_status(304);
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag").as_deref(), Some(tag.as_str()));
        assert_eq!(again.header("cache-control").as_deref(), Some("public, max-age=60"));
        // The validator names what the page shows: another view of it, or other items, is
        // another page (a larger limit over the same one item shows the same bytes).
        for (other, status) in [
            ("/v1/activities?limit=10&view=full", 200),
            ("/v1/activities?limit=10&format=course", 200),
            ("/v1/activities?limit=11", 304),
        ] {
            let other = app.request(Method::GET, other).header("if-none-match", &tag).send().await;
            other.assert_status(status);
        }
        // A token makes the answer private.
        let personal = app
            .request(Method::GET, "/v1/activities?limit=10")
            .bearer(&setup.planner)
            .header("if-none-match", &tag)
            .send()
            .await;
        assert_eq!(personal.header("cache-control").as_deref(), Some("no-store"));

        // One activity: its version is its validator, and a change makes the old one stale.
        let path = format!("/v1/activities/{}", setup.activity);
        let one = app.get(&path).await;
        let version_tag = one.header("etag").unwrap();
        let unchanged = app.request(Method::GET, &path).header("if-none-match", &version_tag).send().await;
        unchanged.assert_status(304);
        app.request(Method::PATCH, &path)
            .bearer(&setup.planner)
            .header("if-match", &version_tag)
            .json(&serde_json::json!({"summary": "Updated summary"}))
            .send()
            .await
            .assert_status(200);
        let changed = app.request(Method::GET, &path).header("if-none-match", &version_tag).send().await;
        changed.assert_status(200);
        assert_eq!(changed.json()["summary"], "Updated summary");
        // Anonymous revalidations trust the catalog mark this replica read for up to
        // CE_CATALOG_REVALIDATE_MS (the next test); past that, the page is read again.
        app.clock.travel(chrono::Duration::seconds(2));
        let page_now =
            app.request(Method::GET, "/v1/activities?limit=10").header("if-none-match", &tag).send().await;
        page_now.assert_status(200);
        assert_ne!(page_now.header("etag").unwrap(), tag, "the page changed with its activity");
    }
);

/// An anonymous revalidation is answered from the catalog change mark the replica read last,
/// for up to the window, without reading the page: a change within the window may not be seen
/// yet (the staleness `max-age` already grants caches), one past it is, and under traffic the
/// mark is read again from half the window on. A token is always answered from the database,
/// and so is a page the replica has not answered itself.
#[actix_web::test]
async fn anonymous_revalidations_trust_the_catalog_mark_for_the_window_only() {
    use crate::credit::{enrolled_learner, physician, publish};
    use std::time::Duration;
    for backend in [ce_api::config::Backend::Sqlite, ce_api::config::Backend::Postgres] {
        let window = |s: &mut ce_api::config::Settings| s.catalog_revalidate_window = Duration::from_secs(60);
        let Some(app) = TestApp::spawn_with(backend, window).await else { continue };
        let mut body = examples::create_activity(today());
        body["capacity"] = json!(40);
        let setup = publish(&app, body).await;
        let path = "/v1/activities?limit=10";
        let revalidate = |tag: String| app.request(Method::GET, path).header("if-none-match", &tag).send();
        let page = app.get(path).await;
        let tag = page.header("etag").unwrap();
        assert_eq!(page.json()["data"][0]["seats_left"], 40);

        enrolled_learner(&app, &setup, physician()).await;
        revalidate(tag.clone()).await.assert_status(304);
        let with_token =
            app.request(Method::GET, path).bearer(&setup.planner).header("if-none-match", &tag).send().await;
        with_token.assert_status(200);
        assert_eq!(with_token.json()["data"][0]["seats_left"], 39, "a token reads the database");
        let other = app.replica_with(window);
        let fresh = other.request(Method::GET, path).header("if-none-match", &tag).send().await;
        fresh.assert_status(200);
        assert_eq!(fresh.json()["data"][0]["seats_left"], 39, "a replica that never answered it reads it");

        // Half the window on, a revalidation still confirms the page and has the mark read again
        // off the request; once that read lands, the change is seen before the window ends.
        app.clock.travel(chrono::Duration::seconds(31));
        revalidate(tag.clone()).await.assert_status(304);
        let mut read_ahead = None;
        for _ in 0..200 {
            let answer = revalidate(tag.clone()).await;
            if answer.status.as_u16() == 200 {
                read_ahead = Some(answer);
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
        let read_ahead = read_ahead.expect("the mark read ahead of its expiry shows the change");
        assert_eq!(read_ahead.json()["data"][0]["seats_left"], 39);

        app.clock.travel(chrono::Duration::seconds(61));
        let changed = revalidate(tag.clone()).await;
        changed.assert_status(200);
        assert_eq!(changed.json()["data"][0]["seats_left"], 39);
        let new_tag = changed.header("etag").unwrap();
        assert_ne!(new_tag, tag);
        revalidate(new_tag.clone()).await.assert_status(304);
        revalidate(tag).await.assert_status(200);

        // No window (CE_CATALOG_REVALIDATE_MS=0): every revalidation reads the database.
        let exact = app.replica_with(|s| s.catalog_revalidate_window = Duration::ZERO);
        let exact_get = |tag: String| exact.request(Method::GET, path).header("if-none-match", &tag).send();
        exact_get(new_tag.clone()).await.assert_status(304);
        enrolled_learner(&app, &setup, physician()).await;
        exact_get(new_tag).await.assert_status(200);
        other.handle().stop(true).await;
        exact.handle().stop(true).await;
        // Wound down before the next backend (or the process exit) while its pool is in use.
        app.handle().stop(true).await;
    }
}

/// On PostgreSQL, concurrent writers take change marks in one order and commit in another: the
/// catalog mark still moves with every commit (a largest mark would miss the late one).
#[actix_web::test]
async fn the_catalog_mark_moves_with_every_commit_in_any_order() {
    use ce_api::{activities::service::catalog_mark, db::schema::activities};
    use diesel::{connection::SimpleConnection, prelude::*};
    let Some(app) = TestApp::spawn(ce_api::config::Backend::Postgres).await else { return };
    let first = crate::credit::draft(&app, examples::create_activity(today())).await.activity;
    let second = crate::credit::draft(&app, examples::create_activity(today())).await.activity;
    let (mut early, mut late, mut reader) =
        (app.database.connect(), app.database.connect(), app.database.connect());
    let retitle = |conn: &mut ce_api::db::DbConnection, id: &str| {
        diesel::update(activities::table.find(id))
            .set(activities::title.eq("Retitled"))
            .execute(conn)
            .unwrap();
    };
    let before = catalog_mark(&mut reader).unwrap();
    late.batch_execute("BEGIN").unwrap();
    retitle(&mut late, &first);
    early.batch_execute("BEGIN").unwrap();
    retitle(&mut early, &second);
    early.batch_execute("COMMIT").unwrap();
    let one_commit = catalog_mark(&mut reader).unwrap();
    assert_ne!(one_commit, before);
    late.batch_execute("COMMIT").unwrap();
    let both = catalog_mark(&mut reader).unwrap();
    assert_ne!(both, one_commit, "the change committed last, with the smaller mark, is seen");
    assert_eq!(catalog_mark(&mut reader).unwrap(), both, "and nothing else moves it");
    app.handle().stop(true).await;
}

db_test!(
    /// The seats left are on the catalog page: every seat taken or given back moves the catalog
    /// mark (on PostgreSQL the seat trigger marks the activity itself, migration 000027), and so
    /// does every other change to the activity; a place on the waitlist holds no seat.
    async fn the_catalog_mark_moves_with_every_seat_taken_or_given_back(app: TestApp) {
        use crate::credit::{enrolled_learner, physician, publish};
        use ce_api::activities::service::catalog_mark;
        let mut body = examples::create_activity(today());
        body["capacity"] = json!(1);
        let setup = publish(&app, body).await;
        let mut reader = app.database.connect();
        let mut mark = move || catalog_mark(&mut reader).unwrap();
        let before = mark();
        let seated = enrolled_learner(&app, &setup, physician()).await;
        let one_seat = mark();
        assert_ne!(one_seat, before, "a seat taken");
        let waiting = enrolled_learner(&app, &setup, physician()).await;
        let status = app
            .request(Method::GET, &format!("/v1/enrollments/{}", waiting.enrollment))
            .bearer(&waiting.token)
            .send()
            .await;
        assert_eq!(status.json()["status"], "waitlisted");
        assert_eq!(mark(), one_seat, "a place on the waitlist is no seat");
        app.request(Method::POST, &format!("/v1/enrollments/{}/cancel", seated.enrollment))
            .bearer(&seated.token)
            .json(&json!({"reason": "Schedule conflict"}))
            .send()
            .await
            .assert_status(200);
        let handed_on = mark();
        assert_ne!(handed_on, one_seat, "a seat given back, and taken by the waitlist");
        let page = app.get("/v1/activities?limit=10").await;
        assert_eq!(page.json()["data"][0]["seats_left"], 0);
        let path = format!("/v1/activities/{}", setup.activity);
        let tag = app.get(&path).await.header("etag").unwrap();
        app.request(Method::PATCH, &path)
            .bearer(&setup.planner)
            .header("if-match", &tag)
            .json(&json!({"summary": "Updated summary"}))
            .send()
            .await
            .assert_status(200);
        assert_ne!(mark(), handed_on, "any other change");
    }
);

db_test!(
    async fn pages_are_copied_from_memory_at_unchanged_versions(app: TestApp) {
        use crate::credit::{enroll, publish};
        use ce_api::db::schema::activities;
        use diesel::prelude::*;
        let mut body = examples::create_activity(today());
        body["capacity"] = json!(40);
        let first = publish(&app, body).await;
        let second = publish(&app, examples::create_activity(today())).await;
        let pages = ["/v1/activities?limit=100", "/v1/activities?limit=100&view=full"];
        let mut read = Vec::new();
        for page in pages {
            read.push(app.get(page).await.json());
        }
        // Views changed under unchanged versions, as the service never writes them: a page
        // read again shows what this replica read before, so no view was read.
        let mut conn = app.database.connect();
        let stored: Vec<(String, Option<String>, Option<String>)> = activities::table
            .select((activities::id, activities::summary_json, activities::document_json))
            .load(&mut conn)
            .unwrap();
        diesel::update(activities::table)
            .set((
                activities::summary_json.eq("{\"tampered\":true}"),
                activities::document_json.eq("{\"tampered\":true}"),
            ))
            .execute(&mut conn)
            .unwrap();
        for (page, as_read) in pages.iter().zip(&read) {
            assert_eq!(&app.get(page).await.json(), as_read, "the same page, from memory: {page}");
        }
        // Seats left are not part of a stored summary: a page from memory shows them as they
        // stand.
        let (_, learner) = app.learner("seated@example.org").await;
        enroll(&app, &first, &learner).await;
        let seated = app.catalog_item(&first.activity, "summary").await;
        assert_eq!((&seated["title"], &seated["seats_left"]), (&read[0]["data"][0]["title"], &json!(39)));
        for (id, summary, document) in stored {
            diesel::update(activities::table.find(id))
                .set((activities::summary_json.eq(summary), activities::document_json.eq(document)))
                .execute(&mut conn)
                .unwrap();
        }
        // A new version is read from the database, and only that one.
        let path = format!("/v1/activities/{}", second.activity);
        app.amend_activity(&second.planner, &second.activity, json!({"title": "Sepsis, revisited"}))
            .await
            .assert_status(200);
        let changed = app.catalog_item(&second.activity, "full").await;
        assert_eq!(changed, app.get(&path).await.json());
        assert_eq!(changed["title"], "Sepsis, revisited");
        assert_eq!(app.catalog_item(&second.activity, "summary").await["title"], "Sepsis, revisited");
        let first_as_read = |page: &Value| {
            page["data"].as_array().unwrap().iter().find(|item| item["id"] == first.activity).cloned()
        };
        assert_eq!(Some(app.catalog_item(&first.activity, "full").await), first_as_read(&read[1]));
        let mut summary_as_read = first_as_read(&read[0]).unwrap();
        summary_as_read["seats_left"] = json!(39);
        assert_eq!(app.catalog_item(&first.activity, "summary").await, summary_as_read);
    }
);

db_test!(
    async fn the_catalog_lists_summaries_and_whole_documents_on_request(app: TestApp) {
        use crate::credit::{enrolled_learner, publish};
        let mut body = examples::create_activity(today());
        body["capacity"] = json!(40);
        let setup = publish(&app, body).await;
        let path = format!("/v1/activities/{}", setup.activity);
        let whole = app.get(&path).await.json();

        // The default item is the summary: what a learner chooses by, far smaller.
        let summary = app.catalog_item(&setup.activity, "summary").await;
        let mut keys: Vec<&str> = summary.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        let expected = [
            "capacity",
            "credits",
            "delivery",
            "ends_at",
            "expiry_date",
            "fee",
            "format",
            "id",
            "location",
            "medium",
            "release_date",
            "seats_left",
            "specialties",
            "starts_at",
            "status",
            "summary",
            "target_professions",
            "time_zone",
            "title",
            "topics",
            "updated_at",
            "version",
        ];
        assert_eq!(keys, expected);
        assert_eq!(summary["seats_left"], 40);
        assert_eq!(summary["version"], whole["version"]);
        assert_eq!(summary["credits"][0], json!({"credit_type": "ama_pra_1", "max_amount": 3.5}));
        assert!(summary.to_string().len() < 1024, "well under a kilobyte: {}", summary.to_string().len());
        // `view=full` is the document itself, and an unknown view is refused.
        assert_eq!(app.catalog_item(&setup.activity, "full").await, whole);
        app.get("/v1/activities?view=everything").await.assert_problem(400, "malformed-request");

        // Both views follow each change, in the same transaction as the change.
        app.amend_activity(&setup.planner, &setup.activity, json!({"title": "Sepsis, revisited"}))
            .await
            .assert_status(200);
        let summary = app.catalog_item(&setup.activity, "summary").await;
        assert_eq!(summary["title"], "Sepsis, revisited");
        assert_eq!(app.catalog_item(&setup.activity, "full").await, app.get(&path).await.json());

        // Seats left follow enrollments, and so does the page's validator.
        let tag = app.get("/v1/activities?limit=100").await.header("etag").unwrap();
        enrolled_learner(&app, &setup, json!({"profession": "physician"})).await;
        assert_eq!(app.catalog_item(&setup.activity, "summary").await["seats_left"], 39);
        // (Past the window in which an anonymous revalidation trusts the mark it read.)
        app.clock.travel(chrono::Duration::seconds(2));
        let page =
            app.request(Method::GET, "/v1/activities?limit=100").header("if-none-match", &tag).send().await;
        page.assert_status(200);

        // An activity stored before views were is rendered when listed, and at startup.
        let mut conn = app.database.connect();
        diesel::RunQueryDsl::execute(
            diesel::sql_query("UPDATE activities SET summary_json = NULL, document_json = NULL"),
            &mut conn,
        )
        .unwrap();
        assert_eq!(app.catalog_item(&setup.activity, "summary").await["seats_left"], 39);
        assert_eq!(app.catalog_item(&setup.activity, "full").await["title"], "Sepsis, revisited");
        assert_eq!(ce_api::activities::service::render_missing_views(&mut conn).unwrap(), 1);
        assert_eq!(ce_api::activities::service::render_missing_views(&mut conn).unwrap(), 0, "all rendered");
    }
);

/// With `CE_COMPRESS_RESPONSES`, a client that accepts gzip gets the same JSON compressed; one
/// that does not, and every client by default, gets it as is.
#[actix_web::test]
async fn responses_are_gzipped_only_when_configured_and_accepted() {
    use std::io::Read;
    for backend in [ce_api::config::Backend::Sqlite, ce_api::config::Backend::Postgres] {
        let Some(app) = TestApp::spawn_with(backend, |s| s.compress_responses = true).await else { continue };
        crate::credit::publish(&app, examples::create_activity(today())).await;
        let plain = app.get("/v1/activities?view=full").await;
        plain.assert_status(200);
        assert_eq!(plain.header("content-encoding"), None, "not asked for");
        let zipped = app
            .request(Method::GET, "/v1/activities?view=full")
            .header("accept-encoding", "gzip")
            .send()
            .await;
        zipped.assert_status(200);
        assert_eq!(zipped.header("content-encoding").as_deref(), Some("gzip"));
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(zipped.body.as_slice()).read_to_end(&mut unzipped).unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&unzipped).unwrap(), plain.json());
        assert!(zipped.body.len() < plain.body.len(), "{} of {} bytes", zipped.body.len(), plain.body.len());
        assert_eq!(zipped.header("etag"), plain.header("etag"), "the same page, the same validator");
        let vary: Vec<String> = zipped
            .headers
            .get_all("vary")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(',').map(|name| name.trim().to_ascii_lowercase()))
            .collect();
        assert!(vary.contains(&"accept-encoding".to_string()), "caches keep the two apart: {vary:?}");
        assert!(vary.contains(&"authorization".to_string()), "and still vary by caller: {vary:?}");

        let Some(default) = TestApp::spawn(backend).await else { continue };
        let as_is =
            default.request(Method::GET, "/v1/activities").header("accept-encoding", "gzip").send().await;
        assert_eq!(as_is.header("content-encoding"), None, "off unless configured");
        // Each instance stops before the next backend's start (no pool left running at exit).
        default.handle().stop(true).await;
        app.handle().stop(true).await;
    }
}

db_test!(
    async fn the_pages_after_the_first_stay_prepared_statements(app: TestApp) {
        // A cursor's row comparison binds its values: the page query stays cacheable, so
        // PostgreSQL does not parse and plan every page after the first again.
        use ce_api::activities::{dto::ActivityListQuery, service};
        for _ in 0..2 {
            crate::credit::publish(
                &app,
                crate::credit::enduring(json!([crate::credit::ama(1.0)]), "automatic"),
            )
            .await;
        }
        let mut conn = app.database.connect();
        let first = ActivityListQuery { limit: Some(1), ..Default::default() };
        let first = service::list(&mut conn, None, &first, &Default::default()).unwrap();
        let cursor = first.next_cursor.expect("a second page");
        let second = ActivityListQuery { limit: Some(1), cursor: Some(cursor), ..Default::default() };
        for _ in 0..2 {
            let page = service::list(&mut conn, None, &second, &Default::default()).unwrap();
            assert_eq!(page.data.len(), 1);
            assert_ne!(page.data, first.data, "the second page follows the first");
        }
        if let Some(held) = crate::support::plans::held_prepared(&mut conn) {
            assert!(held.iter().any(|sql| sql.contains("activities.id) > (")), "{held:#?}");
        }
    }
);
