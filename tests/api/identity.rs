//! Identity and access: sessions, token verification, object-level authorization, machine
//! clients, throttling, profile validation and key rotation.

use actix_web::http::Method;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use ce_api::config::Backend;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::{
    db_test,
    support::{identity::PASSWORD, TestApp},
};

async fn me(app: &TestApp, token: &str) -> crate::support::app::TestResponse {
    app.request(Method::GET, "/v1/me").bearer(token).send().await
}

db_test!(
    async fn a_learner_registers_logs_in_refreshes_and_logs_out(app: TestApp) {
        let id = app.register_learner("Dana.Reyes@Example.org").await;
        // Emails are case-insensitive for login and uniqueness.
        let tokens = app.login("dana.reyes@example.org", PASSWORD).await;
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["expires_in"], 900);
        let access = tokens["access_token"].as_str().unwrap();
        let profile = me(&app, access).await;
        profile.assert_status(200);
        assert_eq!(profile.json()["id"], id.as_str());
        assert_eq!(profile.json()["role"], "learner");
        assert_eq!(profile.header("etag").as_deref(), Some("\"1\""));

        let refreshed =
            app.post_json("/v1/auth/refresh", &json!({"refresh_token": tokens["refresh_token"]})).await;
        refreshed.assert_status(200);
        let refreshed = refreshed.json();
        assert_ne!(refreshed["refresh_token"], tokens["refresh_token"]);
        me(&app, refreshed["access_token"].as_str().unwrap()).await.assert_status(200);

        app.post_json("/v1/auth/logout", &json!({"refresh_token": refreshed["refresh_token"]}))
            .await
            .assert_status(204);
        app.post_json("/v1/auth/refresh", &json!({"refresh_token": refreshed["refresh_token"]}))
            .await
            .assert_problem(401, "unauthorized");
        // Logging out ends the session's access tokens at once, on every replica, though they
        // have not expired; a new login still works.
        for token in [access, refreshed["access_token"].as_str().unwrap()] {
            let ended = me(&app, token).await.assert_problem(401, "unauthorized");
            assert!(ended["detail"].as_str().unwrap().contains("session"), "{ended}");
            let replica = app.replica();
            replica
                .request(Method::GET, "/v1/me")
                .bearer(token)
                .send()
                .await
                .assert_problem(401, "unauthorized");
        }
        let again = app.login("dana.reyes@example.org", PASSWORD).await;
        me(&app, again["access_token"].as_str().unwrap()).await.assert_status(200);

        // Signing up again with the address (any case) answers as for a new one, and changes
        // nothing.
        let duplicate = app
            .post_json(
                "/v1/auth/register",
                &json!({"email": "DANA.REYES@example.org", "password": "another long passphrase", "first_name": "D", "last_name": "R"}),
            )
            .await;
        duplicate.assert_status(202);
        app.login("dana.reyes@example.org", PASSWORD).await;
    }
);

db_test!(
    async fn reusing_a_rotated_refresh_token_revokes_the_whole_family(app: TestApp) {
        app.register_learner("reuse@example.org").await;
        let first = app.login("reuse@example.org", PASSWORD).await;
        let second =
            app.post_json("/v1/auth/refresh", &json!({"refresh_token": first["refresh_token"]})).await;
        second.assert_status(200);
        let second = second.json();
        // The stolen first token is replayed: refused, and the family is revoked...
        app.post_json("/v1/auth/refresh", &json!({"refresh_token": first["refresh_token"]}))
            .await
            .assert_problem(401, "unauthorized");
        // ...so the legitimate newer token fails too.
        app.post_json("/v1/auth/refresh", &json!({"refresh_token": second["refresh_token"]}))
            .await
            .assert_problem(401, "unauthorized");
        // And so do the family's access tokens, the thief's and the owner's.
        for tokens in [&first, &second] {
            me(&app, tokens["access_token"].as_str().unwrap()).await.assert_problem(401, "unauthorized");
        }
        // Another login is a new family and works.
        let third = app.login("reuse@example.org", PASSWORD).await;
        app.post_json("/v1/auth/refresh", &json!({"refresh_token": third["refresh_token"]}))
            .await
            .assert_status(200);
    }
);

fn claims(sub: &str, overrides: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "iss": "ce-api", "aud": "ce-api", "sub": sub, "exp": now + 600, "iat": now,
        "jti": uuid::Uuid::now_v7().to_string(), "kind": "user", "role": "learner"
    });
    for (key, value) in overrides.as_object().unwrap() {
        claims[key] = value.clone();
    }
    claims
}

