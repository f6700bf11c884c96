//! Outcome surveys: answers checked against their questions (nothing stored on refusal),
//! scoring and attempts, the completion gates credit waits for, frozen questions, and the
//! outcome report's statistics checked against a hand calculation over 40 learners.

use actix_web::http::Method;
use ce_api::{auth::Role, users::NewUser};
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::{
    credit::{
        ama, claim, claim_body, enduring, enrolled_learner, outcome_report, physician, post, publish,
        Learner, Setup,
    },
    db_test,
    support::TestApp,
};

fn choice(id: &str, level: &str, correct: &str) -> Value {
    json!({
        "id": id, "type": "single_choice", "text": format!("Item {id}"), "moore_level": level,
        "objective": "Recognise sepsis early",
        "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}, {"id": "c", "text": "C"}],
        "correct_option_ids": [correct]
    })
}

fn test_survey(kind: &str) -> Value {
    json!({"kind": kind, "title": format!("Sepsis {kind}"), "questions": [choice("q1", "3a", "a"), choice("q2", "3b", "b")]})
}

/// The post-test of `test_survey`, with `max_attempts`.
fn post_test_of(max_attempts: u8) -> Value {
    let mut survey = test_survey("post_test");
    survey["title"] = json!("Post-test");
    survey["max_attempts"] = json!(max_attempts);
    survey
}

fn evaluation() -> Value {
    json!({"kind": "evaluation", "title": "Evaluation", "questions": [
        {"id": "relevance", "type": "likert", "text": "Relevant to my practice", "moore_level": "2",
         "likert_labels": ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]},
        {"id": "change", "type": "commitment_to_change", "text": "Will you change your practice?", "moore_level": "4"},
        {"id": "comments", "type": "free_text", "text": "Comments", "moore_level": "2", "required": false, "max_length": 200}
    ]})
}

async fn create_survey(app: &TestApp, setup: &Setup, body: Value) -> String {
    let created =
        post(app, &setup.planner, &format!("/v1/activities/{}/surveys", setup.activity), body).await;
    created.assert_status(201);
    created.json()["id"].as_str().unwrap().to_string()
}

async fn respond(
    app: &TestApp,
    token: &str,
    survey: &str,
    answers: Value,
) -> crate::support::app::TestResponse {
    post(app, token, &format!("/v1/surveys/{survey}/responses"), json!({"answers": answers})).await
}

/// `count` learners with registered enrollments in the activity, and their tokens.
fn enrolled_learners(app: &TestApp, activity: &str, count: usize) -> Vec<(String, String)> {
    use ce_api::{
        db::schema::enrollments,
        enrollments::{dto::EnrollmentStatus, EnrollmentRow},
        users::dto::Profession,
    };
    let mut conn = app.database.connect();
    (0..count)
        .map(|n| {
            let user = ce_api::users::fixtures::insert(
                &mut conn,
                NewUser {
                    email: format!("surveyed{n}-{}@example.org", uuid::Uuid::now_v7().simple()),
                    password_hash: None,
                    role: Role::Learner,
                    first_name: "S".into(),
                    last_name: format!("{n}"),
                    profession: Some(Profession::Physician),
                    external_id: None,
                    email_verified: true,
                },
            )
            .unwrap();
            let row = EnrollmentRow::new(activity, &user.id, EnrollmentStatus::Registered, "test");
            diesel::insert_into(enrollments::table).values(&row).execute(&mut conn).unwrap();
            (user.id.clone(), app.token_for(&user.id, "learner"))
        })
        .collect()
}

/// Each learner's answers to items q1 and q2, before and after: `(q1 pre, q1 post, q2 pre,
/// q2 post)`, right = true. Groups of learners, in order (40 in all).
const PATTERNS: [(usize, (bool, bool, bool, bool)); 7] = [
    (10, (false, true, false, true)),  // q1 wrong→right, q2 wrong→right
    (10, (false, true, true, true)),   // q1 wrong→right, q2 right→right
    (10, (true, true, true, true)),    // both right→right
    (2, (true, true, false, false)),   // q1 right→right, q2 wrong→wrong
    (4, (false, false, false, false)), // both wrong→wrong
    (1, (false, false, true, false)),  // q1 wrong→wrong, q2 right→wrong
    (3, (true, false, true, false)),   // both right→wrong
];

fn option(right: bool, correct: &str) -> Value {
    json!([if right { correct } else { "c" }])
}

