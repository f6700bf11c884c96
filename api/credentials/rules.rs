//! What an Open Badges 3.0 credential says and how it is checked, without any I/O: the
//! credential document (VC Data Model 2.0 + OB 3.0 contexts), the VC-JWT claims the OB 3.0
//! JSON Web Token proof format maps from it, the salted email hash that identifies a learner
//! without naming them, the W3C Bitstring Status List encoding, and the checks a verifier makes
//! of a decoded payload.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Map, Value};

/// The contexts every credential starts with, in this order (VC 2.0 first, as it requires).
pub const CONTEXTS: [&str; 2] =
    ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"];
pub const CREDENTIAL_TYPES: [&str; 2] = ["VerifiableCredential", "OpenBadgeCredential"];

/// Bits in a status list: the W3C minimum (16 KB uncompressed), so that fetching a list tells
/// its publisher nothing about which credential a verifier holds.
pub const STATUS_LIST_BITS: usize = 131_072;
/// A list takes new credentials until this many random draws in a row land on taken indexes
/// (it is then about two-thirds full); a new list opens then.
pub const STATUS_INDEX_DRAWS: usize = 8;
/// How long verifiers may cache a status list (the `ttl` of the list, and `max-age`).
pub const STATUS_LIST_TTL_SECONDS: u32 = 300;

/// The learner's identity as OB 3.0 hashes it: `sha256$` and the hex SHA-256 of the
/// (lower-cased) email followed by the salt.
pub fn identity_hash(email: &str, salt: &str) -> String {
    format!("sha256${}", crate::auth::secrets::sha256_hex(&format!("{}{salt}", email.trim().to_lowercase())))
}

/// The facts of one award a credential states.
pub struct AwardFacts<'a> {
    /// `urn:uuid:` of the credential.
    pub credential_id: &'a str,
    /// The learner's pseudonymous subject id (`urn:uuid:` of the account).
    pub subject_id: &'a str,
    pub email: &'a str,
    /// Random per credential, so two credentials of one learner do not share a hash.
    pub salt: &'a str,
    pub issuer_id: &'a str,
    pub awarded_at: DateTime<Utc>,
    pub activity_url: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub criteria: &'a str,
    /// The most the activity is designated for, in this credit type.
    pub credits_available: f64,
    pub credits_earned: f64,
    /// The credit type, e.g. "AMA PRA Category 1 Credit™".
    pub credit_name: &'a str,
    /// Its unit for the amount earned, e.g. "AMA PRA Category 1 Credits™".
    pub credit_unit: &'a str,
    /// e.g. `ama_pra_1`.
    pub credit_code: &'a str,
    pub completion_date: NaiveDate,
    /// ACPE's Universal Activity Number, for pharmacy credit.
    pub uan: Option<&'a str>,
    pub status_list_url: &'a str,
    pub status_index: usize,
}

/// The credential of an award, its issuer given by id only (the Profile is filled in when it is
/// signed, from the provider profile then in force).
pub fn credential(facts: &AwardFacts) -> Value {
    let credit_id = format!("{}#credit-{}", facts.activity_url, facts.credit_code);
    let mut achievement = json!({
        "id": facts.activity_url,
        "type": ["Achievement"],
        "achievementType": "CertificateOfCompletion",
        "name": facts.title,
        "description": facts.description,
        "criteria": {"narrative": facts.criteria},
        "creditsAvailable": facts.credits_available,
        "resultDescription": [{
            "id": credit_id,
            "type": ["ResultDescription"],
            "name": facts.credit_name,
            "resultType": "Result",
        }],
    });
    if let Some(uan) = facts.uan {
        achievement["humanCode"] = json!(uan);
    }
    json!({
        "@context": CONTEXTS,
        "id": facts.credential_id,
        "type": CREDENTIAL_TYPES,
        "name": format!("{}: {}", facts.credit_name, facts.title),
        "issuer": facts.issuer_id,
        "validFrom": rfc3339(facts.awarded_at),
        "credentialSubject": {
            "id": facts.subject_id,
            "type": ["AchievementSubject"],
            "identifier": [{
                "type": "IdentityObject",
                "identityHash": identity_hash(facts.email, facts.salt),
                "identityType": "emailAddress",
                "hashed": true,
                "salt": facts.salt,
            }],
            "achievement": achievement,
            "creditsEarned": facts.credits_earned,
            "activityEndDate": format!("{}T00:00:00Z", facts.completion_date),
            "result": [{
                "type": ["Result"],
                "resultDescription": credit_id,
                "value": format!("{} {}", facts.credits_earned, facts.credit_unit),
            }],
        },
        "credentialStatus": status_entry(facts.status_list_url, facts.status_index),
    })
}

