//! Checking one access token against a key set: signature (RS256, ES256 or EdDSA only, the
//! algorithm fixed by the key, never by the token), `iss`, `aud` (must name this resource),
//! `exp`/`nbf` with 60 s leeway. `alg: none`, HMAC (whatever its key) and any other algorithm
//! are refused before a key is looked at. The crypto is `jsonwebtoken`'s.
//!
//! A token that verified is remembered ([`TokenCache`], by its SHA-256) until its `exp` or
//! for [`CACHE_TTL_SECS`], whichever is sooner, so a client reusing its access token pays a
//! hash and a lookup per request instead of a signature check.
//!
//! Self-contained (no I/O, no server types) so that the benchmark can include it as is.

use std::{collections::HashMap, sync::Mutex};

use jsonwebtoken::{
    Algorithm, DecodingKey, Validation,
    jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse},
};
use serde::Deserialize;

/// Clock-skew allowance for `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 60;

/// One usable verification key.
pub struct VerifyKey {
    key: DecodingKey,
    alg: Algorithm,
}

/// The signing keys of an issuer, by `kid` (keys without a `kid` are kept apart).
#[derive(Default)]
pub struct KeySet {
    by_kid: HashMap<String, VerifyKey>,
    without_kid: Vec<VerifyKey>,
}

impl KeySet {
    /// Parses a JWKS document (`{"keys": [...]}`), keeping the signature keys this server
    /// accepts (RSA, P-256, Ed25519) and skipping the rest (encryption keys, other curves,
    /// symmetric keys). Errors only when the document itself is not a JWKS.
    pub fn from_jwks(doc: &[u8]) -> Result<KeySet, String> {
        #[derive(Deserialize)]
        struct Doc {
            keys: Vec<serde_json::Value>,
        }
        let doc: Doc =
            serde_json::from_slice(doc).map_err(|e| format!("not a JWKS document: {e}"))?;
        let mut set = KeySet::default();
        for raw in doc.keys {
            let Ok(jwk) = serde_json::from_value::<Jwk>(raw) else {
                continue;
            };
            let Some(alg) = signing_alg(&jwk) else {
                continue;
            };
            let Ok(key) = DecodingKey::from_jwk(&jwk) else {
                continue;
            };
            let vk = VerifyKey { key, alg };
            match jwk.common.key_id {
                Some(kid) => {
                    set.by_kid.insert(kid, vk);
                }
                None => set.without_kid.push(vk),
            }
        }
        Ok(set)
    }

    /// How many keys the set holds.
    pub fn len(&self) -> usize {
        self.by_kid.len() + self.without_kid.len()
    }

    /// Whether the set holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a key with this `kid` is known.
    pub fn has_kid(&self, kid: &str) -> bool {
        self.by_kid.contains_key(kid)
    }
}

/// The algorithm a JWK may verify: its `alg` if it names one we accept, else the one its key
/// type implies. `None` for keys we never verify with.
fn signing_alg(jwk: &Jwk) -> Option<Algorithm> {
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return None;
    }
    let implied = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => Algorithm::ES256,
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            Algorithm::EdDSA
        }
        _ => return None,
    };
    match jwk.common.key_algorithm {
        None => Some(implied),
        Some(KeyAlgorithm::RS256) if implied == Algorithm::RS256 => Some(implied),
        Some(KeyAlgorithm::ES256) if implied == Algorithm::ES256 => Some(implied),
        Some(KeyAlgorithm::EdDSA) if implied == Algorithm::EdDSA => Some(implied),
        Some(_) => None,
    }
}

/// Why a token was refused. The text goes into logs and the 401 body, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a JWT, or a header/claims we cannot read.
    Malformed,
    /// `alg` is none, HMAC or anything but RS256/ES256/EdDSA.
    Algorithm,
    /// No published key has the token's `kid`.
    UnknownKey,
    /// The signature does not verify.
    Signature,
    /// `exp` is past (beyond the leeway).
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    NotYetValid,
    /// `iss` is not the configured issuer.
    Issuer,
    /// `aud` does not name this resource.
    Audience,
    /// A required claim is missing (`exp`, `iss`, `aud`).
    MissingClaim(String),
}

