//! Credential use cases: issue one per award (in the award's transaction), revoke it with the
//! claim, sign it when read, publish the status lists, and verify a credential someone holds.
//!
//! Identifiers are URLs of this service: the issuer is `{public_url}/v1/credential-issuer`
//! (its Open Badges Profile), each key `{public_url}/.well-known/jwks.json#{kid}`, each status
//! list `{public_url}/v1/credential-status/{list_id}`.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Utc};
use jsonwebtoken::{DecodingKey, Header, Validation};
use serde_json::{json, Map, Value};

use crate::{
    activities,
    auth::{
        keys::{self, KeyPurpose, SigningAlgorithm},
        secrets, Caller,
    },
    config::ProviderSettings,
    credentials::{
        dto::{CredentialVerification, IssuedCredential, VerificationCheck, VerificationResult},
        rules::{self, AwardFacts, Finding, StatusBits},
        store::{self, CredentialRow, StatusListRow},
    },
    credit_claims::{self, dto::ClaimStatus, ClaimRow},
    credits::Credits,
    db::{now, to_utc, DbConnection},
    error::{ApiError, ApiResult, ProblemType},
    provider, users,
};

/// What signing and publishing need to know of the deployment.
#[derive(Clone)]
pub struct IssuerSettings {
    pub provider: ProviderSettings,
    /// The issuer's home page (the learner portal).
    pub homepage: String,
    pub key_encryption_key: Option<[u8; 32]>,
}

impl IssuerSettings {
    fn base(&self) -> &str {
        self.provider.public_url.trim_end_matches('/')
    }
}

pub fn issuer_url(base_url: &str) -> String {
    format!("{}/v1/credential-issuer", base_url.trim_end_matches('/'))
}

fn jwks_url(base_url: &str) -> String {
    format!("{}/.well-known/jwks.json", base_url.trim_end_matches('/'))
}

fn list_url(base_url: &str, list_id: &str) -> String {
    format!("{}/v1/credential-status/{list_id}", base_url.trim_end_matches('/'))
}

/// A random index below `size` (a power of two, so the draw is uniform).
fn random_index(size: usize) -> usize {
    let bytes = secrets::random_bytes(4);
    u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize % size
}

fn open_list(conn: &mut DbConnection) -> ApiResult<StatusListRow> {
    let at = now();
    let row = StatusListRow {
        id: uuid::Uuid::now_v7().to_string(),
        purpose: "revocation".into(),
        size_bits: rules::STATUS_LIST_BITS as i32,
        version: 1,
        created_at: at,
        updated_at: at,
    };
    store::insert_list(conn, &row)?;
    Ok(row)
}

/// Stores `row` at a random free index of the newest list (herd privacy: indexes say nothing
/// of the order of issue). A list that keeps answering "taken" is full: a new one opens. The
/// insert runs in a savepoint, so an index taken meanwhile by another transaction is drawn
/// again instead of failing the award.
fn place(
    conn: &mut DbConnection,
    base_url: &str,
    mut row: CredentialRow,
    facts: AwardFacts,
) -> ApiResult<()> {
    let mut list = match store::newest_list(conn)? {
        Some(list) => list,
        None => open_list(conn)?,
    };
    for attempt in 0.. {
        if attempt == rules::STATUS_INDEX_DRAWS {
            list = open_list(conn)?;
        }
        let index = random_index(list.size_bits as usize);
        if store::index_taken(conn, &list.id, index as i32)? {
            continue;
        }
        let url = list_url(base_url, &list.id);
        row.status_list_id = list.id.clone();
        row.status_index = index as i32;
        row.document = rules::credential(&AwardFacts { status_list_url: &url, status_index: index, ..facts })
            .to_string();
        match crate::db::savepoint(conn, |conn| store::insert(conn, &row)) {
            Err(ApiError::Conflict { kind: ProblemType::Duplicate, .. }) => continue,
            outcome => return outcome,
        }
    }
    unreachable!("the loop returns")
}