/// The `credentialStatus` entry of a credential: its revocation bit in a list.
pub fn status_entry(list_url: &str, index: usize) -> Value {
    json!({
        "id": format!("{list_url}#{index}"),
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": index.to_string(),
        "statusListCredential": list_url,
    })
}

/// Times as credentials write them: RFC 3339, whole seconds, `Z`.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The JWT payload of the OB 3.0 JSON Web Token proof format: the credential itself, with
/// `iss` = `issuer.id`, `jti` = `id`, `nbf` = `validFrom`, `sub` = `credentialSubject.id`.
pub fn jwt_payload(credential: &Value) -> Result<Value, String> {
    let mut payload = credential.clone();
    let issuer = issuer_id(credential).ok_or("the credential has no issuer id")?;
    let id = credential["id"].as_str().ok_or("the credential has no id")?.to_string();
    let valid_from = parse_time(&credential["validFrom"]).ok_or("the credential has no validFrom")?;
    let subject = credential["credentialSubject"]["id"].as_str().map(str::to_string);
    let object = payload.as_object_mut().ok_or("the credential is not an object")?;
    object.insert("iss".into(), json!(issuer));
    object.insert("jti".into(), json!(id));
    object.insert("nbf".into(), json!(valid_from.timestamp()));
    if let Some(subject) = subject {
        object.insert("sub".into(), json!(subject));
    }
    Ok(payload)
}

/// `issuer` as an id: a string, or the `id` of a Profile object.
pub fn issuer_id(credential: &Value) -> Option<&str> {
    match &credential["issuer"] {
        Value::String(id) => Some(id),
        issuer => issuer["id"].as_str(),
    }
}

fn parse_time(value: &Value) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value.as_str()?).ok().map(|at| at.with_timezone(&Utc))
}

/// A list of revocation bits, index 0 the left-most (most significant) bit of the first byte.
pub struct StatusBits(Vec<u8>);

impl StatusBits {
    pub fn new(size_bits: usize) -> StatusBits {
        StatusBits(vec![0; size_bits.div_ceil(8)])
    }

    pub fn set(&mut self, index: usize) {
        if let Some(byte) = self.0.get_mut(index / 8) {
            *byte |= 0x80 >> (index % 8);
        }
    }

    pub fn get(&self, index: usize) -> bool {
        self.0.get(index / 8).is_some_and(|byte| byte & (0x80 >> (index % 8)) != 0)
    }

    /// `encodedList`: multibase base64url (`u`, no padding) of the GZIP-compressed bits.
    pub fn encode(&self) -> Result<String, String> {
        use std::io::Write;
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gzip.write_all(&self.0).map_err(|e| e.to_string())?;
        let compressed = gzip.finish().map_err(|e| e.to_string())?;
        Ok(format!("u{}", URL_SAFE_NO_PAD.encode(compressed)))
    }
}

/// The status list credential (its subject the encoded bits), issuer by id.
pub fn status_list_credential(
    list_url: &str,
    issuer_id: &str,
    valid_from: DateTime<Utc>,
    encoded_list: &str,
) -> Value {
    json!({
        "@context": [CONTEXTS[0]],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": rfc3339(valid_from),
        "credentialSubject": {
            "id": format!("{list_url}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_list,
            "ttl": u64::from(STATUS_LIST_TTL_SECONDS) * 1000,
        },
    })
}

/// One check a verifier made, and why it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub check: &'static str,
    pub problem: Option<String>,
}

impl Finding {
    pub fn passed(check: &'static str) -> Finding {
        Finding { check, problem: None }
    }

    pub fn failed(check: &'static str, problem: impl Into<String>) -> Finding {
        Finding { check, problem: Some(problem.into()) }
    }
}