fn sign_eddsa(kid: &str, der: &[u8], claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_string());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(der)).unwrap()
}

db_test!(
    async fn forged_expired_and_misdirected_tokens_are_401(app: TestApp) {
        let (id, good) = app.learner("victim@example.org").await;
        me(&app, &good).await.assert_status(200);
        let (kid, der) = app.signing_key();
        let now = chrono::Utc::now().timestamp();

        // Properly signed as a control: accepted.
        me(&app, &sign_eddsa(&kid, &der, &claims(&id, json!({})))).await.assert_status(200);

        let mut rejected: Vec<(&str, String)> = vec![
            ("expired", sign_eddsa(&kid, &der, &claims(&id, json!({"exp": now - 3600, "iat": now - 4000})))),
            ("wrong aud", sign_eddsa(&kid, &der, &claims(&id, json!({"aud": "another-service"})))),
            ("wrong iss", sign_eddsa(&kid, &der, &claims(&id, json!({"iss": "https://evil.example"})))),
        ];
        // Bad signature: a valid token with its signature changed.
        let (head, signature) = good.rsplit_once('.').unwrap();
        let mut sig = URL_SAFE_NO_PAD.decode(signature).unwrap();
        sig[0] ^= 0x01;
        rejected.push(("bad signature", format!("{head}.{}", URL_SAFE_NO_PAD.encode(sig))));
        // alg: none.
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT", "kid": kid}).to_string());
        let payload = URL_SAFE_NO_PAD.encode(claims(&id, json!({"role": "admin"})).to_string());
        rejected.push(("alg none", format!("{header}.{payload}.")));
        // HS256 with our public key as the HMAC secret (the classic key-confusion attack).
        let jwks = app.get("/.well-known/jwks.json").await.json();
        let public_key = URL_SAFE_NO_PAD.decode(jwks["keys"][0]["x"].as_str().unwrap()).unwrap();
        let mut hs_header = Header::new(Algorithm::HS256);
        hs_header.kid = Some(kid.clone());
        let hs = jsonwebtoken::encode(
            &hs_header,
            &claims(&id, json!({})),
            &EncodingKey::from_secret(&public_key).unwrap(),
        )
        .unwrap();
        rejected.push(("HS256 with public key", hs));
        // A key we never published.
        let mut stranger = der.clone();
        let last = stranger.len() - 1;
        stranger[last] ^= 0xff;
        rejected.push(("unknown kid", sign_eddsa("not-our-key", &stranger, &claims(&id, json!({})))));
        // Our kid, but signed by another key.
        rejected.push(("kid of ours, other key", sign_eddsa(&kid, &stranger, &claims(&id, json!({})))));
        rejected.push(("garbage", "not.a.jwt".into()));

        for (case, token) in rejected {
            let response = me(&app, &token).await;
            assert_eq!(response.status.as_u16(), 401, "{case}: {}", response.text());
            response.assert_problem(401, "unauthorized");
            assert!(response.header("www-authenticate").unwrap().starts_with("Bearer"), "{case}");
        }
        let missing = app.get("/v1/me").await;
        missing.assert_problem(401, "unauthorized");
    }
);

db_test!(
    async fn access_tokens_live_and_expire_on_the_service_clock(app: TestApp) {
        let (_, token) = app.learner("clockwork@example.org").await;
        let enroll_unknown = |token: String| {
            let app = &app;
            async move {
                app.request(Method::POST, "/v1/activities/no-such-activity/enrollments")
                    .bearer(&token)
                    .json(&json!({}))
                    .send()
                    .await
            }
        };
        // Verified once (and remembered by this process), then read and written with.
        me(&app, &token).await.assert_status(200);
        enroll_unknown(token.clone()).await.assert_problem(404, "not-found");

        // 15 minutes of life and 30 seconds of leeway for replicas' clocks, on the service's
        // clock: moved, not waited for.
        app.clock.travel(chrono::Duration::seconds(900 + 25));
        me(&app, &token).await.assert_status(200);
        app.clock.travel(chrono::Duration::seconds(10));
        for response in [me(&app, &token).await, enroll_unknown(token.clone()).await] {
            let expired = response.assert_problem(401, "unauthorized");
            assert!(expired["detail"].as_str().unwrap().contains("expired"), "{expired}");
        }
        // A replica, which never saw the token, agrees.
        app.replica()
            .request(Method::GET, "/v1/me")
            .bearer(&token)
            .send()
            .await
            .assert_problem(401, "unauthorized");

        // Tokens are issued on the same clock: one signed now lives its 15 minutes from now.
        let again = app.login("clockwork@example.org", PASSWORD).await;
        let fresh = again["access_token"].as_str().unwrap().to_string();
        me(&app, &fresh).await.assert_status(200);
        app.clock.travel(chrono::Duration::seconds(900 + 25));
        me(&app, &fresh).await.assert_status(200);
        app.clock.travel(chrono::Duration::seconds(10));
        me(&app, &fresh).await.assert_problem(401, "unauthorized");
    }
);