db_test!(
    async fn forty_learners_give_the_hand_calculated_statistics(app: TestApp) {
        let setup = publish(&app, enduring(json!([ama(2.0)]), "automatic")).await;
        let pre = create_survey(&app, &setup, test_survey("pre_test")).await;
        let post_test = create_survey(&app, &setup, test_survey("post_test")).await;
        let evaluation = create_survey(&app, &setup, evaluation()).await;
        let learners = enrolled_learners(&app, &setup.activity, 40);
        let mut patterns = Vec::new();
        for (count, pattern) in PATTERNS {
            patterns.extend(std::iter::repeat_n(pattern, count));
        }
        assert_eq!(patterns.len(), 40);
        for (i, ((_, token), (q1_pre, q1_post, q2_pre, q2_post))) in
            learners.iter().zip(&patterns).enumerate()
        {
            respond(
                &app,
                token,
                &pre,
                json!([
                    {"question_id": "q1", "option_ids": option(*q1_pre, "a")},
                    {"question_id": "q2", "option_ids": option(*q2_pre, "b")}
                ]),
            )
            .await
            .assert_status(201);
            let scored = respond(
                &app,
                token,
                &post_test,
                json!([
                    {"question_id": "q1", "option_ids": option(*q1_post, "a")},
                    {"question_id": "q2", "option_ids": option(*q2_post, "b")}
                ]),
            )
            .await;
            scored.assert_status(201);
            let expected_score = 50.0 * (f64::from(u8::from(*q1_post)) + f64::from(u8::from(*q2_post)));
            assert_eq!(scored.json()["score"], expected_score);
            // Likert: 20 learners say 5, 12 say 4, 8 say 3. Commitment: the first 30 commit.
            let likert = if i < 20 {
                5
            } else if i < 32 {
                4
            } else {
                3
            };
            let commitment = if i < 30 {
                json!({"question_id": "change", "commit": true, "text": format!("Lactate at triage ({i})")})
            } else {
                json!({"question_id": "change", "commit": false})
            };
            let mut answers = vec![json!({"question_id": "relevance", "value": likert}), commitment];
            if i % 10 == 0 {
                answers.push(json!({"question_id": "comments", "text": "More cases, please"}));
            }
            respond(&app, token, &evaluation, json!(answers)).await.assert_status(201);
        }

        // The hand calculation.
        // q1: right before 12 + 3 = 15, after 20 + 12 = 32 (of 40); b = 3 (right→wrong), c = 20.
        // q2: right before 20 + 4 = 24, after 10 + 20 = 30; b = 4, c = 10.
        // McNemar chi² = (|b − c| − 1)² / (b + c): q1 (17 − 1)² / 23 = 256 / 23 = 11.1304;
        //                                           q2 (6 − 1)² / 14 = 25 / 14 = 1.7857.
        let (mut q1, mut q2) = ([0i64; 4], [0i64; 4]); // right before, right after, b, c
        let mut changes = Vec::new();
        let (mut sum_pre, mut sum_post) = (0.0, 0.0);
        for (a_pre, a_post, b_pre, b_post) in &patterns {
            for (counts, before, after) in [(&mut q1, a_pre, a_post), (&mut q2, b_pre, b_post)] {
                counts[0] += i64::from(*before);
                counts[1] += i64::from(*after);
                counts[2] += i64::from(*before && !*after);
                counts[3] += i64::from(!*before && *after);
            }
            let pre_score = 50.0 * f64::from(u8::from(*a_pre) + u8::from(*b_pre));
            let post_score = 50.0 * f64::from(u8::from(*a_post) + u8::from(*b_post));
            sum_pre += pre_score;
            sum_post += post_score;
            changes.push(post_score - pre_score);
        }
        assert_eq!(q1, [15, 32, 3, 20]);
        assert_eq!(q2, [24, 30, 4, 10]);
        // Paired: Σd = 1150, mean 28.75; Σd² = 157,500; sd = sqrt((157500 − 1150²/40) / 39)
        // = sqrt(3190.7051) = 56.4863; d = 28.75 / 56.4863 = 0.5090.
        let n = changes.len() as f64;
        let mean: f64 = changes.iter().sum::<f64>() / n;
        let sd = (changes.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        assert_eq!(mean, 28.75);
        assert!((sd - 56.4863).abs() < 1e-4);
        assert!((mean / sd - 0.5090).abs() < 1e-4);

        let report = outcome_report(&app, &setup).await;
        let k = &report["knowledge"];
        assert_eq!(k["pre_percent_correct"], 48.75, "(15 + 24) / 80");
        assert_eq!(k["post_percent_correct"], 77.5, "(32 + 30) / 80");
        let item = |id: &str| {
            k["items"].as_array().unwrap().iter().find(|i| i["question_id"] == id).unwrap().clone()
        };
        let (i1, i2) = (item("q1"), item("q2"));
        assert_eq!(i1["pre"]["percent_correct"], 37.5);
        assert_eq!(i1["post"]["percent_correct"], 80.0);
        assert_eq!(i2["pre"]["percent_correct"], 60.0);
        assert_eq!(i2["post"]["percent_correct"], 75.0);
        assert_eq!((i1["mcnemar"]["b"].as_i64(), i1["mcnemar"]["c"].as_i64()), (Some(3), Some(20)));
        assert_eq!(i1["mcnemar"]["chi_square"], 11.1304);
        assert_eq!((i2["mcnemar"]["b"].as_i64(), i2["mcnemar"]["c"].as_i64()), (Some(4), Some(10)));
        assert_eq!(i2["mcnemar"]["chi_square"], 1.7857);
        assert!(i1["mcnemar"]["p_value"].as_f64().unwrap() < 0.001);
        // 23 and 14 discordant pairs: the exact binomial test, not the chi-square approximation.
        assert_eq!(i1["mcnemar"]["method"], "exact_binomial");
        // Paired scores per Moore level: q1 is the only 3a item, q2 the only 3b item.
        let by_level = report["knowledge"]["paired_by_level"].as_array().unwrap();
        let level = |name: &str| by_level.iter().find(|l| l["level"] == name).unwrap()["paired"].clone();
        let declarative = level("3a");
        assert_eq!((declarative["n"].as_i64(), declarative["mean_pre"].as_f64()), (Some(40), Some(37.5)));
        assert_eq!(
            (declarative["mean_post"].as_f64(), declarative["mean_change"].as_f64()),
            (Some(80.0), Some(42.5))
        );
        let procedural = level("3b");
        assert_eq!(
            (procedural["mean_pre"].as_f64(), procedural["mean_post"].as_f64()),
            (Some(60.0), Some(75.0))
        );
        assert_eq!(i2["mcnemar"]["p_value"], 0.1796);
        assert!(i2["mcnemar"]["p_value"].as_f64().unwrap() > 0.15);
        let paired = &k["paired"];
        assert_eq!(paired["n"], 40);
        assert_eq!(paired["mean_pre"], sum_pre / n);
        assert_eq!(paired["mean_post"], sum_post / n);
        assert_eq!(paired["mean_change"], 28.75);
        assert_eq!(paired["sd_change"], 56.4863);
        assert_eq!(paired["cohens_d"], 0.509);
        // Level 2: 8 × 3, 12 × 4, 20 × 5 = 172 / 40 = 4.3.
        let likert = &report["satisfaction"][0];
        assert_eq!(likert["n"], 40);
        assert_eq!(likert["distribution"], json!([0, 0, 8, 12, 20]));
        assert_eq!(likert["mean"], 4.3);
        assert_eq!(report["commitment"]["rate"], 75.0);
        assert_eq!(report["commitment"]["statements"].as_array().unwrap().len(), 30);
        assert_eq!(report["free_text"][0]["answers"].as_array().unwrap().len(), 4);
        let levels: Vec<(Value, Value)> = report["levels_measured"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["level"].clone(), l["methods"].clone()))
            .collect();
        assert_eq!(
            levels,
            [
                (json!("1"), json!(["objective"])),
                (json!("2"), json!(["subjective"])),
                (json!("3a"), json!(["objective"])),
                (json!("3b"), json!(["objective"])),
                (json!("4"), json!(["subjective"])),
            ]
        );
        assert_eq!(report["participation"]["enrolled"], 40);
        // No identity anywhere in the report.
        let text = report.to_string();
        for (user_id, _) in &learners {
            assert!(!text.contains(user_id.as_str()));
        }

        // CSV, one measure a line.
        let csv = app
            .request(Method::GET, &format!("/v1/activities/{}/outcomes", setup.activity))
            .bearer(&setup.planner)
            .header("accept", "text/csv")
            .send()
            .await
            .text();
        assert!(csv.contains("3a,mcnemar_chi_square,q1,11.1304"), "{csv}");

        // Who may read it: leadership and clients with surveys:read yes; learners no.
        let (_, leader) = app.user_with_role(&setup.admin, "leader").await;
        app.request(Method::GET, &format!("/v1/activities/{}/outcomes", setup.activity))
            .bearer(&leader)
            .send()
            .await
            .assert_status(200);
        let (client, secret) = app.integration_client(&setup.admin, &["surveys:read"]).await;
        let lms = app.client_access_token(&client, &secret).await;
        app.request(Method::GET, &format!("/v1/activities/{}/outcomes", setup.activity))
            .bearer(&lms)
            .send()
            .await
            .assert_status(200);
        app.request(Method::GET, &format!("/v1/activities/{}/outcomes", setup.activity))
            .bearer(&learners[0].1)
            .send()
            .await
            .assert_problem(403, "forbidden");
        // Leadership reads aggregates, not a learner's responses; a learner reads only their own.
        app.request(Method::GET, &format!("/v1/surveys/{pre}/responses"))
            .bearer(&leader)
            .send()
            .await
            .assert_problem(403, "forbidden");
        let own = app
            .request(Method::GET, &format!("/v1/surveys/{pre}/responses"))
            .bearer(&learners[0].1)
            .send()
            .await
            .json();
        assert_eq!(own["data"].as_array().unwrap().len(), 1);
        assert_eq!(own["data"][0]["user_id"], learners[0].0.as_str());
        let all = app
            .request(Method::GET, &format!("/v1/surveys/{pre}/responses?limit=100"))
            .bearer(&setup.planner)
            .send()
            .await
            .json();
        assert_eq!(all["data"].as_array().unwrap().len(), 40);

        // The program report aggregates the same numbers.
        let program = app.request(Method::GET, "/v1/reports/outcomes").bearer(&leader).send().await;
        program.assert_status(200);
        let program = program.json();
        let line = program["activities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["activity_id"] == setup.activity.as_str())
            .unwrap()
            .clone();
        assert_eq!(line["paired"]["cohens_d"], 0.509);
        assert_eq!(line["pre_percent_correct"], 48.75);
        assert_eq!(program["totals"]["paired"]["n"], 40);
        let enduring_totals = program["by_format"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["format"] == "enduring")
            .unwrap()
            .clone();
        assert_eq!(enduring_totals["post_percent_correct"], 77.5);
        let level_3a =
            program["by_level"].as_array().unwrap().iter().find(|l| l["level"] == "3a").unwrap().clone();
        assert_eq!(level_3a["objective"], 1);
        // Per-level paired scores in the program report: the line's, and the level's over the
        // report's activities (one here, so the same as the activity report's).
        assert_eq!(line["paired_by_level"], report["knowledge"]["paired_by_level"]);
        assert_eq!(level_3a["paired"], declarative);
        let level_2 =
            program["by_level"].as_array().unwrap().iter().find(|l| l["level"] == "2").unwrap().clone();
        assert!(level_2["paired"].is_null(), "no test items at level 2");
        app.request(Method::GET, "/v1/reports/outcomes")
            .bearer(&learners[0].1)
            .send()
            .await
            .assert_problem(403, "forbidden");
        // Filters narrow the activities; planners see only theirs.
        let lines = |report: Value| report["activities"].as_array().unwrap().len();
        let app = &app;
        let get = |path: &'static str, token: String| async move {
            let response = app.request(Method::GET, path).bearer(&token).send().await;
            response.assert_status(200);
            response.json()
        };
        assert_eq!(lines(get("/v1/reports/outcomes?format=enduring", leader.clone()).await), 1);
        assert_eq!(lines(get("/v1/reports/outcomes?format=course", leader.clone()).await), 0);
        assert_eq!(lines(get("/v1/reports/outcomes?specialty=emergency_medicine", leader.clone()).await), 1);
        assert_eq!(lines(get("/v1/reports/outcomes?specialty=dermatology", leader.clone()).await), 0);
        assert_eq!(lines(get("/v1/reports/outcomes?to=2020-01-01", leader.clone()).await), 0);
        // The far ends of the calendar bound nothing, on SQLite (text) as on PostgreSQL.
        assert_eq!(lines(get("/v1/reports/outcomes?to=9999-12-31", leader.clone()).await), 1);
        assert_eq!(lines(get("/v1/reports/outcomes?from=0001-01-01", leader.clone()).await), 1);
        assert_eq!(lines(get("/v1/reports/outcomes", setup.planner.clone()).await), 1);
        let (_, other_planner) = app.user_with_role(&setup.admin, "planner").await;
        assert_eq!(lines(get("/v1/reports/outcomes", other_planner).await), 0);
        app.request(Method::GET, "/v1/reports/outcomes?from=2027-01-02&to=2027-01-01")
            .bearer(&leader)
            .send()
            .await
            .assert_problem(422, "validation");
    }
);