fn has_all(value: &Value, wanted: &[&str]) -> bool {
    let listed: Vec<&str> = match value {
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        Value::String(one) => vec![one.as_str()],
        _ => Vec::new(),
    };
    wanted.iter().all(|w| listed.contains(w))
}

/// What a verifier checks of a payload whose signature held: contexts and types, the JWT
/// claims against the credential they map (OB 3.0 §8.2.4), and its validity period at `now`.
pub fn check_payload(
    payload: &Map<String, Value>,
    expected_issuer: &str,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    let credential = Value::Object(payload.clone());
    let mut findings = Vec::new();
    let contexts = &credential["@context"];
    findings.push(match contexts.get(0).and_then(Value::as_str) {
        Some(first) if first == CONTEXTS[0] && has_all(contexts, &CONTEXTS) => Finding::passed("context"),
        _ => Finding::failed("context", "the VC 2.0 and Open Badges 3.0 contexts are required, VC 2.0 first"),
    });
    findings.push(if has_all(&credential["type"], &CREDENTIAL_TYPES) {
        Finding::passed("type")
    } else {
        Finding::failed("type", "the types VerifiableCredential and OpenBadgeCredential are required")
    });
    findings.push(claims_match(&credential, expected_issuer));
    findings.push(validity(&credential, now));
    findings
}

/// `iss`, `jti`, `sub` and `nbf` equal the credential fields they map, and the issuer is us.
fn claims_match(credential: &Value, expected_issuer: &str) -> Finding {
    let issuer = issuer_id(credential);
    if credential["iss"].as_str().is_none() || credential["iss"].as_str() != issuer {
        return Finding::failed("claims", "iss must equal issuer.id");
    }
    if issuer != Some(expected_issuer) {
        return Finding::failed(
            "issuer",
            format!("issued by {}, not by this service", issuer.unwrap_or("?")),
        );
    }
    if credential["jti"].as_str().is_none() || credential["jti"] != credential["id"] {
        return Finding::failed("claims", "jti must equal the credential id");
    }
    if credential["sub"].as_str().is_none() || credential["sub"] != credential["credentialSubject"]["id"] {
        return Finding::failed("claims", "sub must equal credentialSubject.id");
    }
    let valid_from = parse_time(&credential["validFrom"]);
    if valid_from.is_none() || credential["nbf"].as_i64() != valid_from.map(|at| at.timestamp()) {
        return Finding::failed("claims", "nbf must equal validFrom");
    }
    Finding::passed("claims")
}

/// Valid from `validFrom` (and until `validUntil`/`exp`, when given).
fn validity(credential: &Value, now: DateTime<Utc>) -> Finding {
    match parse_time(&credential["validFrom"]) {
        Some(from) if from > now => {
            return Finding::failed("dates", format!("not valid before {}", rfc3339(from)));
        }
        None => return Finding::failed("dates", "validFrom is missing or not an RFC 3339 time"),
        Some(_) => {}
    }
    let until = parse_time(&credential["validUntil"])
        .or_else(|| credential["exp"].as_i64().and_then(|exp| DateTime::from_timestamp(exp, 0)));
    match until {
        Some(until) if until <= now => Finding::failed("dates", format!("expired at {}", rfc3339(until))),
        _ => Finding::passed("dates"),
    }
}