db_test!(
    async fn tokens_of_disabled_users_stop_working(app: TestApp) {
        let admin = app.admin_token().await;
        let (id, token) = app.learner("leaving@example.org").await;
        me(&app, &token).await.assert_status(200);
        app.request(Method::PATCH, &format!("/v1/users/{id}"))
            .bearer(&admin)
            .json(&json!({"active": false}))
            .send()
            .await
            .assert_status(200);
        me(&app, &token).await.assert_problem(401, "unauthorized");
        let login = app
            .post_json("/v1/auth/login", &json!({"email": "leaving@example.org", "password": PASSWORD}))
            .await;
        login.assert_problem(401, "unauthorized");
    }
);

db_test!(
    async fn a_learner_cannot_read_or_change_another_learner(app: TestApp) {
        let (a_id, a_token) = app.learner("a@example.org").await;
        let (b_id, b_token) = app.learner("b@example.org").await;
        let read = app.request(Method::GET, &format!("/v1/users/{b_id}")).bearer(&a_token).send().await;
        read.assert_problem(404, "not-found");
        // Same answer as for an id that does not exist: no existence leak.
        let unknown = app
            .request(Method::GET, "/v1/users/01a2226a-0000-7000-8000-000000000000")
            .bearer(&a_token)
            .send()
            .await;
        assert_eq!(unknown.json()["type"], read.json()["type"]);
        let change = app
            .request(Method::PATCH, &format!("/v1/users/{b_id}"))
            .bearer(&a_token)
            .json(&json!({"first_name": "Mallory"}))
            .send()
            .await;
        change.assert_problem(404, "not-found");
        // One's own record is readable through /v1/users too.
        app.request(Method::GET, &format!("/v1/users/{a_id}"))
            .bearer(&a_token)
            .send()
            .await
            .assert_status(200);
        // Listing the directory is for administrators.
        app.request(Method::GET, "/v1/users").bearer(&a_token).send().await.assert_problem(403, "forbidden");
        let b = me(&app, &b_token).await.json();
        assert_eq!(b["first_name"], "Test");
    }
);

db_test!(
    async fn a_learner_cannot_make_themselves_admin(app: TestApp) {
        let (_, token) = app.learner("climber@example.org").await;
        let response = app
            .request(Method::PATCH, "/v1/me")
            .bearer(&token)
            .json(&json!({"first_name": "Changed", "role": "admin"}))
            .send()
            .await;
        let problem = response.assert_problem(422, "validation");
        assert_eq!(problem["errors"][0]["field"], "role");
        let after = me(&app, &token).await.json();
        assert_eq!(after["role"], "learner");
        assert_eq!(after["first_name"], "Test", "nothing changed");
        assert_eq!(after["version"], 1);
    }
);

