//! JWT check benchmark: what `serve --http --oauth-issuer` pays per request to check an
//! access token once the issuer's keys are cached (warm JWKS): header, key lookup by `kid`,
//! signature, `iss`/`aud`/`exp`/`nbf`. Measures the server's own checker
//! (`src/http/auth/verify.rs`, included as is) for RS256 (2048-bit), ES256 and EdDSA tokens
//! signed with the test issuer's fixture keys, plus a refused token (wrong audience); then
//! the per-request cost when the client reuses its token (the server's `TokenCache` hit: a
//! SHA-256 of the token and a map lookup), which is what a session pays after its first call.
//!
//! Target: ≤ 50 µs per request with a warm JWKS (median).
//!
//! Run: `cargo bench -p mcp-pipelines --bench jwt_check` (`-- --iters N` to change the count).

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    dead_code,
    unused_imports
)]
// A benchmark's scenario reads best in one piece: the 80-line rule is for src/.
#![allow(clippy::too_many_lines)]

#[path = "../src/http/auth/verify.rs"]
mod verify;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header, jwk::Jwk};
use serde_json::json;

const ISSUER: &str = "https://idp.example";
const RESOURCE: &str = "https://mcp.example.com/mcp";

struct Signer {
    name: &'static str,
    kid: &'static str,
    alg: Algorithm,
    key: EncodingKey,
}

fn signers() -> Vec<Signer> {
    let fixtures = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fakes/fixtures/oauth/"
    );
    let read = |f: &str| std::fs::read(format!("{fixtures}{f}")).expect("fixture key");
    vec![
        Signer {
            name: "RS256",
            kid: "rsa-1",
            alg: Algorithm::RS256,
            key: EncodingKey::from_rsa_pem(&read("rsa1.pem")).unwrap(),
        },
        Signer {
            name: "ES256",
            kid: "ec-1",
            alg: Algorithm::ES256,
            key: EncodingKey::from_ec_pem(&read("ec1.pem")).unwrap(),
        },
        Signer {
            name: "EdDSA",
            kid: "ed-1",
            alg: Algorithm::EdDSA,
            key: EncodingKey::from_ed_pem(&read("ed1.pem")).unwrap(),
        },
    ]
}

fn token(s: &Signer, aud: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut header = Header::new(s.alg);
    header.kid = Some(s.kid.into());
    let claims = json!({"iss": ISSUER, "aud": aud, "sub": "alice@example.com",
        "scope": "pipelines:read pipelines:run", "iat": now, "exp": now + 600});
    jsonwebtoken::encode(&header, &claims, &s.key).unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let mut iters = 2000usize;
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--iters") {
        iters = args[i + 1].parse().expect("--iters N");
    }
    let signers = signers();
    let jwks = json!({"keys": signers.iter().map(|s| {
        let mut k = serde_json::to_value(Jwk::from_encoding_key(&s.key, s.alg).unwrap()).unwrap();
        k["kid"] = json!(s.kid);
        k
    }).collect::<Vec<_>>()});
    let keys = verify::KeySet::from_jwks(jwks.to_string().as_bytes()).unwrap();
    assert_eq!(keys.len(), 3);
    println!("JWT check, warm key set, {iters} checks each (median / p99 / mean):");
    let mut worst_median = Duration::ZERO;
    for s in &signers {
        let cases = [
            ("accepted", token(s, RESOURCE), true),
            ("wrong aud", token(s, "https://api.other.example"), false),
        ];
        for (what, tok, accept) in &cases {
            // Warm up.
            for _ in 0..50 {
                let _ = verify::verify(tok, &keys, ISSUER, RESOURCE);
            }
            let mut times = Vec::with_capacity(iters);
            for _ in 0..iters {
                let t = Instant::now();
                let r = verify::verify(tok, &keys, ISSUER, RESOURCE);
                times.push(t.elapsed());
                assert_eq!(r.is_ok(), *accept, "{} {what}: {r:?}", s.name);
            }
            times.sort();
            let mean = times.iter().sum::<Duration>() / iters as u32;
            let median = percentile(&times, 0.5);
            if *accept {
                worst_median = worst_median.max(median);
            }
            println!(
                "  {:<6} {:<10} {:>8.1} µs {:>8.1} µs {:>8.1} µs",
                s.name,
                what,
                median.as_secs_f64() * 1e6,
                percentile(&times, 0.99).as_secs_f64() * 1e6,
                mean.as_secs_f64() * 1e6,
            );
        }
    }
    // A reused token: the first request verifies, the next ones hit the cache.
    let cache = verify::TokenCache::default();
    let mut worst_cached = Duration::ZERO;
    for s in &signers {
        let tok = token(s, RESOURCE);
        let mut times = Vec::with_capacity(iters);
        for _ in 0..iters {
            let t = Instant::now();
            let now = verify::unix_now();
            let v = match cache.get(&tok, RESOURCE, now) {
                Some(v) => v,
                None => {
                    let v = verify::verify(&tok, &keys, ISSUER, RESOURCE).unwrap();
                    cache.put(&tok, RESOURCE, &v, now);
                    v
                }
            };
            times.push(t.elapsed());
            assert_eq!(v.subject, "alice@example.com");
        }
        times.sort();
        let median = percentile(&times, 0.5);
        worst_cached = worst_cached.max(median);
        println!(
            "  {:<6} {:<10} {:>8.1} µs {:>8.1} µs  (reused token, cache hit)",
            s.name,
            "per req",
            median.as_secs_f64() * 1e6,
            percentile(&times, 0.99).as_secs_f64() * 1e6,
        );
    }
    let target = Duration::from_micros(50);
    println!(
        "per request with a reused token, worst median: {:.1} µs (target ≤ {} µs): {}",
        worst_cached.as_secs_f64() * 1e6,
        target.as_micros(),
        if worst_cached <= target {
            "met"
        } else {
            "MISSED"
        }
    );
    println!(
        "first check of a token (signature), worst median: {:.1} µs (target ≤ {} µs): {}",
        worst_median.as_secs_f64() * 1e6,
        target.as_micros(),
        if worst_median <= target {
            "met"
        } else {
            "MISSED"
        }
    );
}