/// The status entry's list URL and index, if the credential has a revocation entry.
pub fn revocation_entry(credential: &Map<String, Value>) -> Option<(String, usize)> {
    let entries = match credential.get("credentialStatus")? {
        Value::Array(entries) => entries.clone(),
        entry => vec![entry.clone()],
    };
    entries.iter().find_map(|entry| {
        if entry["type"] != "BitstringStatusListEntry" || entry["statusPurpose"] != "revocation" {
            return None;
        }
        let index = entry["statusListIndex"].as_str()?.parse().ok()?;
        Some((entry["statusListCredential"].as_str()?.to_string(), index))
    })
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn facts() -> AwardFacts<'static> {
        AwardFacts {
            credential_id: "urn:uuid:6f4a0f5c-0000-7000-8000-000000000001",
            subject_id: "urn:uuid:6f4a0f5c-0000-7000-8000-000000000002",
            email: "Ann@Example.org",
            salt: "pepper",
            issuer_id: "https://ce.example.edu/v1/credential-issuer",
            awarded_at: DateTime::from_timestamp(1_767_225_600, 0).unwrap(),
            activity_url: "https://ce.example.edu/v1/activities/a1",
            title: "Sepsis update",
            description: "Grand rounds",
            criteria: "Attend and evaluate",
            credits_available: 1.5,
            credits_earned: 1.0,
            credit_name: "AMA PRA Category 1 Credit™",
            credit_unit: "AMA PRA Category 1 Credit™",
            credit_code: "ama_pra_1",
            completion_date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            uan: None,
            status_list_url: "https://ce.example.edu/v1/credential-status/l1",
            status_index: 42,
        }
    }

    #[test]
    fn emails_are_hashed_lowercased_with_their_salt() {
        // The hex SHA-256 of "ann@example.orgpepper", computed with sha256sum.
        let expected = "sha256$22bb0f0c8dd8d92704f1222e84f39148dd007e0d50b97d6a2d187982e4b6d13b";
        assert_eq!(identity_hash(" Ann@Example.org", "pepper"), expected);
        assert_ne!(identity_hash("ann@example.org", "salt"), expected, "another salt, another hash");
    }

    #[test]
    fn the_credential_never_carries_the_email() {
        let text = credential(&facts()).to_string();
        assert!(!text.to_lowercase().contains("ann@example.org"));
        assert!(text.contains("\"identityHash\":\"sha256$"));
    }

    #[test]
    fn jwt_claims_map_the_credential_fields() {
        let payload = jwt_payload(&credential(&facts())).unwrap();
        assert_eq!(payload["iss"], "https://ce.example.edu/v1/credential-issuer");
        assert_eq!(payload["jti"], payload["id"]);
        assert_eq!(payload["sub"], payload["credentialSubject"]["id"]);
        assert_eq!(payload["nbf"], 1_767_225_600);
        let now = DateTime::from_timestamp(1_767_225_600, 0).unwrap();
        let findings =
            check_payload(payload.as_object().unwrap(), "https://ce.example.edu/v1/credential-issuer", now);
        assert!(findings.iter().all(|f| f.problem.is_none()), "{findings:?}");
    }

    #[test]
    fn a_payload_is_refused_before_valid_from_and_for_a_mismatched_claim() {
        let payload = jwt_payload(&credential(&facts())).unwrap();
        let issuer = "https://ce.example.edu/v1/credential-issuer";
        let early = DateTime::from_timestamp(1_767_225_599, 0).unwrap();
        let dates = check_payload(payload.as_object().unwrap(), issuer, early);
        assert!(dates.iter().any(|f| f.check == "dates" && f.problem.is_some()));
        let mut other = payload.clone();
        other["jti"] = json!("urn:uuid:another");
        let now = DateTime::from_timestamp(1_767_225_600, 0).unwrap();
        let claims = check_payload(other.as_object().unwrap(), issuer, now);
        assert!(claims.iter().any(|f| f.check == "claims" && f.problem.is_some()));
        let foreign = check_payload(payload.as_object().unwrap(), "https://other.example/issuer", now);
        assert!(foreign.iter().any(|f| f.check == "issuer" && f.problem.is_some()));
    }

    #[test]
    fn bits_are_counted_from_the_left_and_gzip_base64url_encoded() {
        let mut bits = StatusBits::new(STATUS_LIST_BITS);
        bits.set(0);
        bits.set(9);
        bits.set(STATUS_LIST_BITS - 1);
        assert!(bits.get(0) && bits.get(9) && !bits.get(1));
        let encoded = bits.encode().unwrap();
        let compressed = URL_SAFE_NO_PAD.decode(encoded.strip_prefix('u').unwrap()).unwrap();
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(&compressed[..]).read_to_end(&mut raw).unwrap();
        assert_eq!(raw.len(), 16_384, "16 KB uncompressed");
        assert_eq!((raw[0], raw[1], raw[16_383]), (0x80, 0x40, 0x01));
    }

    #[test]
    fn the_revocation_entry_is_read_back() {
        let document = credential(&facts());
        let entry = revocation_entry(document.as_object().unwrap()).unwrap();
        assert_eq!(entry, ("https://ce.example.edu/v1/credential-status/l1".to_string(), 42));
    }
}
