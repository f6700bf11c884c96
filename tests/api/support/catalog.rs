//! Publishing in tests: what an activity needs beyond its document before it may be published
//! (its sessions, the surveys its completion requirements name), added only where missing.

use actix_web::http::Method;
use serde_json::{json, Value};

use super::app::{TestApp, TestResponse};

/// A one-question evaluation.
pub fn evaluation() -> Value {
    json!({"kind": "evaluation", "title": "Evaluation", "questions": [
        {"id": "relevance", "type": "likert", "text": "Relevant to my practice", "moore_level": "2",
         "likert_labels": ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]}
    ]})
}

/// A two-item post-test (answers `a`, `b`).
pub fn post_test() -> Value {
    let item = |id: &str, correct: &str| {
        json!({"id": id, "type": "single_choice", "text": format!("Item {id}"), "moore_level": "3a",
               "objective": "Recognise sepsis early",
               "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}],
               "correct_option_ids": [correct]})
    };
    json!({"kind": "post_test", "title": "Post-test", "questions": [item("q1", "a"), item("q2", "b")]})
}

impl TestApp {
    async fn get_json(&self, token: &str, path: &str) -> Value {
        let response = self.request(Method::GET, path).bearer(token).send().await;
        response.assert_status(200);
        response.json()
    }

    async fn post_created(&self, token: &str, path: &str, body: Value) {
        self.request(Method::POST, path).bearer(token).json(&body).send().await.assert_status(201);
    }

    /// Adds what publishing will ask for and the activity lacks: one session over its
    /// scheduled time for a live activity without sessions, an evaluation and a post-test
    /// where the completion requirements name them.
    pub async fn make_publishable(&self, token: &str, activity_id: &str) {
        let activity = self.get_json(token, &format!("/v1/activities/{activity_id}")).await;
        let live = matches!(activity["format"].as_str(), Some("course" | "rss" | "internet_live"));
        let sessions = self.get_json(token, &format!("/v1/activities/{activity_id}/sessions")).await;
        if live && sessions.as_array().is_some_and(Vec::is_empty) && activity["starts_at"].is_string() {
            let session = json!({"title": "Session", "starts_at": activity["starts_at"], "ends_at": activity["ends_at"]});
            self.post_created(token, &format!("/v1/activities/{activity_id}/sessions"), session).await;
        }
        let surveys = self.get_json(token, &format!("/v1/activities/{activity_id}/surveys")).await;
        let has = |kind: &str| surveys.as_array().unwrap().iter().any(|s| s["kind"] == kind);
        let requirements = &activity["completion_requirements"];
        let moc = activity["credit_designations"].as_array().is_some_and(|all| {
            all.iter().any(|d| d["credit_type"].as_str().is_some_and(|t| t.ends_with("_moc")))
        });
        if (requirements["evaluation_required"] == true || moc) && !has("evaluation") {
            self.post_created(token, &format!("/v1/activities/{activity_id}/surveys"), evaluation()).await;
        }
        if requirements["post_test_passing_score"].is_number() && !has("post_test") {
            self.post_created(token, &format!("/v1/activities/{activity_id}/surveys"), post_test()).await;
        }
    }

    /// Publishes the activity once it has what publishing asks for.
    pub async fn publish(&self, token: &str, activity_id: &str) -> TestResponse {
        self.make_publishable(token, activity_id).await;
        self.request(Method::POST, &format!("/v1/activities/{activity_id}/publish"))
            .bearer(token)
            .send()
            .await
    }
}

impl TestApp {
    /// `PATCH /v1/activities/{activity_id}` with `changes`, whatever the activity's version
    /// (`If-Match: *`).
    pub async fn amend_activity(&self, token: &str, activity_id: &str, changes: Value) -> TestResponse {
        self.request(Method::PATCH, &format!("/v1/activities/{activity_id}"))
            .bearer(token)
            .header("if-match", "*")
            .json(&changes)
            .send()
            .await
    }

    /// The activity as the anonymous catalog lists it (`view` `summary` or `full`).
    pub async fn catalog_item(&self, activity_id: &str, view: &str) -> Value {
        let page = self.get(&format!("/v1/activities?limit=100&view={view}")).await;
        page.assert_status(200);
        let items = page.json()["data"].as_array().cloned().unwrap_or_default();
        items.into_iter().find(|item| item["id"] == activity_id).expect("the activity is in the catalog")
    }
}
