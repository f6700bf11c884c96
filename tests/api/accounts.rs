//! Accounts by email: sign-up and reset answers that reveal nothing, mailed links that work
//! once (read from a real SMTP listener), verification before credit, and password changes
//! that end the other sessions.

use actix_web::http::Method;
use ce_api::{config::Backend, rate_limits::Quota};
use serde_json::{json, Value};

use crate::{
    credit::{ama, claim, claim_body, enduring, publish},
    support::{identity::PASSWORD, smtp::SmtpInbox, TestApp},
};

const PORTAL: &str = "https://portal.example.org";
const RESET: &str = "Reset your password";
const CHANGED: &str = "Your password was changed";

async fn app_with_mail(backend: Backend, inbox: &SmtpInbox) -> Option<TestApp> {
    let url = inbox.url.clone();
    TestApp::spawn_with(backend, move |settings| {
        settings.mail.smtp_url = Some(url);
        settings.mail.portal_url = PORTAL.into();
    })
    .await
}

fn sign_up_body(email: &str, password: &str) -> Value {
    json!({"email": email, "password": password, "first_name": "Mia", "last_name": "Chen", "profession": "physician"})
}

async fn verify(app: &TestApp, token: &str) -> crate::support::app::TestResponse {
    app.post_json("/v1/auth/verify-email", &json!({"token": token})).await
}

/// Sign-up answers 202 alike for new and taken addresses; the new address gets a verification
/// link, the taken one's owner a notice (with a fresh link while unverified). An unverified
/// learner logs in but cannot claim credit; the newest link verifies once; then the claim goes
/// through.
#[actix_web::test]
async fn sign_up_reveals_nothing_and_its_link_verifies_once() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let inbox = SmtpInbox::start();
        let Some(app) = app_with_mail(backend, &inbox).await else { continue };
        let email = "mia.chen@example.org";
        let first = app.post_json("/v1/auth/register", &sign_up_body(email, PASSWORD)).await;
        first.assert_status(202);
        let welcome = inbox.wait_for(email, 1).await.remove(0);
        assert_eq!(welcome.subject(), "Confirm your email address");
        assert!(welcome.message.contains(&format!("{PORTAL}/verify-email?token=")), "{}", welcome.message);
        let first_token = welcome.token_for("verify-email").unwrap();
        assert!(first_token.len() >= 40, "{first_token}");

        // Again, in other letters and with another password: the same answer, nothing changes.
        let again = app
            .post_json("/v1/auth/register", &sign_up_body("MIA.CHEN@example.org", "another passphrase!"))
            .await;
        again.assert_status(202);
        assert_eq!(again.json(), first.json(), "the answer tells nothing");
        let notice = inbox.wait_for(email, 2).await.remove(1);
        assert_eq!(notice.subject(), "You already have an account");
        let fresh_token = notice.token_for("verify-email").expect("unverified: a fresh link");

        // Unverified: logs in, cannot claim.
        let setup = publish(&app, enduring(json!([ama(1.0)]), "automatic")).await;
        let token = app.login(email, PASSWORD).await["access_token"].as_str().unwrap().to_string();
        let me = app.request(Method::GET, "/v1/me").bearer(&token).send().await.json();
        assert_eq!(me["email_verified"], false);
        let enrollment = crate::credit::enroll(&app, &setup, &token).await;
        app.request(Method::POST, &format!("/v1/enrollments/{enrollment}/completion"))
            .bearer(&setup.planner)
            .json(&json!({"minutes_spent": 60}))
            .send()
            .await
            .assert_status(200);
        claim(&app, &token, claim_body(&enrollment, "ama_pra_1", 1.0))
            .await
            .assert_problem(403, "email-unverified");

        // The superseded link does not work; the newest works once.
        let stale = verify(&app, &first_token).await.assert_problem(422, "validation");
        assert_eq!(stale["errors"][0]["field"], "token");
        verify(&app, &fresh_token).await.assert_status(204);
        verify(&app, &fresh_token).await.assert_problem(422, "validation");
        let me = app.request(Method::GET, "/v1/me").bearer(&token).send().await.json();
        assert_eq!(me["email_verified"], true);
        claim(&app, &token, claim_body(&enrollment, "ama_pra_1", 1.0)).await.assert_status(201);

        // A verified owner's notice carries no link.
        app.post_json("/v1/auth/register", &sign_up_body(email, PASSWORD)).await.assert_status(202);
        let verified_notice = inbox.wait_for(email, 3).await.remove(2);
        assert_eq!(verified_notice.token_for("verify-email"), None);
        app.handle().stop(true).await;
    }
}