/// Issues the credential of an award, in the award's transaction.
pub fn issue(conn: &mut DbConnection, claim: &ClaimRow, base_url: &str) -> ApiResult<()> {
    let activity = activities::service::find(conn, &claim.activity_id)?;
    let input = activity.input()?;
    let learner = users::service::account(conn, &claim.user_id)?.ok_or(ApiError::NotFound)?;
    let credit_type = claim.credit_type()?;
    let designation = input.credit_designations.iter().find(|d| d.credit_type == credit_type);
    let amount = claim.amount();
    let credits_available = designation.map_or(amount, |d| d.max_amount);
    let credit_name = credit_claims::rules::unit(credit_type, Credits::from_hundredths(100));
    let credit_unit = credit_claims::rules::unit(credit_type, amount);
    let noun = credit_claims::rules::format_noun(input.format);
    let criteria = format!(
        "Completed this accredited {noun} as its provider requires, and was awarded credit \
         commensurate with the extent of participation."
    );
    let id = uuid::Uuid::now_v7().to_string();
    let (credential_id, subject_id) = (format!("urn:uuid:{id}"), format!("urn:uuid:{}", learner.id));
    let salt = secrets::random_token(16);
    let activity_url = format!("{}/v1/activities/{}", base_url.trim_end_matches('/'), activity.id);
    let issuer = issuer_url(base_url);
    let awarded_at = claim.awarded_at.unwrap_or_else(now);
    let code = crate::db::enum_text(&credit_type);
    let facts = AwardFacts {
        credential_id: &credential_id,
        subject_id: &subject_id,
        email: &learner.email,
        salt: &salt,
        issuer_id: &issuer,
        awarded_at: to_utc(awarded_at),
        activity_url: &activity_url,
        title: &input.title,
        description: input.summary.as_deref().or(input.description.as_deref()).unwrap_or(&input.title),
        criteria: &criteria,
        credits_available: credits_available.as_f64(),
        credits_earned: amount.as_f64(),
        credit_name,
        credit_unit,
        credit_code: &code,
        completion_date: claim.completion_date,
        uan: designation.and_then(|d| d.acpe_uan.as_deref()),
        // `place` fills in the list and the index it draws.
        status_list_url: "",
        status_index: 0,
    };
    let row = CredentialRow {
        id,
        claim_id: claim.id.clone(),
        user_id: claim.user_id.clone(),
        status_list_id: String::new(),
        status_index: 0,
        document: String::new(),
        issued_at: awarded_at,
        revoked_at: None,
    };
    place(conn, base_url, row, facts)
}

/// Sets the revocation bit of the claim's credential, if it has one (in the transaction that
/// revokes or supersedes the claim).
pub fn revoke_for_claim(conn: &mut DbConnection, claim_id: &str) -> ApiResult<()> {
    let Some(credential) = store::for_claim(conn, claim_id)? else { return Ok(()) };
    let at = now();
    if store::revoke(conn, &credential.id, at)? {
        store::touch_list(conn, &credential.status_list_id, at)?;
    }
    Ok(())
}

/// The issuer's Open Badges Profile, from the provider profile in force.
pub fn issuer_profile(conn: &mut DbConnection, settings: &IssuerSettings) -> ApiResult<Value> {
    let profile = provider::service::profile(conn, &settings.provider)?;
    let mut issuer = json!({
        "id": issuer_url(settings.base()),
        "type": ["Profile"],
        "name": profile.legal_name,
        "url": settings.homepage,
        "description": profile.address,
    });
    if let Some(email) = profile.email {
        issuer["email"] = json!(email);
    }
    if let Some(logo) = profile.logo_url {
        issuer["image"] = json!({"id": logo, "type": "Image"});
    }
    Ok(issuer)
}

/// Signs a payload with the current credential key of the algorithm (`kid` a URL that
/// dereferences to the key's JWK).
fn sign(
    conn: &mut DbConnection,
    payload: &Value,
    settings: &IssuerSettings,
    algorithm: SigningAlgorithm,
) -> ApiResult<String> {
    let kek = settings.key_encryption_key.as_ref();
    let key = keys::active_key_for(conn, KeyPurpose::Credentials, algorithm, kek)?;
    let mut header = Header::new(algorithm.jwt());
    header.kid = Some(format!("{}#{}", jwks_url(settings.base()), key.kid));
    jsonwebtoken::encode(&header, payload, &key.encoding).map_err(ApiError::internal)
}

/// Makes sure an RSA key signs credentials (made on first use: RS256 is asked for rarely).
pub fn prepare_rsa_key(conn: &mut DbConnection, settings: &IssuerSettings) -> ApiResult<()> {
    keys::ensure_rsa_key(conn, KeyPurpose::Credentials, settings.key_encryption_key.as_ref())
}