db_test!(
    async fn learner_records_are_validated_field_by_field(app: TestApp) {
        let (_, token) = app.learner("record@example.org").await;
        let patch = |body: Value| app.request(Method::PATCH, "/v1/me").bearer(&token).json(&body).send();
        for (body, field) in [
            (json!({"npi": "1234567890"}), "npi"),
            (json!({"npi": "12345"}), "npi"),
            (json!({"nabp_eprofile_id": "12345"}), "nabp_eprofile_id"),
            (json!({"birth_mmdd": "0230"}), "birth_mmdd"),
            (json!({"birth_mmdd": "1990-07-14"}), "birth_mmdd"),
            (
                json!({"state_licenses": [{"state": "ZZ", "license_type": "RN", "license_number": "1"}]}),
                "state_licenses[0].state",
            ),
            (
                json!({"state_licenses": [{"state": "NY", "license_type": "", "license_number": "1"}]}),
                "state_licenses[0].license_type",
            ),
            (json!({"board_ids": {"abxyz": "1"}}), "board_ids"),
        ] {
            let problem = patch(body.clone()).await.assert_problem(422, "validation");
            assert_eq!(problem["errors"][0]["field"], field, "{body}: {problem}");
        }
        let valid = json!({
            "profession": "pharmacist",
            "degree": "PharmD",
            "npi": "1234567893",
            "nabp_eprofile_id": "1234567",
            "birth_mmdd": "0229",
            "board_ids": {"abim": "123456"},
            "state_licenses": [{"state": "NY", "license_type": "RPh", "license_number": "045678", "expires_on": "2027-06-30"}],
            "consent_to_report": true
        });
        let updated = patch(valid.clone()).await;
        updated.assert_status(200);
        let record = updated.json();
        for key in [
            "profession",
            "degree",
            "npi",
            "nabp_eprofile_id",
            "birth_mmdd",
            "board_ids",
            "state_licenses",
            "consent_to_report",
        ] {
            assert_eq!(record[key], valid[key], "{key}");
        }
        assert_eq!(record["version"], 2);
        assert_eq!(updated.header("etag").as_deref(), Some("\"2\""));
        // Merge patch: null clears, absent keeps, board null removes that board.
        let cleared =
            patch(json!({"npi": null, "board_ids": {"abim": null, "abp": "77"}, "state_licenses": null}))
                .await;
        cleared.assert_status(200);
        let record = cleared.json();
        assert_eq!(record["npi"], Value::Null);
        assert_eq!(record["degree"], "PharmD");
        assert_eq!(record["board_ids"], json!({"abp": "77"}));
        assert_eq!(record["state_licenses"], json!([]));
        // A stale If-Match is refused.
        let stale = app
            .request(Method::PATCH, "/v1/me")
            .bearer(&token)
            .header("if-match", "\"1\"")
            .json(&json!({"degree": "RPh"}))
            .send()
            .await;
        stale.assert_problem(412, "precondition-failed");
    }
);

db_test!(
    async fn client_credentials_grant_scoped_tokens(app: TestApp) {
        let admin = app.admin_token().await;
        let learner_id = app.register_learner("matched@example.org").await;
        let (client_id, secret) = app.integration_client(&admin, &["credits:read", "users:read"]).await;

        // Narrowed to what was asked for (and allowed).
        let token = app.client_token(&client_id, &secret, Some("credits:read enrollments:write")).await;
        token.assert_status(200);
        let body = token.json();
        assert_eq!(body["scope"], "credits:read");
        assert_eq!(token.header("cache-control").as_deref(), Some("no-store"));
        let narrow = body["access_token"].as_str().unwrap().to_string();
        // A credits:read token cannot use an endpoint that needs users:read.
        let denied = app.request(Method::GET, "/v1/users").bearer(&narrow).send().await;
        denied.assert_problem(403, "insufficient_scope");
        assert!(denied.header("www-authenticate").unwrap().contains("insufficient_scope"));
        // Clients have no personal record.
        app.request(Method::GET, "/v1/me").bearer(&narrow).send().await.assert_problem(403, "forbidden");

        // Without a scope parameter: everything allowed; form-body credentials work too.
        let form = format!("grant_type=client_credentials&client_id={client_id}&client_secret={secret}");
        let full = app
            .request(Method::POST, "/v1/oauth/token")
            .raw("application/x-www-form-urlencoded", form.into_bytes())
            .send()
            .await;
        full.assert_status(200);
        let full = full.json()["access_token"].as_str().unwrap().to_string();
        let users = app.request(Method::GET, "/v1/users?limit=100").bearer(&full).send().await;
        users.assert_status(200);
        assert!(users.json()["data"].as_array().unwrap().iter().any(|u| u["id"] == learner_id.as_str()));

        // RFC 6749 §5.2 errors.
        let wrong = app.client_token(&client_id, "wrong-secret", None).await;
        assert_eq!(wrong.status.as_u16(), 401);
        assert_eq!(wrong.json()["error"], "invalid_client");
        let unknown = app.client_token("no-such-client", &secret, None).await;
        assert_eq!(unknown.json()["error"], "invalid_client");
        let bad_scope = app.client_token(&client_id, &secret, Some("enrollments:write")).await;
        assert_eq!(bad_scope.status.as_u16(), 400);
        assert_eq!(bad_scope.json()["error"], "invalid_scope");
        let grant = format!("grant_type=password&client_id={client_id}&client_secret={secret}");
        let unsupported = app
            .request(Method::POST, "/v1/oauth/token")
            .raw("application/x-www-form-urlencoded", grant.into_bytes())
            .send()
            .await;
        assert_eq!(unsupported.status.as_u16(), 400);
        assert_eq!(unsupported.json()["error"], "unsupported_grant_type");

        // Disabling the client stops its tokens and its token requests.
        app.request(Method::DELETE, &format!("/v1/integration-clients/{client_id}"))
            .bearer(&admin)
            .send()
            .await
            .assert_status(204);
        app.request(Method::GET, "/v1/users").bearer(&full).send().await.assert_problem(401, "unauthorized");
        assert_eq!(app.client_token(&client_id, &secret, None).await.json()["error"], "invalid_client");
        app.request(Method::GET, &format!("/v1/integration-clients/{client_id}"))
            .bearer(&admin)
            .send()
            .await
            .assert_problem(404, "not-found");
        app.request(Method::DELETE, &format!("/v1/integration-clients/{client_id}"))
            .bearer(&admin)
            .send()
            .await
            .assert_problem(404, "not-found");
        let (kept_id, _) = app.integration_client(&admin, &["credits:read"]).await;
        let listed = app.request(Method::GET, "/v1/integration-clients").bearer(&admin).send().await.json();
        let listed = listed["data"].as_array().unwrap();
        assert_eq!(listed.len(), 1, "deleted clients are not listed");
        assert_eq!(listed[0]["id"], kept_id.as_str());
        assert!(listed[0].get("client_secret").is_none(), "secrets are shown once");
    }
);