db_test!(
    async fn invalid_answers_are_refused_naming_the_question_and_nothing_is_stored(app: TestApp) {
        let setup = publish(&app, enduring(json!([ama(2.0)]), "automatic")).await;
        // An answer key belongs to tests only.
        let mut keyed = evaluation();
        keyed["questions"].as_array_mut().unwrap().push(choice("pick", "2", "a"));
        let refused =
            post(&app, &setup.planner, &format!("/v1/activities/{}/surveys", setup.activity), keyed).await;
        assert_eq!(
            refused.assert_problem(422, "validation")["errors"][0]["field"],
            "questions[3].correct_option_ids"
        );
        let mut body = evaluation();
        let questions = body["questions"].as_array_mut().unwrap();
        questions.push(json!({"id": "pick", "type": "multiple_choice", "text": "Pick", "moore_level": "2",
            "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}]}));
        questions.push(json!({"id": "count", "type": "numeric", "text": "Patients a week", "moore_level": "5", "min": 0, "max": 100}));
        let survey = create_survey(&app, &setup, body).await;
        let follow_up = create_survey(&app, &setup, json!({"kind": "follow_up", "title": "90 days on", "opens_after_days": 90,
            "questions": [{"id": "done", "type": "commitment_to_change", "text": "Did you implement it?", "moore_level": "5"}]})).await;
        let pre_test = create_survey(&app, &setup, test_survey("pre_test")).await;
        let one_try = create_survey(
            &app,
            &setup,
            json!({"kind": "post_test", "title": "One try", "max_attempts": 1, "questions": [choice("q1", "3a", "a")]}),
        )
        .await;
        let learners = enrolled_learners(&app, &setup.activity, 1);
        let token = &learners[0].1;
        let valid = || {
            vec![
                json!({"question_id": "relevance", "value": 4}),
                json!({"question_id": "change", "commit": false}),
                json!({"question_id": "pick", "option_ids": ["a", "b"]}),
                json!({"question_id": "count", "value": 12}),
            ]
        };
        let with = |index: usize, answer: Value| {
            let mut answers = valid();
            answers[index] = answer;
            json!(answers)
        };
        let cases = [
            (with(2, json!({"question_id": "pick", "option_ids": ["z"]})), "answers.pick", "unknown_option"),
            (with(0, json!({"question_id": "relevance", "value": 6})), "answers.relevance", "out_of_range"),
            (with(3, json!({"question_id": "count", "value": 101})), "answers.count", "out_of_range"),
            (with(1, json!({"question_id": "change", "commit": true})), "answers.change", "required"),
            (json!(valid()[1..].to_vec()), "answers.relevance", "required"),
            (
                with(2, json!({"question_id": "comments", "text": "x".repeat(201)})),
                "answers.comments",
                "too_long",
            ),
        ];
        for (answers, field, code) in cases {
            let problem = respond(&app, token, &survey, answers).await.assert_problem(422, "invalid-answers");
            let error = problem["errors"].as_array().unwrap().iter().find(|e| e["field"] == field).cloned();
            assert_eq!(error.map(|e| e["code"].clone()), Some(json!(code)), "{problem}");
        }
        let stored = app
            .request(Method::GET, &format!("/v1/surveys/{survey}"))
            .bearer(&setup.planner)
            .send()
            .await
            .json();
        assert_eq!(stored["response_count"], 0, "nothing stored by a refusal");
        respond(&app, token, &survey, json!(valid())).await.assert_status(201);
        respond(&app, token, &survey, json!(valid())).await.assert_problem(409, "already-responded");
        // The follow-up opens 90 days after completion: not before completing, nor the next day.
        let done = json!([{"question_id": "done", "commit": true, "text": "Sepsis huddles"}]);
        respond(&app, token, &follow_up, done.clone()).await.assert_problem(409, "survey-not-open");
        let enrollment = enroll_id(&app, &setup.activity, &learners[0].0);
        post(
            &app,
            &setup.planner,
            &format!("/v1/enrollments/{enrollment}/completion"),
            json!({"minutes_spent": 60}),
        )
        .await
        .assert_status(200);
        let problem = respond(&app, token, &follow_up, done).await.assert_problem(409, "survey-not-open");
        assert!(problem["detail"].as_str().unwrap().contains("opens on"));
        // The pre-test is for before completion; a post-test's attempts run out.
        let pick =
            json!([{"question_id": "q1", "option_ids": ["c"]}, {"question_id": "q2", "option_ids": ["c"]}]);
        respond(&app, token, &pre_test, pick).await.assert_problem(409, "survey-not-open");
        let wrong = json!([{"question_id": "q1", "option_ids": ["c"]}]);
        let first = respond(&app, token, &one_try, wrong.clone()).await.json();
        assert_eq!(
            (first["score"].clone(), first["passed"].clone()),
            (json!(0.0), Value::Null),
            "no passing score set"
        );
        let spent = respond(&app, token, &one_try, wrong).await.assert_problem(409, "already-responded");
        assert!(spent["detail"].as_str().unwrap().contains("already responded"), "{spent}");
        // Someone not enrolled cannot respond at all.
        let (_, stranger) = app.learner("stranger@example.org").await;
        respond(&app, &stranger, &survey, json!(valid())).await.assert_problem(404, "not-found");
    }
);

fn enroll_id(app: &TestApp, activity: &str, user_id: &str) -> String {
    use ce_api::db::schema::enrollments;
    enrollments::table
        .filter(enrollments::activity_id.eq(activity))
        .filter(enrollments::user_id.eq(user_id))
        .select(enrollments::id)
        .first(&mut app.database.connect())
        .unwrap()
}

db_test!(
    settings = crate::support::tokens_outlive_the_scenario;
    async fn credit_waits_for_the_evaluation_and_a_passed_post_test(app: TestApp) {
        let now = chrono::Utc::now();
        let at = |minutes: i64| {
            (now + chrono::Duration::minutes(minutes)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        };
        let mut body = ce_api::activities::examples::create_activity(now.date_naive());
        body["credit_designations"] = json!([ama(1.0)]);
        body["completion_requirements"] =
            json!({"min_attendance_percent": 50, "evaluation_required": true, "post_test_passing_score": 70});
        let setup = crate::credit::draft(&app, body).await;
        let session = post(
            &app,
            &setup.planner,
            &format!("/v1/activities/{}/sessions", setup.activity),
            json!({"title": "Sepsis", "starts_at": at(60 * 24 * 121), "ends_at": at(60 * 24 * 121 + 60)}),
        )
        .await;
        let session = session.json()["id"].as_str().unwrap().to_string();
        let evaluation = create_survey(&app, &setup, evaluation()).await;
        let post_test = create_survey(&app, &setup, post_test_of(2)).await;
        app.publish(&setup.planner, &setup.activity).await.assert_status(200);
        let Learner { id: user_id, token: learner, enrollment } =
            enrolled_learner(&app, &setup, physician()).await;
        // Nothing attended yet: the evaluation and the post-test are not open.
        respond(
            &app,
            &learner,
            &post_test,
            json!([{"question_id": "q1", "option_ids": ["a"]}, {"question_id": "q2", "option_ids": ["b"]}]),
        )
        .await
        .assert_problem(409, "survey-not-open");
        app.clock.travel(chrono::Duration::days(121) + chrono::Duration::minutes(61));
        app.record_attendance(&setup.planner, &session, &user_id, 60).await.assert_status(200);
        let status = || async {
            app.request(Method::GET, &format!("/v1/enrollments/{enrollment}"))
                .bearer(&learner)
                .send()
                .await
                .json()["status"]
                .clone()
        };
        assert_eq!(status().await, "registered", "attended, but the evaluation and post-test are missing");
        let missing = |problem: Value| {
            problem["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["field"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        let refused = claim(&app, &learner, claim_body(&enrollment, "ama_pra_1", 1.0))
            .await
            .assert_problem(422, "enrollment-not-completed");
        assert_eq!(missing(refused), ["enrollment_id", "evaluation", "post_test"]);
        respond(
            &app,
            &learner,
            &evaluation,
            json!([{"question_id": "relevance", "value": 5}, {"question_id": "change", "commit": false}]),
        )
        .await
        .assert_status(201);
        let failed = respond(
            &app,
            &learner,
            &post_test,
            json!([{"question_id": "q1", "option_ids": ["a"]}, {"question_id": "q2", "option_ids": ["c"]}]),
        )
        .await;
        failed.assert_status(201);
        assert_eq!(
            (failed.json()["score"].clone(), failed.json()["passed"].clone()),
            (json!(50.0), json!(false))
        );
        let refused = claim(&app, &learner, claim_body(&enrollment, "ama_pra_1", 1.0))
            .await
            .assert_problem(422, "enrollment-not-completed");
        assert_eq!(missing(refused), ["enrollment_id", "post_test"]);
        // A retried submission (same Idempotency-Key) is one attempt, not two.
        let right = json!({"answers": [{"question_id": "q1", "option_ids": ["a"]}, {"question_id": "q2", "option_ids": ["b"]}]});
        let submit = || {
            app.request(Method::POST, &format!("/v1/surveys/{post_test}/responses"))
                .bearer(&learner)
                .header("idempotency-key", "attempt-2")
                .json(&right)
                .send()
        };
        let passed = submit().await;
        let retried = submit().await;
        assert_eq!(retried.header("idempotent-replayed").as_deref(), Some("true"));
        assert_eq!(retried.json()["id"], passed.json()["id"]);
        assert_eq!(
            (passed.json()["attempt"].clone(), passed.json()["passed"].clone()),
            (json!(2), json!(true))
        );
        assert_eq!(status().await, "completed");
        claim(&app, &learner, claim_body(&enrollment, "ama_pra_1", 1.0)).await.assert_status(201);
        // A passed post-test is not taken again.
        respond(
            &app,
            &learner,
            &post_test,
            json!([{"question_id": "q1", "option_ids": ["a"]}, {"question_id": "q2", "option_ids": ["b"]}]),
        )
        .await
        .assert_problem(409, "already-passed");
    }
);

db_test!(
    async fn questions_freeze_once_answered_and_learners_never_see_the_key(app: TestApp) {
        let setup = publish(&app, enduring(json!([ama(2.0)]), "automatic")).await;
        let survey = create_survey(&app, &setup, test_survey("pre_test")).await;
        let learners = enrolled_learners(&app, &setup.activity, 1);
        let seen = app
            .request(Method::GET, &format!("/v1/surveys/{survey}"))
            .bearer(&learners[0].1)
            .send()
            .await
            .json();
        assert_eq!(seen["questions"][0]["correct_option_ids"], json!([]), "no answer key for learners");
        let planner_view =
            app.request(Method::GET, &format!("/v1/surveys/{survey}")).bearer(&setup.planner).send().await;
        assert_eq!(planner_view.json()["questions"][0]["correct_option_ids"], json!(["a"]));
        let etag = planner_view.header("etag").unwrap();
        let patch = |body: Value, if_match: Option<&str>| {
            let mut request = app
                .request(Method::PATCH, &format!("/v1/surveys/{survey}"))
                .bearer(&setup.planner)
                .json(&body);
            if let Some(tag) = if_match {
                request = request.header("if-match", tag);
            }
            request.send()
        };
        patch(json!({"title": "Renamed"}), None).await.assert_problem(428, "precondition-required");
        let renamed = patch(json!({"title": "Renamed"}), Some(&etag)).await;
        renamed.assert_status(200);
        let etag = renamed.header("etag").unwrap();
        respond(
            &app,
            &learners[0].1,
            &survey,
            json!([{"question_id": "q1", "option_ids": ["a"]}, {"question_id": "q2", "option_ids": ["a"]}]),
        )
        .await
        .assert_status(201);
        let questions = json!({"questions": [choice("q1", "3a", "b")]});
        patch(questions, Some(&etag)).await.assert_problem(409, "survey-frozen");
        patch(json!({"title": "Renamed again"}), Some("\"1\""))
            .await
            .assert_problem(412, "precondition-failed");
        patch(json!({"title": "Renamed again"}), Some(&etag)).await.assert_status(200);
        // Learners cannot write surveys.
        post(
            &app,
            &learners[0].1,
            &format!("/v1/activities/{}/surveys", setup.activity),
            test_survey("post_test"),
        )
        .await
        .assert_problem(403, "forbidden");
    }
);

db_test!(
    async fn reports_count_seats_professions_and_only_the_levels_with_data(app: TestApp) {
        let mut body = enduring(json!([ama(2.0)]), "automatic");
        body["capacity"] = json!(1);
        body["target_professions"] = json!(["physician", "nurse"]);
        let setup = publish(&app, body).await;
        let doctor = enrolled_learner(&app, &setup, physician()).await;
        let email = format!("nurse-{}@example.org", uuid::Uuid::now_v7().simple());
        let (_, nurse) = app.learner(&email).await;
        let waiting =
            post(&app, &nurse, &format!("/v1/activities/{}/enrollments", setup.activity), json!({})).await;
        assert_eq!(waiting.json()["status"], "waitlisted");
        post(
            &app,
            &setup.planner,
            &format!("/v1/enrollments/{}/completion", doctor.enrollment),
            json!({"minutes_spent": 60}),
        )
        .await
        .assert_status(200);
        // A follow-up nobody has answered yet measured nothing.
        create_survey(&app, &setup, json!({"kind": "follow_up", "title": "90 days on", "opens_after_days": 90,
            "questions": [{"id": "done", "type": "commitment_to_change", "text": "Did you implement it?", "moore_level": "5"}]}))
        .await;
        let report = outcome_report(&app, &setup).await;
        let participation = &report["participation"];
        assert_eq!(participation["enrolled"], 1, "the waitlisted nurse holds no seat: {participation}");
        assert_eq!(
            (participation["physicians"].as_i64(), participation["other_learners"].as_i64()),
            (Some(1), Some(0))
        );
        let levels: Vec<&str> = report["levels_measured"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["level"].as_str().unwrap())
            .collect();
        assert_eq!(levels, ["1"], "{report}");
    }
);

/// How many times each key occurs.
fn tally<K: Ord>(keys: impl IntoIterator<Item = K>) -> std::collections::BTreeMap<K, i32> {
    let mut counts = std::collections::BTreeMap::new();
    for key in keys {
        *counts.entry(key).or_default() += 1;
    }
    counts
}

/// Every outcome total equals what grouping the rows it counts gives (rows whose count fell to
/// zero aside): the triggers lose nothing and count nothing twice.
fn assert_totals_match_rows(conn: &mut ce_api::db::DbConnection) {
    use std::collections::BTreeMap;

    use ce_api::db::schema::{
        survey_answers as answers, survey_item_pairs as item_pairs, survey_level_pair_totals as level_totals,
        survey_level_pairs as level_pairs, survey_question_totals as question_totals,
        survey_score_pair_totals as score_totals, survey_score_pairs as score_pairs,
        survey_transition_totals as transition_totals,
    };

    type AnswerRow = (String, String, String, String, String, Option<i32>, Option<i32>);
    let rows: Vec<AnswerRow> = answers::table
        .filter(answers::latest.eq(1))
        .select((
            answers::activity_id,
            answers::survey_id,
            answers::kind,
            answers::question_id,
            answers::question_type,
            answers::correct,
            answers::commit_value,
        ))
        .load(conn)
        .unwrap();
    let mut grouped: BTreeMap<(String, String, String, String, String), [i32; 4]> = BTreeMap::new();
    for (activity, survey, kind, question, question_type, correct, commit) in rows {
        let total = grouped.entry((activity, survey, kind, question, question_type)).or_default();
        total[0] += 1;
        total[1] += i32::from(correct.is_some());
        total[2] += correct.unwrap_or(0);
        total[3] += i32::from(commit == Some(1));
    }
    type QuestionTotal = (String, String, String, String, String, i32, i32, i32, i32);
    let kept: BTreeMap<_, _> = question_totals::table
        .filter(question_totals::answers.gt(0))
        .load::<QuestionTotal>(conn)
        .unwrap()
        .into_iter()
        .map(|(a, s, k, q, t, n, scored, right, yes)| ((a, s, k, q, t), [n, scored, right, yes]))
        .collect();
    assert!(!grouped.is_empty());
    assert_eq!(kept, grouped, "question totals");

    let grouped = tally(
        item_pairs::table
            .select((item_pairs::activity_id, item_pairs::question_id, item_pairs::transition))
            .load::<(String, String, String)>(conn)
            .unwrap(),
    );
    let kept: BTreeMap<_, _> = transition_totals::table
        .filter(transition_totals::learners.gt(0))
        .load::<(String, String, String, i32)>(conn)
        .unwrap()
        .into_iter()
        .map(|(a, q, t, n)| ((a, q, t), n))
        .collect();
    assert_eq!(kept, grouped, "transition totals");

    // Each learner's level profile is their item pairs at that level, regrouped.
    let mut profiles: BTreeMap<(String, String, String), [i32; 3]> = BTreeMap::new();
    for (activity, user, level, transition) in item_pairs::table
        .select((
            item_pairs::activity_id,
            item_pairs::user_id,
            item_pairs::moore_level,
            item_pairs::transition,
        ))
        .load::<(String, String, String, String)>(conn)
        .unwrap()
    {
        let profile = profiles.entry((activity, user, level)).or_default();
        profile[0] += 1;
        profile[1] += i32::from(transition.starts_with('r'));
        profile[2] += i32::from(transition.ends_with('r'));
    }
    let stored: BTreeMap<_, _> = level_pairs::table
        .load::<(String, String, String, i32, i32, i32)>(conn)
        .unwrap()
        .into_iter()
        .map(|(a, u, l, items, before, after)| ((a, u, l), [items, before, after]))
        .collect();
    assert_eq!(stored, profiles, "level pairs");
    let grouped =
        tally(profiles.into_iter().map(|((activity, _, level), profile)| (activity, level, profile)));
    let kept: BTreeMap<_, _> = level_totals::table
        .filter(level_totals::learners.gt(0))
        .load::<(String, String, i32, i32, i32, i32)>(conn)
        .unwrap()
        .into_iter()
        .map(|(a, l, items, before, after, n)| ((a, l, [items, before, after]), n))
        .collect();
    assert_eq!(kept, grouped, "level pair totals");

    let score_pairs: Vec<(String, f64, f64)> = score_pairs::table
        .select((score_pairs::activity_id, score_pairs::pre_score, score_pairs::post_score))
        .load(conn)
        .unwrap();
    let grouped = tally(score_pairs.into_iter().map(|(a, pre, post)| (a, pre.to_string(), post.to_string())));
    let kept: BTreeMap<_, _> = score_totals::table
        .filter(score_totals::learners.gt(0))
        .load::<(String, f64, f64, i32)>(conn)
        .unwrap()
        .into_iter()
        .map(|(a, pre, post, n)| ((a, pre.to_string(), post.to_string()), n))
        .collect();
    assert_eq!(kept, grouped, "score pair totals");
}

/// (q1 right, q2 right) in one attempt at a test.
type Rights = (bool, bool);

db_test!(
    async fn retakes_count_once_and_the_report_totals_match_the_answers(app: TestApp) {
        let setup = publish(&app, enduring(json!([ama(2.0)]), "automatic")).await;
        let pre = create_survey(&app, &setup, test_survey("pre_test")).await;
        let post_test = create_survey(&app, &setup, post_test_of(3)).await;
        let evaluation = create_survey(&app, &setup, evaluation()).await;
        let learners = enrolled_learners(&app, &setup.activity, 4);
        // (q1 right, q2 right) in the pre-test, then in each post-test attempt; the last counts.
        let plans: [(Rights, &[Rights]); 4] = [
            ((false, false), &[(false, false), (true, false), (true, true)]),
            ((true, false), &[(false, true)]),
            ((false, true), &[(true, true), (false, false)]),
            ((true, true), &[]),
        ];
        for ((_, token), ((q1, q2), attempts)) in learners.iter().zip(plans) {
            let answers = |q1: bool, q2: bool| {
                json!([
                    {"question_id": "q1", "option_ids": option(q1, "a")},
                    {"question_id": "q2", "option_ids": option(q2, "b")}
                ])
            };
            respond(&app, token, &pre, answers(q1, q2)).await.assert_status(201);
            for (q1, q2) in attempts {
                respond(&app, token, &post_test, answers(*q1, *q2)).await.assert_status(201);
            }
        }
        // The first three answer the evaluation; the middle one does not commit.
        for (i, (_, token)) in learners.iter().take(3).enumerate() {
            let commitment = if i == 1 {
                json!({"question_id": "change", "commit": false})
            } else {
                json!({"question_id": "change", "commit": true, "text": "Lactate at triage"})
            };
            let answers = json!([{"question_id": "relevance", "value": 4}, commitment]);
            respond(&app, token, &evaluation, answers).await.assert_status(201);
        }

        // By hand, from the last attempts. Pre-test: 4 of 8 right; post-test 3 of 6.
        // q1: before L1 L3 (2 of 4), after L0 (1 of 3); b (rw) = L1, c (wr) = L0.
        // q2: before L2 L3 (2 of 4), after L0 L1 (2 of 3); b = L2, c = L0 L1.
        // Paired (L0 L1 L2): 0→100, 50→50, 50→0. Level 3a (q1): 0→100, 100→0, 0→0;
        // level 3b (q2): 0→100, 0→100, 100→0.
        let report = outcome_report(&app, &setup).await;
        let k = &report["knowledge"];
        assert_eq!(
            (k["pre_percent_correct"].as_f64(), k["post_percent_correct"].as_f64()),
            (Some(50.0), Some(50.0))
        );
        let item = |id: &str| {
            k["items"].as_array().unwrap().iter().find(|i| i["question_id"] == id).unwrap().clone()
        };
        let (q1, q2) = (item("q1"), item("q2"));
        assert_eq!((q1["pre"]["n"].as_i64(), q1["post"]["n"].as_i64()), (Some(4), Some(3)), "{q1}");
        assert_eq!((q1["pre"]["correct"].as_i64(), q1["post"]["correct"].as_i64()), (Some(2), Some(1)));
        assert_eq!((q2["pre"]["correct"].as_i64(), q2["post"]["correct"].as_i64()), (Some(2), Some(2)));
        assert_eq!((q1["mcnemar"]["b"].as_i64(), q1["mcnemar"]["c"].as_i64()), (Some(1), Some(1)));
        assert_eq!((q2["mcnemar"]["b"].as_i64(), q2["mcnemar"]["c"].as_i64()), (Some(1), Some(2)));
        let paired = &k["paired"];
        assert_eq!((paired["n"].as_i64(), paired["mean_pre"].as_f64()), (Some(3), Some(33.33)));
        assert_eq!((paired["mean_post"].as_f64(), paired["mean_change"].as_f64()), (Some(50.0), Some(16.67)));
        let by_level = k["paired_by_level"].as_array().unwrap();
        let level = |name: &str| by_level.iter().find(|l| l["level"] == name).unwrap()["paired"].clone();
        let (declarative, procedural) = (level("3a"), level("3b"));
        assert_eq!((declarative["n"].as_i64(), declarative["mean_change"].as_f64()), (Some(3), Some(0.0)));
        assert_eq!(
            (declarative["mean_pre"].as_f64(), declarative["mean_post"].as_f64()),
            (Some(33.33), Some(33.33))
        );
        assert_eq!(
            (procedural["mean_pre"].as_f64(), procedural["mean_post"].as_f64()),
            (Some(33.33), Some(66.67))
        );
        assert_eq!(report["commitment"]["n"], 3);
        assert_eq!(report["commitment"]["committed"], 2);

        // The program report reads the same totals.
        let program =
            app.request(Method::GET, "/v1/reports/outcomes").bearer(&setup.admin).send().await.json();
        let line = program["activities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["activity_id"] == setup.activity.as_str())
            .unwrap()
            .clone();
        assert_eq!(line["paired"], *paired);
        assert_eq!(line["paired_by_level"], k["paired_by_level"]);
        assert_eq!(line["commitment_rate"], 66.67);

        let mut conn = app.database.connect();
        assert_totals_match_rows(&mut conn);
        // A database that already held these responses gets the same totals when it upgrades.
        crate::support::database::remigrate_from(&mut conn, "2026-11-29-000021");
        assert_totals_match_rows(&mut conn);
        assert_eq!(outcome_report(&app, &setup).await, report);
    }
);