impl Refusal {
    /// A short reason for the log and the error body.
    pub fn describe(&self) -> String {
        match self {
            Refusal::Malformed => "the token is not a readable JWT".into(),
            Refusal::Algorithm => "the token's alg is not one of RS256, ES256, EdDSA".into(),
            Refusal::UnknownKey => "no published signing key has the token's kid".into(),
            Refusal::Signature => "the token's signature does not verify".into(),
            Refusal::Expired => "the token has expired".into(),
            Refusal::NotYetValid => "the token is not valid yet (nbf)".into(),
            Refusal::Issuer => "the token was issued by another issuer".into(),
            Refusal::Audience => {
                "the token's audience is not this server (tokens for other resources are refused)"
                    .into()
            }
            Refusal::MissingClaim(c) => format!("the token has no `{c}` claim"),
        }
    }

    /// A label for metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Refusal::Malformed => "malformed",
            Refusal::Algorithm => "algorithm",
            Refusal::UnknownKey => "unknown_kid",
            Refusal::Signature => "signature",
            Refusal::Expired => "expired",
            Refusal::NotYetValid => "not_yet_valid",
            Refusal::Issuer => "issuer",
            Refusal::Audience => "audience",
            Refusal::MissingClaim(_) => "missing_claim",
        }
    }
}

/// What a verified token says about its bearer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// `sub` (else `client_id`, else "unknown").
    pub subject: String,
    /// The granted scopes (`scope` string, or `scp` string or list).
    pub scopes: Vec<String>,
    /// `exp` (seconds since the epoch).
    pub exp: u64,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ScopeClaim {
    Text(String),
    List(Vec<String>),
}

#[derive(Deserialize)]
struct Claims {
    sub: Option<String>,
    client_id: Option<String>,
    scope: Option<ScopeClaim>,
    scp: Option<ScopeClaim>,
    exp: Option<u64>,
}

/// The `kid` and `alg` of a token, when its header reads and its `alg` is one we accept.
pub fn header_kid(token: &str) -> Result<(Option<String>, Algorithm), Refusal> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::Json(_) => Refusal::Algorithm,
        _ => Refusal::Malformed,
    })?;
    match header.alg {
        Algorithm::RS256 | Algorithm::ES256 | Algorithm::EdDSA => Ok((header.kid, header.alg)),
        _ => Err(Refusal::Algorithm),
    }
}

/// Verifies `token` against `keys` for `issuer` and `audience`.
pub fn verify(
    token: &str,
    keys: &KeySet,
    issuer: &str,
    audience: &str,
) -> Result<Verified, Refusal> {
    let (kid, alg) = header_kid(token)?;
    let candidates: Vec<&VerifyKey> = match &kid {
        Some(kid) => keys.by_kid.get(kid).into_iter().collect(),
        None => keys.without_kid.iter().collect(),
    };
    let candidates: Vec<&VerifyKey> = candidates.into_iter().filter(|k| k.alg == alg).collect();
    if candidates.is_empty() {
        return Err(Refusal::UnknownKey);
    }
    let mut validation = Validation::new(alg);
    validation.leeway = LEEWAY_SECS;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    validation.set_issuer(&[issuer]);
    // An audience given with or without a trailing slash names the same resource.
    let trimmed = audience.trim_end_matches('/');
    validation.set_audience(&[trimmed.to_string(), format!("{trimmed}/")]);
    let mut last = Refusal::Signature;
    for key in candidates {
        match jsonwebtoken::decode::<Claims>(token, &key.key, &validation) {
            Ok(data) => return Ok(verified(data.claims)),
            Err(e) => last = refusal(e.kind()),
        }
        if last != Refusal::Signature {
            break;
        }
    }
    Err(last)
}

fn verified(c: Claims) -> Verified {
    let scopes = match c.scope.or(c.scp) {
        Some(ScopeClaim::Text(s)) => s.split_whitespace().map(str::to_string).collect(),
        Some(ScopeClaim::List(l)) => l,
        None => Vec::new(),
    };
    Verified {
        subject: c
            .sub
            .or(c.client_id)
            .unwrap_or_else(|| "unknown".to_string()),
        scopes,
        exp: c.exp.unwrap_or(0),
    }
}