/// The signed credential of an awarded claim (whoever may read the claim), signed with the
/// algorithm asked for. Awards made before credentials existed get theirs now.
pub fn for_claim(
    conn: &mut DbConnection,
    caller: &Caller,
    claim_id: &str,
    settings: &IssuerSettings,
    algorithm: SigningAlgorithm,
) -> ApiResult<IssuedCredential> {
    let (claim, _) = credit_claims::service::visible_with_activity(conn, caller, claim_id)?;
    if claim.status()? != ClaimStatus::Awarded {
        return Err(ApiError::Conflict {
            kind: ProblemType::ClaimNotAwarded,
            detail: format!("credentials are issued for awarded credit; this claim is {}", claim.status),
        });
    }
    let row = match store::for_claim(conn, &claim.id)? {
        Some(row) => row,
        None => {
            issue(conn, &claim, settings.base())?;
            store::for_claim(conn, &claim.id)?.ok_or_else(|| ApiError::internal("credential not stored"))?
        }
    };
    let mut document: Value = serde_json::from_str(&row.document).map_err(ApiError::internal)?;
    document["issuer"] = issuer_profile(conn, settings)?;
    if algorithm != SigningAlgorithm::EdDsa {
        // Its status list, signed the same way (a verifier that takes RS256 only can read it).
        let list = &mut document["credentialStatus"]["statusListCredential"];
        *list = json!(format!("{}?alg={}", list.as_str().unwrap_or_default(), algorithm.as_str()));
    }
    let payload = rules::jwt_payload(&document).map_err(ApiError::internal)?;
    let jwt = sign(conn, &payload, settings, algorithm)?;
    Ok(IssuedCredential {
        claim_id: claim.id,
        credential_id: format!("urn:uuid:{}", row.id),
        jwt,
        credential: payload,
        revoked: row.revoked_at.is_some(),
    })
}

