//! Open Badges 3.0 credentials: every award carries one, checked here by a verifier written
//! from the specifications (OB 3.0 §8.2 VC-JWT, W3C Bitstring Status List) that reads the keys
//! and status lists through the API as any third party would, and shares no code with the
//! service's own signing or verification: revocation and amendment flip the status bit, altered,
//! foreign and premature credentials are refused with the reason, and key rotation keeps old
//! credentials verifiable.

use std::io::Read;

use actix_web::http::Method;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::{jwk::Jwk, Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::{
    credit::{ama, claim, claim_body, completed_learner, enduring, physician, post, publish, Learner, Setup},
    db_test,
    support::TestApp,
};

/// Where the service says it lives (`CE_PUBLIC_URL` of the test settings): its URLs are
/// dereferenced through the test server.
const PUBLIC_URL: &str = "http://localhost:8080";
const VC_V2: &str = "https://www.w3.org/ns/credentials/v2";
const OB_V3: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";

fn path_of(url: &str) -> &str {
    url.strip_prefix(PUBLIC_URL).unwrap_or_else(|| panic!("{url} is not a URL of this service"))
}

fn segment(jwt: &str, index: usize) -> Value {
    let part = jwt.split('.').nth(index).expect("three segments");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

/// Dereferences a `kid` URL (`.../jwks.json#<kid>`) to its JWK, through the API.
async fn dereference_key(app: &TestApp, kid_url: &str) -> Result<Jwk, String> {
    let (document, fragment) = kid_url.split_once('#').ok_or("the kid is not a URL with a fragment")?;
    let jwks = app.get(path_of(document)).await;
    jwks.assert_status(200);
    let keys = jwks.json()["keys"].as_array().cloned().unwrap_or_default();
    let key =
        keys.into_iter().find(|k| k["kid"] == fragment).ok_or(format!("no key {fragment} is published"))?;
    serde_json::from_value(key).map_err(|e| e.to_string())
}

/// Verifies a compact JWS with the key its header names: the header (alg, kid, typ) and the
/// signature (a JOSE library); returns the payload.
async fn verified_payload(app: &TestApp, jwt: &str) -> Result<Value, String> {
    let header = segment(jwt, 0);
    let algorithm = match header["alg"].as_str() {
        Some("EdDSA") => Algorithm::EdDSA,
        Some("RS256") => Algorithm::RS256,
        _ => return Err(format!("unexpected algorithm in {header}")),
    };
    if header.get("typ").is_some_and(|typ| typ != "JWT") {
        return Err(format!("unexpected header {header}"));
    }
    let jwk = dereference_key(app, header["kid"].as_str().ok_or("no kid")?).await?;
    if jwk.common.key_algorithm.map(|alg| alg.to_string()) != header["alg"].as_str().map(str::to_string) {
        return Err("the key is not for the header's algorithm".into());
    }
    let key = DecodingKey::from_jwk(&jwk).map_err(|e| e.to_string())?;
    let mut validation = Validation::new(algorithm);
    validation.set_required_spec_claims(&["iss", "sub", "nbf"]);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.validate_nbf = false;
    jsonwebtoken::decode::<Value>(jwt, &key, &validation)
        .map(|data| data.claims)
        .map_err(|e| format!("{e:?}"))
}

/// The checks of OB 3.0 §8.2.4 a verifier makes of the payload (the service's clock is the
/// test's `now`).
fn check_claims(payload: &Value, now: chrono::DateTime<chrono::Utc>) -> Result<(), String> {
    let contexts = payload["@context"].as_array().ok_or("no @context")?;
    if contexts.first() != Some(&json!(VC_V2)) || !contexts.contains(&json!(OB_V3)) {
        return Err(format!("contexts {contexts:?}"));
    }
    let types = payload["type"].as_array().ok_or("no type")?;
    if !types.contains(&json!("VerifiableCredential")) || !types.contains(&json!("OpenBadgeCredential")) {
        return Err(format!("types {types:?}"));
    }
    if payload["iss"] != payload["issuer"]["id"] || payload["jti"] != payload["id"] {
        return Err("iss/jti do not match issuer.id/id".into());
    }
    if payload["sub"] != payload["credentialSubject"]["id"] {
        return Err("sub does not match credentialSubject.id".into());
    }
    let valid_from =
        chrono::DateTime::parse_from_rfc3339(payload["validFrom"].as_str().ok_or("no validFrom")?)
            .map_err(|e| e.to_string())?;
    if payload["nbf"].as_i64() != Some(valid_from.timestamp()) {
        return Err("nbf does not match validFrom".into());
    }
    if valid_from > now {
        return Err(format!("not valid before {valid_from}"));
    }
    Ok(())
}

/// The revocation bit of the credential, read from its status list credential (itself verified).
async fn revoked_bit(app: &TestApp, payload: &Value) -> Result<bool, String> {
    let entry = &payload["credentialStatus"];
    if entry["type"] != "BitstringStatusListEntry" || entry["statusPurpose"] != "revocation" {
        return Err(format!("status entry {entry}"));
    }
    let index: usize = entry["statusListIndex"].as_str().ok_or("index")?.parse().map_err(|_| "index")?;
    let list_url = entry["statusListCredential"].as_str().ok_or("list url")?;
    let list =
        app.request(Method::GET, path_of(list_url)).header("accept", "application/vc+jwt").send().await;
    list.assert_status(200);
    assert_eq!(list.header("content-type").as_deref(), Some("application/vc+jwt"));
    let list = verified_payload(app, &list.text()).await?;
    if !list["type"].as_array().is_some_and(|t| t.contains(&json!("BitstringStatusListCredential"))) {
        return Err(format!("not a status list: {list}"));
    }
    if list["id"] != list_url || list["iss"] != payload["iss"] {
        return Err("the list is not the one named, or from another issuer".into());
    }
    let encoded = list["credentialSubject"]["encodedList"].as_str().ok_or("encodedList")?;
    let compressed =
        URL_SAFE_NO_PAD.decode(encoded.strip_prefix('u').ok_or("multibase u")?).map_err(|e| e.to_string())?;
    let mut bits = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..]).read_to_end(&mut bits).map_err(|e| e.to_string())?;
    if bits.len() < 16 * 1024 {
        return Err(format!("the bitstring is {} bytes, under 16 KB", bits.len()));
    }
    Ok(bits[index / 8] & (0x80 >> (index % 8)) != 0)
}

