//! JWT signing keys (Ed25519), kept in the database so that every replica signs and verifies
//! alike. The newest unretired key signs; all keys verify, so a rotation never invalidates a
//! token before it expires. Public keys are cached per process by `kid` (a cache only: a miss
//! reads the database, so a key added by another replica is found at once).

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine,
};
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::{
    auth::{
        secrets,
        store::{self, SigningKeyRow},
    },
    db::DbConnection,
    error::{ApiError, ApiResult},
};

/// How a sealed private key is stored: this prefix, then base64 of nonce and ciphertext.
const SEALED: &str = "sealed:v1:";

/// Seals a key's private part with the key-encryption key (ChaCha20-Poly1305, the key id as
/// associated data, so a sealed value cannot be moved to another key's row).
fn seal(kek: &[u8; 32], kid: &str, plain: &str) -> Result<String, String> {
    use chacha20poly1305::{aead::Aead, aead::Payload, ChaCha20Poly1305, KeyInit, Nonce};
    let cipher = ChaCha20Poly1305::new(kek.into());
    let nonce_bytes = secrets::random_bytes(12);
    let nonce = Nonce::from_slice(&nonce_bytes);
    let sealed = cipher
        .encrypt(nonce, Payload { msg: plain.as_bytes(), aad: kid.as_bytes() })
        .map_err(|_| "sealing a signing key failed".to_string())?;
    Ok(format!("{SEALED}{}", STANDARD.encode([nonce_bytes, sealed].concat())))
}

/// The private part as stored, opened with the key-encryption key when it is sealed.
fn open(kek: Option<&[u8; 32]>, kid: &str, stored: &str) -> Result<String, String> {
    use chacha20poly1305::{aead::Aead, aead::Payload, ChaCha20Poly1305, KeyInit, Nonce};
    let Some(sealed) = stored.strip_prefix(SEALED) else { return Ok(stored.to_string()) };
    let kek = kek.ok_or("the signing keys are sealed: set CE_KEY_ENCRYPTION_KEY")?;
    let bytes = STANDARD.decode(sealed).map_err(|_| "a sealed signing key is damaged".to_string())?;
    if bytes.len() < 12 {
        return Err("a sealed signing key is damaged".into());
    }
    let (nonce, ciphertext) = bytes.split_at(12);
    let plain = ChaCha20Poly1305::new(kek.into())
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: kid.as_bytes() })
        .map_err(|_| "CE_KEY_ENCRYPTION_KEY does not open the signing keys (wrong key?)".to_string())?;
    String::from_utf8(plain).map_err(|_| "a sealed signing key is damaged".to_string())
}

/// Seals `plain` (a secret the service must read back, such as a webhook signing secret) when
/// a key-encryption key is configured; stores it as is otherwise. `id` binds it to its row.
pub fn seal_at_rest(kek: Option<&[u8; 32]>, id: &str, plain: &str) -> Result<String, String> {
    match kek {
        Some(kek) => seal(kek, id, plain),
        None => Ok(plain.to_string()),
    }
}

/// Opens what [`seal_at_rest`] stored.
pub fn open_at_rest(kek: Option<&[u8; 32]>, id: &str, stored: &str) -> Result<String, String> {
    open(kek, id, stored)
}

/// PKCS#8 v1 DER header of an Ed25519 private key; the 32-byte seed follows it.
const PKCS8_ED25519_PREFIX: [u8; 16] =
    [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

/// The algorithm of access tokens, and of credentials unless RS256 is asked for.
pub const ALGORITHM: &str = "EdDSA";

/// The algorithms our keys sign with: Ed25519 (EdDSA) for everything, and RSA (RS256) for
/// credentials asked for with it (Open Badges 3.0 names RS256 as the algorithm every
/// verifier supports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlgorithm {
    EdDsa,
    Rs256,
}