/// Five wrong passwords are allowed in the window; the sixth attempt is throttled, even with
/// the right password, and even when the attempts are spread over two replicas.
#[actix_web::test]
async fn the_sixth_wrong_password_is_throttled_across_replicas() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn(backend).await else { continue };
        let replica = app.replica();
        app.register_learner("target@example.org").await;
        let wrong = json!({"email": "target@example.org", "password": "definitely not it"});
        for attempt in 0..5 {
            let response = if attempt % 2 == 0 {
                app.post_json("/v1/auth/login", &wrong).await
            } else {
                replica.request(Method::POST, "/v1/auth/login").json(&wrong).send().await
            };
            response.assert_problem(401, "unauthorized");
        }
        let sixth = replica.request(Method::POST, "/v1/auth/login").json(&wrong).send().await;
        sixth.assert_problem(429, "too-many-requests");
        let retry_after: u64 = sixth.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=900).contains(&retry_after), "{retry_after}");
        assert_eq!(sixth.header("ratelimit-policy").as_deref(), Some("\"login-failures\";q=5;w=900"));
        let right = json!({"email": "target@example.org", "password": PASSWORD});
        app.post_json("/v1/auth/login", &right).await.assert_problem(429, "too-many-requests");
        // No trusted proxy is configured: a forged X-Forwarded-For changes nothing.
        app.request(Method::POST, "/v1/auth/login")
            .header("x-forwarded-for", "198.51.100.77")
            .json(&right)
            .send()
            .await
            .assert_problem(429, "too-many-requests");
        // Other accounts are unaffected.
        app.register_learner("bystander@example.org").await;
        app.login("bystander@example.org", PASSWORD).await;
    }
}

db_test!(
    async fn unknown_emails_and_wrong_passwords_get_the_same_answer(app: TestApp) {
        app.register_learner("exists@example.org").await;
        let wrong_password = app
            .post_json(
                "/v1/auth/login",
                &json!({"email": "exists@example.org", "password": "wrong wrong wrong"}),
            )
            .await;
        let unknown_email = app
            .post_json(
                "/v1/auth/login",
                &json!({"email": "ghost@example.org", "password": "wrong wrong wrong"}),
            )
            .await;
        let (a, b) = (
            wrong_password.assert_problem(401, "unauthorized"),
            unknown_email.assert_problem(401, "unauthorized"),
        );
        assert_eq!(a["detail"], b["detail"]);
        assert_eq!(a["title"], b["title"]);
    }
);

