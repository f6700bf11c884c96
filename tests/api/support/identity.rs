//! Accounts and tokens for tests: users created through the API (or, for administrators,
//! the same function the bootstrap uses), and hand-made JWTs to attack the verifier with.

use base64::{engine::general_purpose::STANDARD, Engine};
use ce_api::db::schema::signing_keys;
use diesel::prelude::*;
use serde_json::{json, Value};

use super::app::TestApp;

pub const PASSWORD: &str = "a sufficiently long passphrase";

impl TestApp {
    /// Signs a learner up through the API (202; the account exists, unverified).
    pub async fn sign_up(&self, email: &str) {
        let response = self
            .post_json(
                "/v1/auth/register",
                &json!({"email": email, "password": PASSWORD, "first_name": "Test", "last_name": "Learner"}),
            )
            .await;
        response.assert_status(202);
    }

    /// Marks the account's email verified, as following the mailed link does (the tests about
    /// the link follow it for real: `accounts.rs`).
    pub fn verify_email_directly(&self, email: &str) {
        use ce_api::db::schema::users;
        let mut conn = self.database.connect();
        diesel::update(users::table.filter(users::email_normalized.eq(email.to_lowercase())))
            .set(users::email_verified_at.eq(Some(chrono::Utc::now().naive_utc())))
            .execute(&mut conn)
            .unwrap();
    }

    /// Registers a learner through the API, with a verified email; returns their id.
    pub async fn register_learner(&self, email: &str) -> String {
        self.learner(email).await.0
    }

    /// Logs in; returns the token response.
    pub async fn login(&self, email: &str, password: &str) -> Value {
        let response = self.post_json("/v1/auth/login", &json!({"email": email, "password": password})).await;
        response.assert_status(200);
        response.json()
    }

    /// A new learner's id and access token (signed up through the API, email verified).
    pub async fn learner(&self, email: &str) -> (String, String) {
        self.sign_up(email).await;
        self.verify_email_directly(email);
        let tokens = self.login(email, PASSWORD).await;
        let token = tokens["access_token"].as_str().unwrap().to_string();
        let me = self.request(actix_web::http::Method::GET, "/v1/me").bearer(&token).send().await;
        me.assert_status(200);
        (me.json()["id"].as_str().unwrap().to_string(), token)
    }

    /// An administrator's access token (created like the bootstrap admin).
    pub async fn admin_token(&self) -> String {
        let email = format!("admin-{}@example.org", uuid::Uuid::now_v7().simple());
        let mut conn = self.database.connect();
        ce_api::seed::ensure_admin(&mut conn, &email, PASSWORD).unwrap();
        self.login(&email, PASSWORD).await["access_token"].as_str().unwrap().to_string()
    }

    /// A user of any role created by an administrator; returns id and access token.
    pub async fn user_with_role(&self, admin_token: &str, role: &str) -> (String, String) {
        let email = format!("{role}-{}@example.org", uuid::Uuid::now_v7().simple());
        let response = self
            .request(actix_web::http::Method::POST, "/v1/users")
            .bearer(admin_token)
            .json(&json!({"email": email, "password": PASSWORD, "first_name": "T", "last_name": role, "role": role}))
            .send()
            .await;
        response.assert_status(201);
        let id = response.json()["id"].as_str().unwrap().to_string();
        let token = self.login(&email, PASSWORD).await["access_token"].as_str().unwrap().to_string();
        (id, token)
    }

    /// An integration client with `scopes`; returns (client_id, client_secret).
    pub async fn integration_client(&self, admin_token: &str, scopes: &[&str]) -> (String, String) {
        let response = self
            .request(actix_web::http::Method::POST, "/v1/integration-clients")
            .bearer(admin_token)
            .json(&json!({"name": "Test LMS", "scopes": scopes}))
            .send()
            .await;
        response.assert_status(201);
        let body = response.json();
        (body["id"].as_str().unwrap().to_string(), body["client_secret"].as_str().unwrap().to_string())
    }

    /// A client token from the token endpoint (HTTP Basic authentication).
    pub async fn client_token(
        &self,
        client_id: &str,
        secret: &str,
        scope: Option<&str>,
    ) -> super::app::TestResponse {
        let basic = STANDARD.encode(format!("{client_id}:{secret}"));
        let mut form = "grant_type=client_credentials".to_string();
        if let Some(scope) = scope {
            form.push_str(&format!("&scope={}", scope.replace(' ', "+").replace(':', "%3A")));
        }
        self.request(actix_web::http::Method::POST, "/v1/oauth/token")
            .header("authorization", &format!("Basic {basic}"))
            .raw("application/x-www-form-urlencoded", form.into_bytes())
            .send()
            .await
    }

    /// The access token a client gets with all its scopes (the token endpoint must answer 200).
    pub async fn client_access_token(&self, client_id: &str, secret: &str) -> String {
        let response = self.client_token(client_id, secret, None).await;
        response.assert_status(200);
        response.json()["access_token"].as_str().unwrap().to_string()
    }

    /// A planner records `minutes` of a session for one learner (the answer is returned as is).
    pub async fn record_attendance(
        &self,
        planner_token: &str,
        session_id: &str,
        user_id: &str,
        minutes: i64,
    ) -> super::app::TestResponse {
        self.request(actix_web::http::Method::POST, &format!("/v1/sessions/{session_id}/attendance"))
            .bearer(planner_token)
            .json(&json!({"entries": [{"user_id": user_id, "minutes": minutes}]}))
            .send()
            .await
    }

    /// An access token for an account made directly in the database, signed with the
    /// service's own key (no password, no argon2: for tests that need many learners).
    pub fn token_for(&self, user_id: &str, role: &str) -> String {
        let mut conn = self.database.connect();
        let key =
            ce_api::auth::keys::active_key(&mut conn, ce_api::auth::keys::KeyPurpose::Access, None).unwrap();
        let mut claims = ce_api::auth::jwt::Claims::new(
            &ce_api::config::AuthSettings::default(),
            user_id,
            ce_api::auth::jwt::PrincipalKind::User,
            self.clock.now().timestamp(),
        );
        claims.role = Some(role.to_string());
        ce_api::auth::jwt::sign(&key, &claims).unwrap()
    }

    /// The current access-token signing key as (kid, PKCS#8 DER), read from the database.
    pub fn signing_key(&self) -> (String, Vec<u8>) {
        self.signing_key_for("access")
    }

    /// The current signing key of a purpose (`access`, `credentials`) as (kid, PKCS#8 DER).
    pub fn signing_key_for(&self, purpose: &str) -> (String, Vec<u8>) {
        let mut conn = self.database.connect();
        let (kid, seed): (String, String) = signing_keys::table
            .filter(signing_keys::purpose.eq(purpose))
            .filter(signing_keys::retired_at.is_null())
            .order(signing_keys::created_at.desc())
            .select((signing_keys::kid, signing_keys::private_key))
            .first(&mut conn)
            .unwrap();
        let mut der = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
        ];
        der.extend(STANDARD.decode(seed).unwrap());
        (kid, der)
    }
}