/// A published status list: the signed credential, its version (ETag) and last change.
pub struct PublishedList {
    pub jwt: String,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

/// The signed Bitstring Status List credential of a list (public), signed with the algorithm
/// asked for (an RS256 list only once an RS256 credential exists).
pub fn status_list(
    conn: &mut DbConnection,
    list_id: &str,
    settings: &IssuerSettings,
    algorithm: SigningAlgorithm,
) -> ApiResult<PublishedList> {
    let list = store::find_list(conn, list_id)?.ok_or(ApiError::NotFound)?;
    if !keys::has_current_key(conn, KeyPurpose::Credentials, algorithm)? {
        // No credential was ever signed this way, so no list is either.
        return Err(ApiError::NotFound);
    }
    let mut bits = StatusBits::new(list.size_bits as usize);
    for index in store::revoked_indexes(conn, &list.id)? {
        bits.set(index as usize);
    }
    let encoded = bits.encode().map_err(ApiError::internal)?;
    let url = match algorithm {
        SigningAlgorithm::EdDsa => list_url(settings.base(), &list.id),
        other => format!("{}?alg={}", list_url(settings.base(), &list.id), other.as_str()),
    };
    let document =
        rules::status_list_credential(&url, &issuer_url(settings.base()), to_utc(list.created_at), &encoded);
    let payload = rules::jwt_payload(&document).map_err(ApiError::internal)?;
    Ok(PublishedList {
        jwt: sign(conn, &payload, settings, algorithm)?,
        version: list.version,
        updated_at: to_utc(list.updated_at),
    })
}

fn check(finding: Finding) -> VerificationCheck {
    VerificationCheck {
        check: finding.check.to_string(),
        passed: finding.problem.is_none(),
        problem: finding.problem,
    }
}

/// The JOSE header of a compact JWS, if it is one.
fn header_of(jwt: &str) -> Option<Map<String, Value>> {
    let mut parts = jwt.split('.');
    let (header, _, _) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()
}

/// The key a header names, if it is one of this issuer's credential keys and the header's
/// algorithm is the key's (no algorithm confusion).
fn issuer_key(
    conn: &mut DbConnection,
    header: &Map<String, Value>,
    base: &str,
) -> ApiResult<Result<(SigningAlgorithm, DecodingKey), String>> {
    let named = header.get("alg").and_then(Value::as_str).unwrap_or_default();
    let Some(algorithm) = SigningAlgorithm::parse(named) else {
        return Ok(Err(format!("signed with {named:?}; this issuer signs with EdDSA or RS256")));
    };
    let kid = header.get("kid").and_then(Value::as_str).unwrap_or_default();
    let prefix = format!("{}#", jwks_url(base));
    let Some(thumbprint) = kid.strip_prefix(&prefix) else {
        return Ok(Err(format!("the key {kid:?} is not one this issuer publishes")));
    };
    Ok(match keys::credential_key(conn, thumbprint)? {
        None => Err(format!("no key {thumbprint} was ever published")),
        Some((own, _)) if own != algorithm => {
            Err(format!("the key {thumbprint} signs with {}", own.as_str()))
        }
        Some(key) => Ok(key),
    })
}

/// Checks a VC-JWT as any verifier would (OB 3.0 §8.2.4 and the Bitstring Status List), against
/// this issuer's keys and lists: valid, invalid (with the failed check) or revoked.
pub fn verify(
    conn: &mut DbConnection,
    jwt: &str,
    settings: &IssuerSettings,
) -> ApiResult<CredentialVerification> {
    let mut checks = Vec::new();
    let verdict = |result, checks, credential| Ok(CredentialVerification { result, checks, credential });
    let Some(header) = header_of(jwt.trim()) else {
        checks.push(check(Finding::failed("format", "not a compact JWS (header.payload.signature)")));
        return verdict(VerificationResult::Invalid, checks, None);
    };
    checks.push(check(Finding::passed("format")));
    let key = match issuer_key(conn, &header, settings.base())? {
        Ok(key) => key,
        Err(problem) => {
            checks.push(check(Finding::failed("issuer_key", problem)));
            return verdict(VerificationResult::Invalid, checks, None);
        }
    };
    checks.push(check(Finding::passed("issuer_key")));
    let payload = match decode_signed(jwt.trim(), key) {
        Ok(payload) => payload,
        Err(problem) => {
            checks.push(check(Finding::failed("signature", problem)));
            return verdict(VerificationResult::Invalid, checks, None);
        }
    };
    checks.push(check(Finding::passed("signature")));
    let findings = rules::check_payload(&payload, &issuer_url(settings.base()), crate::db::now_utc());
    let sound = findings.iter().all(|f| f.problem.is_none());
    checks.extend(findings.into_iter().map(check));
    let status = revocation_status(conn, &payload, settings.base())?;
    let revoked = status.problem.as_deref() == Some(REVOKED);
    let status_sound = status.problem.is_none();
    checks.push(check(status));
    let result = match (sound, status_sound, revoked) {
        (true, true, _) => VerificationResult::Valid,
        (true, false, true) => VerificationResult::Revoked,
        _ => VerificationResult::Invalid,
    };
    verdict(result, checks, Some(Value::Object(payload)))
}

const REVOKED: &str = "revoked by the issuer";

/// The payload, if the signature holds under the key (dates are checked by the rules, so
/// that each failure says which check it was).
fn decode_signed(
    jwt: &str,
    (algorithm, key): (SigningAlgorithm, DecodingKey),
) -> Result<Map<String, Value>, String> {
    let mut validation = Validation::new(algorithm.jwt());
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    jsonwebtoken::decode::<Map<String, Value>>(jwt, &key, &validation).map(|data| data.claims).map_err(
        |error| match error.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                "the signature does not match the content: it was altered or signed by another key".into()
            }
            _ => format!("the token cannot be read: {error}"),
        },
    )
}

/// The revocation bit the credential's status entry points at, in this issuer's list.
fn revocation_status(
    conn: &mut DbConnection,
    payload: &Map<String, Value>,
    base: &str,
) -> ApiResult<Finding> {
    let Some((url, index)) = rules::revocation_entry(payload) else {
        return Ok(Finding::failed("status", "no revocation status entry"));
    };
    let prefix = format!("{}/v1/credential-status/", base.trim_end_matches('/'));
    // The list's id, without the `?alg=` a credential signed with RS256 names its list with.
    let list_id = url.strip_prefix(&prefix).map(|rest| rest.split('?').next().unwrap_or(rest));
    let Some(list) = list_id.and_then(|id| store::find_list(conn, id).transpose()).transpose()? else {
        return Ok(Finding::failed("status", format!("the status list {url} is not one of this issuer's")));
    };
    if index >= list.size_bits as usize {
        return Ok(Finding::failed("status", "the status index is outside its list"));
    }
    let revoked = store::index_revoked(conn, &list.id, index as i32)?;
    Ok(if revoked { Finding::failed("status", REVOKED) } else { Finding::passed("status") })
}

/// Whether the credential of a claim exists and is revoked (for the certificate's public page).
pub fn state_of_claim(conn: &mut DbConnection, claim_id: &str) -> ApiResult<Option<bool>> {
    Ok(store::for_claim(conn, claim_id)?.map(|row| row.revoked_at.is_some()))
}