db_test!(
    async fn rotated_keys_keep_old_tokens_valid_and_are_all_published(app: TestApp) {
        let (_, old_token) = app.learner("rotation@example.org").await;
        let (old_kid, _) = app.signing_key();
        let new_kid = ce_api::auth::keys::rotate(
            &mut app.database.connect(),
            ce_api::auth::keys::KeyPurpose::Access,
            None,
        )
        .unwrap();
        assert_ne!(old_kid, new_kid);
        me(&app, &old_token).await.assert_status(200);
        let jwks = app.get("/.well-known/jwks.json").await.json();
        let kids: Vec<&str> =
            jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
        // The access keys, newest first, beside the credential key (published for good).
        let credential_kid = app.signing_key_for("credentials").0;
        let access_kids: Vec<&str> = kids.iter().copied().filter(|kid| *kid != credential_kid).collect();
        assert_eq!(access_kids, vec![new_kid.as_str(), old_kid.as_str()]);
        assert_eq!(kids.len(), 3, "{kids:?}");
        for key in jwks["keys"].as_array().unwrap() {
            assert_eq!(key["kty"], "OKP");
            assert_eq!(key["alg"], "EdDSA");
            assert!(key.get("d").is_none(), "no private parts in the JWKS");
        }
        let new_token =
            app.login("rotation@example.org", PASSWORD).await["access_token"].as_str().unwrap().to_string();
        let header = jsonwebtoken::decode_header(&new_token).unwrap();
        assert_eq!(header.kid.as_deref(), Some(new_kid.as_str()));
        assert_eq!(header.alg, Algorithm::EdDSA);
        me(&app, &new_token).await.assert_status(200);
    }
);

#[actix_web::test]
async fn self_signup_can_be_disabled() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.auth.self_registration = false).await.unwrap();
    let response = app
        .post_json(
            "/v1/auth/register",
            &json!({"email": "nope@example.org", "password": PASSWORD, "first_name": "N", "last_name": "O"}),
        )
        .await;
    response.assert_problem(403, "registration-closed");
}

db_test!(
    async fn administrators_manage_accounts_with_filters_pages_and_guards(app: TestApp) {
        let admin = app.admin_token().await;
        let (planner_id, planner_token) = app.user_with_role(&admin, "planner").await;
        assert_eq!(me(&app, &planner_token).await.json()["role"], "planner");
        for n in 0..4 {
            app.register_learner(&format!("page{n}@example.org")).await;
        }
        // Walk the learners two at a time, following the Link header.
        let mut seen = Vec::new();
        let mut next = Some("/v1/users?role=learner&limit=2".to_string());
        while let Some(path) = next {
            let page = app.request(Method::GET, &path).bearer(&admin).send().await;
            page.assert_status(200);
            let body = page.json();
            for user in body["data"].as_array().unwrap() {
                assert_eq!(user["role"], "learner");
                seen.push(user["email"].as_str().unwrap().to_string());
            }
            next = page.next_page();
            assert_eq!(next.is_some(), !body["next_cursor"].is_null());
        }
        assert_eq!(
            seen,
            vec!["page0@example.org", "page1@example.org", "page2@example.org", "page3@example.org"]
        );
        let by_email =
            app.request(Method::GET, "/v1/users?email=PAGE2@example.org").bearer(&admin).send().await.json();
        assert_eq!(by_email["data"].as_array().unwrap().len(), 1);
        app.request(Method::GET, "/v1/users?limit=0")
            .bearer(&admin)
            .send()
            .await
            .assert_problem(400, "malformed-request");
        app.request(Method::GET, "/v1/users?cursor=garbage")
            .bearer(&admin)
            .send()
            .await
            .assert_problem(400, "malformed-request");

        // Optimistic concurrency on PATCH.
        let current =
            app.request(Method::GET, &format!("/v1/users/{planner_id}")).bearer(&admin).send().await;
        let etag = current.header("etag").unwrap();
        let patch = |if_match: String, body: Value| {
            app.request(Method::PATCH, &format!("/v1/users/{planner_id}"))
                .bearer(&admin)
                .header("if-match", &if_match)
                .json(&body)
                .send()
        };
        patch(etag.clone(), json!({"external_id": "HR-1001"})).await.assert_status(200);
        patch(etag, json!({"external_id": "HR-9999"})).await.assert_problem(412, "precondition-failed");

        // An administrator cannot lock themselves out.
        let admin_id = me(&app, &admin).await.json()["id"].as_str().unwrap().to_string();
        let demote = app
            .request(Method::PATCH, &format!("/v1/users/{admin_id}"))
            .bearer(&admin)
            .json(&json!({"role": "learner"}))
            .send()
            .await;
        demote.assert_problem(422, "self-lockout");
        // Planners may not create accounts.
        let response = app
            .request(Method::POST, "/v1/users")
            .bearer(&planner_token)
            .json(&json!({"email": "x@example.org", "first_name": "X", "last_name": "Y"}))
            .send()
            .await;
        response.assert_problem(403, "forbidden");
    }
);