impl SigningAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlgorithm::EdDsa => ALGORITHM,
            SigningAlgorithm::Rs256 => "RS256",
        }
    }

    pub fn parse(name: &str) -> Option<SigningAlgorithm> {
        [SigningAlgorithm::EdDsa, SigningAlgorithm::Rs256].into_iter().find(|alg| alg.as_str() == name)
    }

    pub fn jwt(self) -> jsonwebtoken::Algorithm {
        match self {
            SigningAlgorithm::EdDsa => jsonwebtoken::Algorithm::EdDSA,
            SigningAlgorithm::Rs256 => jsonwebtoken::Algorithm::RS256,
        }
    }
}

/// Bits of a generated RSA modulus.
const RSA_BITS: usize = 2048;

/// What a key signs. Each purpose has its own keys and rotation: a credential key never signs
/// an access token and the reverse, so a leaked or rotated key of one touches nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPurpose {
    /// Access tokens (published while tokens they signed may be unexpired).
    Access,
    /// Open Badges credentials and their status lists (published for good).
    Credentials,
}

impl KeyPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyPurpose::Access => "access",
            KeyPurpose::Credentials => "credentials",
        }
    }

    /// The environment variable that may hold this purpose's key.
    fn pem_variable(self) -> &'static str {
        match self {
            KeyPurpose::Access => "CE_JWT_PRIVATE_KEY_PEM",
            KeyPurpose::Credentials => "CE_CREDENTIAL_PRIVATE_KEY_PEM",
        }
    }
}

/// The key that signs new tokens.
pub struct ActiveKey {
    pub kid: String,
    pub encoding: EncodingKey,
}

/// A public key as a JSON Web Key: Ed25519 (RFC 8037: `crv`, `x`) or RSA (RFC 7518: `n`, `e`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Jwk {
    #[schema(example = "OKP")]
    pub kty: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "Ed25519")]
    pub crv: Option<&'static str>,
    /// Base64url of an Ed25519 public key.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")]
    pub x: Option<String>,
    /// Base64url of an RSA modulus.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// Base64url of an RSA public exponent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// Key id, the RFC 7638 thumbprint of the key.
    pub kid: String,
    #[serde(rename = "use")]
    #[schema(example = "sig")]
    pub key_use: &'static str,
    #[schema(example = "EdDSA")]
    pub alg: &'static str,
}

impl Jwk {
    /// The public key of a stored row.
    fn of(row: &SigningKeyRow) -> Jwk {
        let rsa = row.algorithm == SigningAlgorithm::Rs256.as_str();
        let (n, e) = row.public_key.split_once('.').map_or((None, None), |(n, e)| (Some(n), Some(e)));
        Jwk {
            kty: if rsa { "RSA" } else { "OKP" },
            crv: (!rsa).then_some("Ed25519"),
            x: (!rsa).then(|| row.public_key.clone()),
            n: n.filter(|_| rsa).map(str::to_string),
            e: e.filter(|_| rsa).map(str::to_string),
            kid: row.kid.clone(),
            key_use: "sig",
            alg: if rsa { SigningAlgorithm::Rs256.as_str() } else { ALGORITHM },
        }
    }
}

/// The JWK set published at `/.well-known/jwks.json`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

fn public_key_of(seed: &[u8; 32]) -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(seed).verifying_key().to_bytes()
}