fn refusal(kind: &jsonwebtoken::errors::ErrorKind) -> Refusal {
    use jsonwebtoken::errors::ErrorKind as K;
    match kind {
        K::InvalidSignature | K::InvalidEcdsaKey | K::InvalidEddsaKey | K::InvalidRsaKey(_) => {
            Refusal::Signature
        }
        K::ExpiredSignature => Refusal::Expired,
        K::ImmatureSignature => Refusal::NotYetValid,
        K::InvalidIssuer => Refusal::Issuer,
        K::InvalidAudience => Refusal::Audience,
        K::MissingRequiredClaim(c) => Refusal::MissingClaim(c.clone()),
        K::InvalidAlgorithm | K::InvalidAlgorithmName | K::UnsupportedAlgorithm => {
            Refusal::Algorithm
        }
        _ => Refusal::Malformed,
    }
}

/// Longest a verified token is trusted without checking its signature again (a key the
/// issuer withdraws stops being honoured within this).
pub const CACHE_TTL_SECS: u64 = 300;
/// Most tokens remembered.
const CACHE_MAX: usize = 4096;

/// Tokens that verified, by SHA-256 of the token and the audience.
#[derive(Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<[u8; 32], (Verified, u64)>>,
}

fn cache_key(token: &str, audience: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(audience.as_bytes());
    h.update([0u8]);
    h.update(token.as_bytes());
    h.finalize().into()
}

impl TokenCache {
    /// The remembered result for `token` and `audience`, if still valid at `now` (seconds).
    pub fn get(&self, token: &str, audience: &str, now: u64) -> Option<Verified> {
        let key = cache_key(token, audience);
        let entries = self.entries.lock().ok()?;
        match entries.get(&key) {
            Some((v, until)) if now < *until => Some(v.clone()),
            _ => None,
        }
    }

    /// Remembers a verified token until its `exp` (plus leeway) or [`CACHE_TTL_SECS`].
    pub fn put(&self, token: &str, audience: &str, v: &Verified, now: u64) {
        let until = (v.exp + LEEWAY_SECS).min(now + CACHE_TTL_SECS);
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= CACHE_MAX {
            entries.retain(|_, (_, u)| now < *u);
            if entries.len() >= CACHE_MAX {
                entries.clear();
            }
        }
        entries.insert(cache_key(token, audience), (v.clone(), until));
    }

    /// Forgets everything (when the key set changes).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

/// Seconds since the epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_honours_expiry_its_ttl_and_the_audience() {
        let cache = TokenCache::default();
        let v = Verified {
            subject: "alice".into(),
            scopes: vec!["pipelines:read".into()],
            exp: 1_000,
        };
        cache.put("tok", "https://a/mcp", &v, 500);
        assert_eq!(cache.get("tok", "https://a/mcp", 600), Some(v.clone()));
        assert_eq!(
            cache.get("tok", "https://b/mcp", 600),
            None,
            "another audience"
        );
        assert_eq!(cache.get("tok2", "https://a/mcp", 600), None);
        assert_eq!(
            cache.get("tok", "https://a/mcp", 500 + CACHE_TTL_SECS),
            None,
            "ttl"
        );
        cache.put("tok", "https://a/mcp", &v, 990);
        assert_eq!(
            cache.get("tok", "https://a/mcp", 1_000 + LEEWAY_SECS),
            None,
            "exp"
        );
        cache.clear();
        assert_eq!(cache.get("tok", "https://a/mcp", 991), None);
    }

    #[test]
    fn none_and_hmac_algorithms_are_refused_before_any_key() {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        for header in [
            r#"{"alg":"none"}"#,
            r#"{"alg":"HS256","kid":"k"}"#,
            r#"{"alg":"PS256"}"#,
        ] {
            let token = format!("{}.{}.sig", b64.encode(header), b64.encode("{}"));
            assert_eq!(
                header_kid(&token).err(),
                Some(Refusal::Algorithm),
                "{header}"
            );
        }
        assert_eq!(header_kid("garbage").err(), Some(Refusal::Malformed));
    }
}