db_test!(
    async fn a_bootstrap_admin_is_created_once_from_the_environment(app: TestApp) {
        let bootstrap = Some(("root@example.org".to_string(), "bootstrap password 123".to_string()));
        // A second instance with the same bootstrap settings (another replica) changes nothing.
        let url = app.database.url.clone();
        let (first, _h1) = crate::support::app::start_instance(&url, &Default::default(), |s| {
            s.auth.bootstrap_admin = bootstrap.clone()
        });
        let (_second, _h2) = crate::support::app::start_instance(&url, &Default::default(), |s| {
            s.auth.bootstrap_admin = bootstrap.clone()
        });
        let client = crate::support::app::client();
        let login = crate::support::app::RequestBuilder::new(
            &client,
            Method::POST,
            &format!("{first}/v1/auth/login"),
        )
        .json(&json!({"email": "root@example.org", "password": "bootstrap password 123"}))
        .send()
        .await;
        login.assert_status(200);
        let token = login.json()["access_token"].as_str().unwrap().to_string();
        let admins = app.request(Method::GET, "/v1/users?role=admin").bearer(&token).send().await.json();
        assert_eq!(admins["data"].as_array().unwrap().len(), 1);
    }
);

fn run_command(database_url: &str, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_ce-api"));
    command.args(args).env("CE_DATABASE_URL", database_url).env("CE_LOG", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

db_test!(
    async fn commands_create_admins_seed_demo_accounts_and_rotate_keys(app: TestApp) {
        let url = app.database.url.clone();
        let created = run_command(
            &url,
            &["create-admin", "--email", "ops@example.org"],
            &[("CE_ADMIN_PASSWORD", PASSWORD)],
        );
        assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
        let again = run_command(
            &url,
            &["create-admin", "--email", "OPS@example.org"],
            &[("CE_ADMIN_PASSWORD", PASSWORD)],
        );
        assert!(!again.status.success(), "a second admin with the same email is refused");
        let admin =
            app.login("ops@example.org", PASSWORD).await["access_token"].as_str().unwrap().to_string();
        assert_eq!(me(&app, &admin).await.json()["role"], "admin");

        for _ in 0..2 {
            let seeded = run_command(&url, &["seed-demo"], &[]);
            assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
        }
        for (email, password, role, _, _) in ce_api::seed::DEMO_ACCOUNTS {
            let token = app.login(email, password).await["access_token"].as_str().unwrap().to_string();
            assert_eq!(me(&app, &token).await.json()["role"], role.as_str());
        }

        let before = app.get("/.well-known/jwks.json").await.json()["keys"].as_array().unwrap().len();
        let rotated = run_command(&url, &["rotate-keys"], &[]);
        assert!(rotated.status.success(), "{}", String::from_utf8_lossy(&rotated.stderr));
        let after = app.get("/.well-known/jwks.json").await.json()["keys"].as_array().unwrap().len();
        assert_eq!(after, before + 1);
        me(&app, &admin).await.assert_status(200);
        // Credential keys rotate on their own; the access key stays.
        let (access_kid, credential_kid) = (app.signing_key().0, app.signing_key_for("credentials").0);
        let rotated = run_command(&url, &["rotate-keys", "--credentials"], &[]);
        assert!(rotated.status.success(), "{}", String::from_utf8_lossy(&rotated.stderr));
        assert_eq!(app.signing_key().0, access_kid);
        assert_ne!(app.signing_key_for("credentials").0, credential_kid);
        let published = app.get("/.well-known/jwks.json").await.json()["keys"].as_array().unwrap().len();
        assert_eq!(published, after + 1, "the old credential key stays published");
    }
);

db_test!(
    async fn signing_keys_are_sealed_at_rest_with_the_key_encryption_key(app: TestApp) {
        use ce_api::db::schema::signing_keys;
        use diesel::prelude::*;
        let stored = |app: &TestApp| -> Vec<(String, String)> {
            signing_keys::table
                .select((signing_keys::kid, signing_keys::private_key))
                .load(&mut app.database.connect())
                .unwrap()
        };
        // The instance without a key-encryption key stored its key in plain text.
        let (_, plain_token) = app.learner("sealed@example.org").await;
        let before = stored(&app);
        assert!(!before[0].1.starts_with("sealed:"));
        // A replica with one seals it at start; tokens signed before and after still verify.
        let kek = [7u8; 32];
        let replica = app.replica_with(move |s| s.auth.key_encryption_key = Some(kek));
        let after = stored(&app);
        assert_eq!(after[0].0, before[0].0, "the same key");
        assert!(after[0].1.starts_with("sealed:v1:"), "{}", after[0].1);
        assert!(after.iter().all(|(_, key)| key.starts_with("sealed:v1:")), "the credential key too");
        assert!(!after[0].1.contains(&before[0].1), "no plain text left");
        let login = replica
            .request(Method::POST, "/v1/auth/login")
            .json(&json!({"email": "sealed@example.org", "password": PASSWORD}))
            .send()
            .await;
        login.assert_status(200);
        let sealed_token = login.json()["access_token"].as_str().unwrap().to_string();
        for token in [&plain_token, &sealed_token] {
            replica.request(Method::GET, "/v1/me").bearer(token).send().await.assert_status(200);
            me(&app, token).await.assert_status(200);
        }
        // Without the key, or with another, an instance refuses to start rather than sign with
        // keys it cannot open.
        for wrong in [None, Some([8u8; 32])] {
            let mut settings = crate::support::app::test_settings(&app.database.url);
            settings.auth.key_encryption_key = wrong;
            let refused = ce_api::startup::Application::build(settings).err().expect("refused to start");
            assert!(refused.to_string().contains("CE_KEY_ENCRYPTION_KEY"), "{refused}");
        }
    }
);

/// The lockout scenario: an attacker's address is limited, the owner from another address still
/// logs in; 30 parallel guesses from one address get at most the limit of password checks;
/// an account attacked from many addresses is only slowed down, never closed to its owner.
#[actix_web::test]
async fn failed_logins_slow_the_attackers_address_not_the_owner() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let trust_local_proxy =
            |s: &mut ce_api::config::Settings| s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        let Some(app) = TestApp::spawn_with(backend, trust_local_proxy).await else { continue };
        app.register_learner("owner@example.org").await;
        let wrong = json!({"email": "owner@example.org", "password": "a wrong guess entirely"});
        let right = json!({"email": "owner@example.org", "password": PASSWORD});
        let from = |address: &'static str, body: Value| {
            let app = &app;
            async move {
                app.request(Method::POST, "/v1/auth/login")
                    .header("x-forwarded-for", address)
                    .json(&body)
                    .send()
                    .await
            }
        };
        let guesses = (0..30).map(|_| from("203.0.113.7", wrong.clone()));
        let answers = futures_util::future::join_all(guesses).await;
        let count = |status: u16| answers.iter().filter(|a| a.status.as_u16() == status).count();
        assert_eq!((count(401), count(429)), (5, 25), "five password checks, then refusals");
        // The attacker's address is limited, even with the right password...
        from("203.0.113.7", right.clone()).await.assert_problem(429, "too-many-requests");
        // ...the owner's is not.
        from("198.51.100.9", right.clone()).await.assert_status(200);
        // Spread over many addresses, the account's own limit only spaces attempts out.
        for n in 1..=15u8 {
            let address: &'static str = Box::leak(format!("192.0.2.{n}").into_boxed_str());
            from(address, wrong.clone()).await.assert_problem(401, "unauthorized");
        }
        let spaced = from("192.0.2.200", right.clone()).await;
        spaced.assert_problem(429, "too-many-requests");
        let wait: i64 = spaced.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=5).contains(&wait), "a delay of seconds, not a lockout: {wait}");
        app.clock.travel(chrono::Duration::seconds(6));
        from("192.0.2.200", right).await.assert_status(200);
    }
}