/// RFC 7638 thumbprint of an Ed25519 JWK.
fn thumbprint(x: &str) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// RFC 7638 thumbprint of an RSA JWK.
fn rsa_thumbprint(n: &str, e: &str) -> String {
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// A new RSA key: the private part as base64 PKCS#1 DER, the public one as `n.e` (base64url).
/// Slow (about a second): only credentials asked for with RS256 need one.
fn generate_rsa(purpose: KeyPurpose) -> Result<SigningKeyRow, String> {
    use rsa::{pkcs1::EncodeRsaPrivateKey, traits::PublicKeyParts};
    let key = rsa::PrivateKey::new(&mut getrandom::SysRng, RSA_BITS).map_err(|e| e.to_string())?;
    let der = key.to_pkcs1_der().map_err(|e| e.to_string())?;
    let (n, e) = (URL_SAFE_NO_PAD.encode(key.n_bytes()), URL_SAFE_NO_PAD.encode(key.e_bytes()));
    Ok(SigningKeyRow {
        kid: rsa_thumbprint(&n, &e),
        algorithm: SigningAlgorithm::Rs256.as_str().into(),
        private_key: STANDARD.encode(der.as_bytes()),
        public_key: format!("{n}.{e}"),
        created_at: crate::db::now(),
        retired_at: None,
        purpose: purpose.as_str().into(),
    })
}

fn row_from_seed(seed: [u8; 32], purpose: KeyPurpose) -> SigningKeyRow {
    let x = URL_SAFE_NO_PAD.encode(public_key_of(&seed));
    SigningKeyRow {
        kid: thumbprint(&x),
        algorithm: ALGORITHM.into(),
        private_key: STANDARD.encode(seed),
        public_key: x,
        created_at: crate::db::now(),
        retired_at: None,
        purpose: purpose.as_str().into(),
    }
}

fn generate(purpose: KeyPurpose) -> SigningKeyRow {
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&secrets::random_bytes(32));
    row_from_seed(seed, purpose)
}

/// Reads the seed from an Ed25519 PKCS#8 PEM (`openssl genpkey -algorithm ed25519`).
pub fn seed_from_pem(pem: &str) -> Result<[u8; 32], String> {
    let body: String = pem.lines().filter(|line| !line.starts_with("-----")).map(str::trim).collect();
    let der = STANDARD.decode(body).map_err(|e| format!("not base64 PEM: {e}"))?;
    match der.strip_prefix(&PKCS8_ED25519_PREFIX[..]) {
        Some(seed) if seed.len() == 32 => {
            let mut out = [0u8; 32];
            out.copy_from_slice(seed);
            Ok(out)
        }
        _ => Err("not an Ed25519 PKCS#8 private key".into()),
    }
}

fn encoding_key(row: &SigningKeyRow, kek: Option<&[u8; 32]>) -> ApiResult<EncodingKey> {
    let plain = open(kek, &row.kid, &row.private_key).map_err(ApiError::internal)?;
    let bytes = STANDARD.decode(plain).map_err(ApiError::internal)?;
    if row.algorithm == SigningAlgorithm::Rs256.as_str() {
        return Ok(EncodingKey::from_rsa_der(&bytes));
    }
    let mut der = PKCS8_ED25519_PREFIX.to_vec();
    der.extend_from_slice(&bytes);
    Ok(EncodingKey::from_ed_der(&der))
}

/// The verifying key of a stored row.
fn decoding_key(row: &SigningKeyRow) -> ApiResult<DecodingKey> {
    match row.public_key.split_once('.') {
        Some((n, e)) if row.algorithm == SigningAlgorithm::Rs256.as_str() => {
            DecodingKey::from_rsa_components(n, e).map_err(ApiError::internal)
        }
        _ => DecodingKey::from_ed_components(&row.public_key).map_err(ApiError::internal),
    }
}

/// Makes sure an access-token key and a credential key exist: the configured ones (added if
/// new) or generated ones. With a key-encryption key, every stored private key is sealed
/// (those stored in plain text before are sealed now), and a key that does not open stops the
/// start.
pub fn ensure_signing_keys(
    conn: &mut DbConnection,
    access_pem: Option<&str>,
    credential_pem: Option<&str>,
    kek: Option<&[u8; 32]>,
) -> Result<(), String> {
    seal_stored(conn, kek)?;
    ensure_key(conn, KeyPurpose::Access, access_pem, kek)?;
    ensure_key(conn, KeyPurpose::Credentials, credential_pem, kek)
}