/// A reset request answers 202 alike for every email; only an account's owner gets a link; the
/// link sets a new password once, within 30 minutes, and ends every session.
#[actix_web::test]
async fn password_reset_reveals_nothing_and_its_link_works_once() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let inbox = SmtpInbox::start();
        let Some(app) = app_with_mail(backend, &inbox).await else { continue };
        let email = "reset.me@example.org";
        app.learner(email).await;
        let session = app.login(email, PASSWORD).await;
        let access = session["access_token"].as_str().unwrap().to_string();

        let known = app.post_json("/v1/auth/password-reset", &json!({"email": email})).await;
        let unknown = app.post_json("/v1/auth/password-reset", &json!({"email": "nobody@example.org"})).await;
        known.assert_status(202);
        unknown.assert_status(202);
        assert_eq!(known.json(), unknown.json());
        let token = inbox.wait_for_subject(email, RESET, 1).await[0].token_for("reset-password").unwrap();

        let new_password = "a brand new passphrase";
        let confirm = |token: String, password: &'static str| {
            let app = &app;
            async move {
                app.post_json(
                    "/v1/auth/password-reset/confirm",
                    &json!({"token": token, "new_password": password}),
                )
                .await
            }
        };
        confirm(token.clone(), new_password).await.assert_status(204);
        let reused = confirm(token, "yet another passphrase").await.assert_problem(422, "validation");
        assert_eq!(reused["errors"][0]["field"], "token");
        // Every session ended: the access token and the refresh token of the old login.
        app.request(Method::GET, "/v1/me").bearer(&access).send().await.assert_problem(401, "unauthorized");
        app.post_json("/v1/auth/refresh", &json!({"refresh_token": session["refresh_token"]}))
            .await
            .assert_status(401);
        app.post_json("/v1/auth/login", &json!({"email": email, "password": PASSWORD}))
            .await
            .assert_status(401);
        app.login(email, new_password).await;
        inbox.wait_for_subject(email, CHANGED, 1).await;
        assert!(inbox.mails_to("nobody@example.org").is_empty());

        // A link older than 30 minutes does not work.
        app.post_json("/v1/auth/password-reset", &json!({"email": email})).await.assert_status(202);
        let late = inbox.wait_for_subject(email, RESET, 2).await[1].token_for("reset-password").unwrap();
        app.clock.travel(chrono::Duration::minutes(31));
        confirm(late, "too late a passphrase").await.assert_problem(422, "validation");
        app.login(email, new_password).await;
        app.handle().stop(true).await;
    }
}