#[derive(Debug)]
struct Verdict {
    payload: Value,
    revoked: bool,
}

/// A third party's verification of a VC-JWT, start to end.
async fn verify_independently(app: &TestApp, jwt: &str) -> Result<Verdict, String> {
    let payload = verified_payload(app, jwt).await?;
    check_claims(&payload, app.clock.now())?;
    let revoked = revoked_bit(app, &payload).await?;
    Ok(Verdict { payload, revoked })
}

/// The credential of a claim as a VC-JWT.
async fn credential_jwt(app: &TestApp, token: &str, claim_id: &str) -> String {
    let response = app
        .request(Method::GET, &format!("/v1/credit-claims/{claim_id}/credential"))
        .bearer(token)
        .header("accept", "application/vc+jwt")
        .send()
        .await;
    response.assert_status(200);
    response.text()
}

async fn get_as(app: &TestApp, token: &str, path: &str) -> crate::support::app::TestResponse {
    app.request(Method::GET, path).bearer(token).send().await
}

/// The service's own verdict.
async fn service_verdict(app: &TestApp, jwt: &str) -> Value {
    let answer = app
        .request(Method::POST, "/v1/credential-verifications")
        .json(&json!({"credential": jwt}))
        .send()
        .await;
    answer.assert_status(200);
    answer.json()
}

/// The check names the contract lists (`VerificationCheck.check`).
fn documented_checks() -> Vec<Value> {
    let document: Value = serde_json::from_str(&ce_api::openapi::document_json()).unwrap();
    document["components"]["schemas"]["VerificationCheck"]["properties"]["check"]["enum"]
        .as_array()
        .unwrap()
        .clone()
}

fn failed_check(verdict: &Value) -> (String, String) {
    let documented = documented_checks();
    for check in verdict["checks"].as_array().unwrap() {
        assert!(documented.contains(&check["check"]), "{} is not in the contract", check["check"]);
    }
    let failed =
        verdict["checks"].as_array().unwrap().iter().find(|c| c["passed"] == false).expect("a failed check");
    (failed["check"].as_str().unwrap().to_string(), failed["problem"].as_str().unwrap().to_string())
}