db_test!(
    async fn configured_keys_serve_one_purpose_each(app: TestApp) {
        use base64::{engine::general_purpose::STANDARD, Engine};
        let pem = |seed: u8| {
            let mut der = vec![
                0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
                0x20,
            ];
            der.extend([seed; 32]);
            format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", STANDARD.encode(der))
        };
        // The same key for access tokens and credentials is refused at start, naming the variable.
        let mut settings = crate::support::app::test_settings(&app.database.url);
        settings.auth.signing_key_pem = Some(pem(3));
        settings.auth.credential_key_pem = Some(pem(3));
        let refused = ce_api::startup::Application::build(settings).err().expect("refused to start");
        assert!(refused.to_string().contains("CE_CREDENTIAL_PRIVATE_KEY_PEM"), "{refused}");
        // Two keys: each signs for its purpose.
        let replica = app.replica_with(move |s| {
            s.auth.signing_key_pem = Some(pem(3));
            s.auth.credential_key_pem = Some(pem(4));
        });
        drop(replica);
        let (access, credentials) = (app.signing_key(), app.signing_key_for("credentials"));
        assert_ne!(access.0, credentials.0);
        assert_eq!(&access.1[16..], &[3u8; 32][..]);
        assert_eq!(&credentials.1[16..], &[4u8; 32][..]);
    }
);