fn ensure_key(
    conn: &mut DbConnection,
    purpose: KeyPurpose,
    configured_pem: Option<&str>,
    kek: Option<&[u8; 32]>,
) -> Result<(), String> {
    let variable = purpose.pem_variable();
    if let Some(pem) = configured_pem {
        let row = row_from_seed(seed_from_pem(pem).map_err(|e| format!("{variable}: {e}"))?, purpose);
        match store::key_purpose(conn, &row.kid).map_err(|e| e.to_string())? {
            None => {
                insert_as_current(conn, row, kek)?;
            }
            Some(stored) if stored != purpose.as_str() => {
                return Err(format!(
                    "{variable}: this key already serves as the {stored} key; use its own key"
                ));
            }
            Some(_) => {}
        }
        return Ok(());
    }
    if !store::has_active_key(conn, purpose.as_str(), ALGORITHM).map_err(|e| e.to_string())? {
        insert_as_current(conn, generate(purpose), kek)?;
    }
    Ok(())
}

/// Seals the private keys stored in plain text, and checks that the sealed ones open.
fn seal_stored(conn: &mut DbConnection, kek: Option<&[u8; 32]>) -> Result<(), String> {
    for row in store::all_keys(conn).map_err(|e| e.to_string())? {
        let plain = open(kek, &row.kid, &row.private_key)?;
        if let (Some(kek), false) = (kek, row.private_key.starts_with(SEALED)) {
            let sealed = seal(kek, &row.kid, &plain)?;
            store::set_private_key(conn, &row.kid, &sealed).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// Adds a new Ed25519 key of a purpose (and a new RSA key, if the purpose has one) and retires
/// the keys they replace from signing (they keep verifying). Returns the Ed25519 key's kid.
pub fn rotate(
    conn: &mut DbConnection,
    purpose: KeyPurpose,
    kek: Option<&[u8; 32]>,
) -> Result<String, String> {
    let rs256 = SigningAlgorithm::Rs256.as_str();
    if store::has_active_key(conn, purpose.as_str(), rs256).map_err(|e| e.to_string())? {
        insert_as_current(conn, generate_rsa(purpose)?, kek)?;
    }
    insert_as_current(conn, generate(purpose), kek)
}

/// Whether the purpose has a key of the algorithm that signs.
pub fn has_current_key(
    conn: &mut DbConnection,
    purpose: KeyPurpose,
    algorithm: SigningAlgorithm,
) -> ApiResult<bool> {
    Ok(store::has_active_key(conn, purpose.as_str(), algorithm.as_str())?)
}

/// Makes sure the purpose has an RSA key (generated on first use: RS256 credentials only).
pub fn ensure_rsa_key(conn: &mut DbConnection, purpose: KeyPurpose, kek: Option<&[u8; 32]>) -> ApiResult<()> {
    if !store::has_active_key(conn, purpose.as_str(), SigningAlgorithm::Rs256.as_str())? {
        let row = generate_rsa(purpose).map_err(ApiError::internal)?;
        insert_as_current(conn, row, kek).map_err(ApiError::internal)?;
    }
    Ok(())
}

fn insert_as_current(
    conn: &mut DbConnection,
    mut row: SigningKeyRow,
    kek: Option<&[u8; 32]>,
) -> Result<String, String> {
    if let Some(kek) = kek {
        row.private_key = seal(kek, &row.kid, &row.private_key)?;
    }
    store::insert_as_current(conn, &row).map_err(|e| e.to_string())?;
    Ok(row.kid)
}

/// The newest unretired Ed25519 key of a purpose, opened with the key-encryption key when
/// sealed.
pub fn active_key(
    conn: &mut DbConnection,
    purpose: KeyPurpose,
    kek: Option<&[u8; 32]>,
) -> ApiResult<ActiveKey> {
    active_key_for(conn, purpose, SigningAlgorithm::EdDsa, kek)
}

/// The newest unretired key of a purpose and algorithm.
pub fn active_key_for(
    conn: &mut DbConnection,
    purpose: KeyPurpose,
    algorithm: SigningAlgorithm,
    kek: Option<&[u8; 32]>,
) -> ApiResult<ActiveKey> {
    let row = store::newest_active(conn, purpose.as_str(), algorithm.as_str())?
        .ok_or_else(|| ApiError::internal("no signing key: start the service once to create one"))?;
    Ok(ActiveKey { encoding: encoding_key(&row, kek)?, kid: row.kid })
}

/// Access keys that may still have unexpired tokens (unretired, or retired less than
/// `token_lifetime` ago), and every credential key.
pub fn published_keys(conn: &mut DbConnection, token_lifetime: chrono::Duration) -> ApiResult<JwkSet> {
    let oldest = crate::db::now() - token_lifetime;
    let rows = store::verifying(conn, oldest)?;
    Ok(JwkSet { keys: rows.iter().map(Jwk::of).collect() })
}

/// A credential key's algorithm and verifying key, by kid (never an access-token key).
pub fn credential_key(
    conn: &mut DbConnection,
    kid: &str,
) -> ApiResult<Option<(SigningAlgorithm, DecodingKey)>> {
    let Some(row) = store::key_of(conn, kid, KeyPurpose::Credentials.as_str())? else { return Ok(None) };
    let algorithm =
        SigningAlgorithm::parse(&row.algorithm).ok_or_else(|| ApiError::internal("unknown key algorithm"))?;
    Ok(Some((algorithm, decoding_key(&row)?)))
}

/// Per-process cache of public keys by kid.
#[derive(Default)]
pub struct KeyCache {
    keys: RwLock<HashMap<String, Arc<DecodingKey>>>,
}

impl KeyCache {
    pub fn cached(&self, kid: &str) -> Option<Arc<DecodingKey>> {
        self.keys.read().ok()?.get(kid).cloned()
    }

    /// The access-token key for `kid`, from the cache or the database; `None` for an unknown
    /// kid (or a key of another purpose: a credential key never admits a caller).
    pub fn get(&self, conn: &mut DbConnection, kid: &str) -> ApiResult<Option<Arc<DecodingKey>>> {
        if let Some(key) = self.cached(kid) {
            return Ok(Some(key));
        }
        let Some(row) = store::key_of(conn, kid, KeyPurpose::Access.as_str())? else { return Ok(None) };
        let key = Arc::new(decoding_key(&row)?);
        if let Ok(mut keys) = self.keys.write() {
            keys.insert(kid.to_string(), key.clone());
        }
        Ok(Some(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_keys_are_read_back_to_the_same_seed() {
        let seed = [7u8; 32];
        let mut der = PKCS8_ED25519_PREFIX.to_vec();
        der.extend_from_slice(&seed);
        let pem =
            format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", STANDARD.encode(&der));
        assert_eq!(seed_from_pem(&pem).unwrap(), seed);
        assert!(seed_from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").is_err());
    }

    #[test]
    fn sealed_keys_open_only_with_their_kek_and_kid() {
        let kek = [1u8; 32];
        let sealed = seal(&kek, "kid-a", "c2VlZA==").unwrap();
        assert!(sealed.starts_with(SEALED));
        assert_eq!(open(Some(&kek), "kid-a", &sealed).unwrap(), "c2VlZA==");
        assert!(open(Some(&[2u8; 32]), "kid-a", &sealed).unwrap_err().contains("wrong key"));
        assert!(open(Some(&kek), "kid-b", &sealed).is_err(), "bound to its key id");
        assert!(open(None, "kid-a", &sealed).unwrap_err().contains("CE_KEY_ENCRYPTION_KEY"));
        assert_eq!(open(None, "kid-a", "plain").unwrap(), "plain", "plain text passes through");
        assert_ne!(seal(&kek, "kid-a", "x").unwrap(), seal(&kek, "kid-a", "x").unwrap(), "fresh nonce");
    }

    #[test]
    fn kids_are_rfc7638_thumbprints() {
        // RFC 8037 appendix A.3: the thumbprint of its example Ed25519 key.
        assert_eq!(
            thumbprint("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }
}