/// An awarded AMA claim of 1.5 credits for a new learner; (setup, learner, claim id).
async fn award(app: &TestApp) -> (Setup, Learner, String) {
    let setup = publish(app, enduring(json!([ama(2.0)]), "automatic")).await;
    let learner = completed_learner(app, &setup, physician(), 120).await;
    let claimed = claim(app, &learner.token, claim_body(&learner.enrollment, "ama_pra_1", 1.5)).await;
    claimed.assert_status(201);
    assert_eq!(claimed.json()["status"], "awarded");
    let id = claimed.json()["id"].as_str().unwrap().to_string();
    (setup, learner, id)
}

db_test!(
    async fn an_award_carries_a_credential_a_third_party_verifies(app: TestApp) {
        let (setup, learner, claim_id) = award(&app).await;
        let jwt = credential_jwt(&app, &learner.token, &claim_id).await;
        let verdict = verify_independently(&app, &jwt).await.unwrap();
        assert!(!verdict.revoked);
        let payload = verdict.payload;
        // The issuer: a Profile whose id dereferences to itself.
        let issuer = app.get(path_of(payload["issuer"]["id"].as_str().unwrap())).await;
        issuer.assert_status(200);
        assert_eq!(issuer.json()["id"], payload["issuer"]["id"]);
        assert_eq!(payload["issuer"]["type"], json!(["Profile"]));
        // The learner is named by a salted hash of their email, never in plain text.
        let email =
            get_as(&app, &learner.token, "/v1/me").await.json()["email"].as_str().unwrap().to_string();
        let subject = &payload["credentialSubject"];
        let identity = &subject["identifier"][0];
        let salt = identity["salt"].as_str().unwrap();
        let hash: String =
            Sha256::digest(format!("{email}{salt}").as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(identity["identityHash"], format!("sha256${hash}"));
        assert_eq!(
            (identity["hashed"].clone(), identity["identityType"].clone()),
            (json!(true), json!("emailAddress"))
        );
        assert!(!jwt.contains(&URL_SAFE_NO_PAD.encode(&email)) && !payload.to_string().contains(&email));
        // The achievement: the activity and the credit awarded.
        assert_eq!(subject["type"], json!(["AchievementSubject"]));
        assert_eq!(subject["achievement"]["name"], "Opioid Prescribing <Safely>");
        assert_eq!(subject["achievement"]["creditsAvailable"], 2.0);
        assert_eq!(subject["creditsEarned"], 1.5);
        assert!(subject["achievement"]["resultDescription"][0]["name"]
            .as_str()
            .unwrap()
            .starts_with("AMA PRA Category 1 Credit"));
        assert!(subject["result"][0]["value"]
            .as_str()
            .unwrap()
            .starts_with("1.5 AMA PRA Category 1 Credits"));
        assert!(subject["achievement"]["criteria"]["narrative"].is_string());
        // The service agrees, and shows the same to a browser.
        let verdict = service_verdict(&app, &jwt).await;
        assert_eq!(verdict["result"], "valid", "{verdict}");
        let code_url = get_as(&app, &learner.token, &format!("/v1/credit-claims/{claim_id}")).await.json()
            ["verification_url"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(app.get(path_of(&code_url)).await.json()["credential"], "valid");
        let page = app
            .request(Method::POST, "/v1/credential-verifications")
            .header("accept", "text/html")
            .json(&json!({"credential": jwt}))
            .send()
            .await;
        page.assert_status(200);
        assert!(page.text().contains("Valid: this credential was issued here"));
        // JSON by default, and a badge image with the credential baked in.
        let json = get_as(&app, &setup.planner, &format!("/v1/credit-claims/{claim_id}/credential")).await;
        json.assert_status(200);
        assert_eq!(json.json()["revoked"], false);
        assert_eq!(json.json()["credential"]["id"], payload["id"]);
        let svg = app
            .request(Method::GET, &format!("/v1/credit-claims/{claim_id}/credential"))
            .bearer(&learner.token)
            .header("accept", "image/svg+xml")
            .send()
            .await;
        svg.assert_status(200);
        // Each representation also has its own path (what generated clients call).
        let own_path =
            get_as(&app, &learner.token, &format!("/v1/credit-claims/{claim_id}/credential.jwt")).await;
        assert_eq!(
            (own_path.text(), own_path.header("content-type")),
            (jwt.clone(), Some("application/vc+jwt".into()))
        );
        let own_svg =
            get_as(&app, &learner.token, &format!("/v1/credit-claims/{claim_id}/credential.svg")).await;
        assert_eq!(own_svg.header("content-type").as_deref(), Some("image/svg+xml"));
        let html = app
            .request(Method::POST, "/v1/credential-verifications.html")
            .json(&json!({"credential": jwt}))
            .send()
            .await;
        assert!(html.text().contains("Valid: this credential was issued here"));
        let svg_text = svg.text();
        let baked = roxmltree::Document::parse(&svg_text).unwrap();
        let element = baked.descendants().find(|n| n.tag_name().name() == "credential").unwrap();
        assert_eq!(element.tag_name().namespace(), Some("https://purl.imsglobal.org/ob/v3p0"));
        assert_eq!(element.attribute("verify"), Some(jwt.as_str()));
        // Another learner learns nothing of it.
        let (_, stranger) =
            app.learner(&format!("stranger-{}@example.org", uuid::Uuid::now_v7().simple())).await;
        get_as(&app, &stranger, &format!("/v1/credit-claims/{claim_id}/credential"))
            .await
            .assert_problem(404, "not-found");
        app.get(&format!("/v1/credit-claims/{claim_id}/credential")).await.assert_status(401);
    }
);

db_test!(
    async fn revoking_flips_the_bit_and_amending_reissues(app: TestApp) {
        let (setup, learner, claim_id) = award(&app).await;
        let jwt = credential_jwt(&app, &learner.token, &claim_id).await;
        let list_url =
            segment(&jwt, 1)["credentialStatus"]["statusListCredential"].as_str().unwrap().to_string();
        let before = app.get(path_of(&list_url)).await;
        before.assert_status(200);
        let etag = before.header("etag").unwrap();
        assert!(before.header("cache-control").unwrap().starts_with("public, max-age="));
        let unchanged =
            app.request(Method::GET, path_of(&list_url)).header("if-none-match", &etag).send().await;
        unchanged.assert_status(304);
        assert!(unchanged.body.is_empty());

        post(
            &app,
            &setup.planner,
            &format!("/v1/credit-claims/{claim_id}/revoke"),
            json!({"reason": "attendance not verified"}),
        )
        .await
        .assert_status(200);
        let verdict = verify_independently(&app, &jwt).await.unwrap();
        assert!(verdict.revoked, "the same credential now reads as revoked");
        // The certificate's public verification link says the same.
        let code_url = get_as(&app, &learner.token, &format!("/v1/credit-claims/{claim_id}")).await.json()
            ["verification_url"]
            .as_str()
            .unwrap()
            .to_string();
        let by_code = app.get(path_of(&code_url)).await.json();
        assert_eq!(
            (by_code["valid"].clone(), by_code["credential"].clone()),
            (json!(false), json!("revoked"))
        );
        let page = app.request(Method::GET, path_of(&code_url)).header("accept", "text/html").send().await;
        assert!(page.text().contains("Open Badges credential was revoked"));
        let answer = service_verdict(&app, &jwt).await;
        assert_eq!(answer["result"], "revoked", "{answer}");
        assert_eq!(failed_check(&answer).0, "status");
        let after = app.request(Method::GET, path_of(&list_url)).header("if-none-match", &etag).send().await;
        after.assert_status(200);
        assert_ne!(after.header("etag").unwrap(), etag, "the list changed");
        get_as(&app, &learner.token, &format!("/v1/credit-claims/{claim_id}/credential"))
            .await
            .assert_problem(409, "claim-not-awarded");

        // An amendment revokes the credential it replaces and issues its own.
        let other = completed_learner(&app, &setup, physician(), 120).await;
        let first = claim(&app, &other.token, claim_body(&other.enrollment, "ama_pra_1", 1.0)).await.json();
        let first_id = first["id"].as_str().unwrap();
        let first_jwt = credential_jwt(&app, &other.token, first_id).await;
        assert!(!verify_independently(&app, &first_jwt).await.unwrap().revoked);
        let amended = post(
            &app,
            &other.token,
            &format!("/v1/credit-claims/{first_id}/amend"),
            json!({"amount": 2.0, "attestation": true}),
        )
        .await;
        amended.assert_status(201);
        let amended_id = amended.json()["id"].as_str().unwrap().to_string();
        assert!(verify_independently(&app, &first_jwt).await.unwrap().revoked);
        let second_jwt = credential_jwt(&app, &other.token, &amended_id).await;
        let second = verify_independently(&app, &second_jwt).await.unwrap();
        assert!(!second.revoked);
        assert_eq!(second.payload["credentialSubject"]["creditsEarned"], 2.0);
        assert_ne!(second.payload["id"], segment(&first_jwt, 1)["id"]);
    }
);

db_test!(
    settings = crate::support::tokens_outlive_the_scenario;
    async fn altered_foreign_and_premature_credentials_are_refused_with_the_reason(app: TestApp) {
        let (_, learner, claim_id) = award(&app).await;
        let jwt = credential_jwt(&app, &learner.token, &claim_id).await;
        let parts: Vec<&str> = jwt.split('.').collect();

        // One byte of the payload changed: the signature no longer holds.
        let mut payload = segment(&jwt, 1);
        payload["credentialSubject"]["creditsEarned"] = json!(20.5);
        let altered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(payload.to_string()), parts[2]);
        assert!(verify_independently(&app, &altered).await.is_err());
        let answer = service_verdict(&app, &altered).await;
        assert_eq!(answer["result"], "invalid");
        assert_eq!(failed_check(&answer).0, "signature");
        let mut bytes = jwt.clone().into_bytes();
        let middle = parts[0].len() + 10;
        bytes[middle] = if bytes[middle] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(bytes).unwrap();
        assert_eq!(service_verdict(&app, &flipped).await["result"], "invalid");

        // Signed by another key: under its own kid (never published), or under ours.
        let foreign = jsonwebtoken::EncodingKey::from_ed_der(&foreign_key_der());
        let claims = segment(&jwt, 1);
        let mut header = jsonwebtoken::Header::new(Algorithm::EdDSA);
        header.kid = Some(format!("{PUBLIC_URL}/.well-known/jwks.json#not-ours"));
        let own_kid = jsonwebtoken::encode(&header, &claims, &foreign).unwrap();
        let answer = service_verdict(&app, &own_kid).await;
        assert_eq!(
            (answer["result"].as_str(), failed_check(&answer).0.as_str()),
            (Some("invalid"), "issuer_key")
        );
        header.kid = segment(&jwt, 0)["kid"].as_str().map(str::to_string);
        let borrowed_kid = jsonwebtoken::encode(&header, &claims, &foreign).unwrap();
        assert!(verify_independently(&app, &borrowed_kid).await.is_err());
        let answer = service_verdict(&app, &borrowed_kid).await;
        assert_eq!(
            (answer["result"].as_str(), failed_check(&answer).0.as_str()),
            (Some("invalid"), "signature")
        );
        // An access token is not a credential, though the service signed it.
        let answer = service_verdict(&app, &learner.token).await;
        assert_eq!(
            (answer["result"].as_str(), failed_check(&answer).0.as_str()),
            (Some("invalid"), "issuer_key")
        );

        // Awarded tomorrow, presented today: not valid yet.
        let other = completed_learner(
            &app,
            &crate::credit::publish(&app, enduring(json!([ama(2.0)]), "automatic")).await,
            physician(),
            120,
        )
        .await;
        app.clock.travel(chrono::Duration::days(1));
        let tomorrow =
            claim(&app, &other.token, claim_body(&other.enrollment, "ama_pra_1", 1.0)).await.json();
        let early = credential_jwt(&app, &other.token, tomorrow["id"].as_str().unwrap()).await;
        app.clock.travel(chrono::Duration::days(-1));
        let refused = verify_independently(&app, &early).await.unwrap_err();
        assert!(refused.starts_with("not valid before"), "{refused}");
        let answer = service_verdict(&app, &early).await;
        let (check, problem) = failed_check(&answer);
        assert_eq!((answer["result"].as_str(), check.as_str()), (Some("invalid"), "dates"));
        assert!(problem.starts_with("not valid before"), "{problem}");

        // Not a credential at all.
        assert_eq!(failed_check(&service_verdict(&app, "not-a-jwt").await).0, "format");
        app.request(Method::POST, "/v1/credential-verifications")
            .json(&json!({"credential": ""}))
            .send()
            .await
            .assert_problem(422, "validation");
        app.get("/v1/credential-status/no-such-list").await.assert_problem(404, "not-found");
    }
);

/// A fresh Ed25519 key as PKCS#8 DER (not the service's).
fn foreign_key_der() -> Vec<u8> {
    let mut der =
        vec![0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
    der.extend_from_slice(uuid::Uuid::now_v7().as_bytes());
    der.extend_from_slice(uuid::Uuid::now_v7().as_bytes());
    der
}

db_test!(
    async fn credentials_signed_before_a_key_rotation_still_verify(app: TestApp) {
        let (_, learner, claim_id) = award(&app).await;
        let before = credential_jwt(&app, &learner.token, &claim_id).await;
        let (access_kid, _) = app.signing_key();
        let (credential_kid, _) = app.signing_key_for("credentials");
        assert_ne!(access_kid, credential_kid, "credentials have their own key");
        assert!(segment(&before, 0)["kid"].as_str().unwrap().ends_with(&format!("#{credential_kid}")));

        let rotated = ce_api::auth::keys::rotate(
            &mut app.database.connect(),
            ce_api::auth::keys::KeyPurpose::Credentials,
            None,
        )
        .unwrap();
        let after = credential_jwt(&app, &learner.token, &claim_id).await;
        assert!(segment(&after, 0)["kid"].as_str().unwrap().ends_with(&format!("#{rotated}")));
        assert_eq!(segment(&after, 1)["id"], segment(&before, 1)["id"], "the same credential, signed anew");
        for jwt in [&before, &after] {
            assert!(!verify_independently(&app, jwt).await.unwrap().revoked);
            assert_eq!(service_verdict(&app, jwt).await["result"], "valid");
        }
        // Access tokens kept their key; and a credential key never admits a caller.
        assert_eq!(app.signing_key().0, access_kid);
        let (kid, der) = app.signing_key_for("credentials");
        let mut header = jsonwebtoken::Header::new(Algorithm::EdDSA);
        header.kid = Some(kid);
        let claims = segment(&learner.token, 1);
        let forged =
            jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_ed_der(&der)).unwrap();
        get_as(&app, &forged, "/v1/me").await.assert_status(401);
        get_as(&app, &learner.token, "/v1/me").await.assert_status(200);
    }
);

db_test!(
    async fn rs256_credentials_verify_with_the_issuers_rsa_key(app: TestApp) {
        let (setup, learner, claim_id) = award(&app).await;
        // No RS256 list exists before an RS256 credential does.
        let eddsa = credential_jwt(&app, &learner.token, &claim_id).await;
        let list =
            segment(&eddsa, 1)["credentialStatus"]["statusListCredential"].as_str().unwrap().to_string();
        app.get(&format!("{}?alg=RS256", path_of(&list))).await.assert_problem(404, "not-found");

        let response = app
            .request(Method::GET, &format!("/v1/credit-claims/{claim_id}/credential?alg=RS256"))
            .bearer(&learner.token)
            .header("accept", "application/vc+jwt")
            .send()
            .await;
        response.assert_status(200);
        let jwt = response.text();
        assert_eq!(segment(&jwt, 0)["alg"], "RS256");
        let jwk = dereference_key(&app, segment(&jwt, 0)["kid"].as_str().unwrap()).await.unwrap();
        assert!(matches!(jwk.algorithm, jsonwebtoken::jwk::AlgorithmParameters::RSA(_)));
        let verdict = verify_independently(&app, &jwt).await.unwrap();
        assert!(!verdict.revoked);
        assert_eq!(verdict.payload["id"], segment(&eddsa, 1)["id"], "one credential, two proofs");
        assert!(verdict.payload["credentialStatus"]["statusListCredential"]
            .as_str()
            .unwrap()
            .ends_with("?alg=RS256"));
        assert_eq!(service_verdict(&app, &jwt).await["result"], "valid");

        // A header naming RS256 over the Ed25519 key is refused (no algorithm confusion).
        let mut header = segment(&jwt, 0);
        header["kid"] = segment(&eddsa, 0)["kid"].clone();
        let parts: Vec<&str> = jwt.split('.').collect();
        let confused = format!("{}.{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), parts[1], parts[2]);
        let answer = service_verdict(&app, &confused).await;
        assert_eq!(
            (answer["result"].as_str(), failed_check(&answer).0.as_str()),
            (Some("invalid"), "issuer_key")
        );

        post(
            &app,
            &setup.planner,
            &format!("/v1/credit-claims/{claim_id}/revoke"),
            json!({"reason": "duplicate"}),
        )
        .await
        .assert_status(200);
        assert!(verify_independently(&app, &jwt).await.unwrap().revoked);
        assert_eq!(service_verdict(&app, &jwt).await["result"], "revoked");
    }
);