/// A password change needs the current password, ends every other session (on every
/// replica) and keeps the one that made it.
#[actix_web::test]
async fn changing_the_password_ends_the_other_sessions() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let inbox = SmtpInbox::start();
        let Some(app) = app_with_mail(backend, &inbox).await else { continue };
        let replica = app.replica();
        let email = "change.me@example.org";
        app.learner(email).await;
        let here = app.login(email, PASSWORD).await;
        let elsewhere = app.login(email, PASSWORD).await;
        let here_token = here["access_token"].as_str().unwrap();
        let elsewhere_token = elsewhere["access_token"].as_str().unwrap();
        let change = |current: &'static str| {
            app.request(Method::POST, "/v1/me/password")
                .bearer(here_token)
                .json(&json!({"current_password": current, "new_password": "my new long passphrase"}))
                .send()
        };
        let wrong = change("not my password").await.assert_problem(422, "validation");
        assert_eq!(wrong["errors"][0]["field"], "current_password");
        app.request(Method::GET, "/v1/me").bearer(elsewhere_token).send().await.assert_status(200);

        change(PASSWORD).await.assert_status(204);
        app.request(Method::GET, "/v1/me").bearer(here_token).send().await.assert_status(200);
        for answer in [
            app.request(Method::GET, "/v1/me").bearer(elsewhere_token).send().await,
            replica.request(Method::GET, "/v1/me").bearer(elsewhere_token).send().await,
        ] {
            answer.assert_problem(401, "unauthorized");
        }
        app.post_json("/v1/auth/refresh", &json!({"refresh_token": elsewhere["refresh_token"]}))
            .await
            .assert_status(401);
        app.post_json("/v1/auth/refresh", &json!({"refresh_token": here["refresh_token"]}))
            .await
            .assert_status(200);
        app.post_json("/v1/auth/login", &json!({"email": email, "password": PASSWORD}))
            .await
            .assert_status(401);
        app.login(email, "my new long passphrase").await;
        inbox.wait_for_subject(email, CHANGED, 1).await;
        // Integration clients have no password.
        let admin = app.admin_token().await;
        let (client_id, secret) = app.integration_client(&admin, &["credits:read"]).await;
        let issued = app.client_token(&client_id, &secret, None).await.json();
        let client_token = issued["access_token"].as_str().unwrap().to_string();
        app.request(Method::POST, "/v1/me/password")
            .bearer(&client_token)
            .json(&json!({"current_password": "x", "new_password": "my new long passphrase"}))
            .send()
            .await
            .assert_problem(403, "forbidden");
        app.handle().stop(true).await;
    }
}

/// Reset mails per account are capped whatever the address asking: past the quota the request
/// is answered alike and nothing is sent.
#[actix_web::test]
async fn reset_mails_per_account_are_capped() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn(backend).await else { continue };
        app.learner("capped@example.org").await;
        let mut conn = app.database.connect();
        let quota = Some(Quota::per(2, 3600));
        let mut request = || {
            ce_api::accounts::service::request_password_reset(&mut conn, PORTAL, quota, "Capped@example.org")
                .unwrap()
                .is_some()
        };
        assert_eq!([request(), request(), request()], [true, true, false]);
        let unknown =
            ce_api::accounts::service::request_password_reset(&mut conn, PORTAL, quota, "nobody@example.org")
                .unwrap();
        assert!(unknown.is_none());
        app.handle().stop(true).await;
    }
}

/// The verified-email rule is the learner's own: those who file claims for a learner vouch.
#[actix_web::test]
async fn planners_file_claims_for_learners_not_yet_verified() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn(backend).await else { continue };
        let setup = publish(&app, enduring(json!([ama(1.0)]), "automatic")).await;
        app.post_json("/v1/auth/register", &sign_up_body("unverified@example.org", PASSWORD))
            .await
            .assert_status(202);
        let token =
            app.login("unverified@example.org", PASSWORD).await["access_token"].as_str().unwrap().to_string();
        let enrollment = crate::credit::enroll(&app, &setup, &token).await;
        app.request(Method::POST, &format!("/v1/enrollments/{enrollment}/completion"))
            .bearer(&setup.planner)
            .json(&json!({"minutes_spent": 60}))
            .send()
            .await
            .assert_status(200);
        claim(&app, &token, claim_body(&enrollment, "ama_pra_1", 1.0))
            .await
            .assert_problem(403, "email-unverified");
        // Whether the planner's own address is verified does not matter either.
        let planner = app.request(Method::GET, "/v1/me").bearer(&setup.planner).send().await.json();
        {
            use ce_api::db::schema::users;
            use diesel::prelude::*;
            let mut conn = app.database.connect();
            diesel::update(users::table.find(planner["id"].as_str().unwrap()))
                .set(users::email_verified_at.eq(None::<chrono::NaiveDateTime>))
                .execute(&mut conn)
                .unwrap();
        }
        claim(&app, &setup.planner, claim_body(&enrollment, "ama_pra_1", 1.0)).await.assert_status(201);
        app.handle().stop(true).await;
    }
}
