//! The verifier against a loopback Bot Framework: OpenID metadata and JWKS served here, tokens
//! signed with generated keys; what is fetched when, and what is refused with which status.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex as StdMutex, OnceLock};
use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde_json::{json, Value};

use super::*;
use crate::teams::bot_auth::{BOT_FRAMEWORK_ISSUER, MAX_KEY_AGE_SECS, MIN_REFRESH_INTERVAL_SECS};

const APP_ID: &str = "3b9a5f2e-0000-4000-8000-00000000b07a";
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const SERVICE_URL: &str = "https://smba.trafficmanager.net/emea/";
const NOW: u64 = 1_800_000_000;

/// The published key and one published only after a rotation; generating is slow, so once.
fn keys() -> &'static (RsaKeyPair, RsaKeyPair) {
    static KEYS: OnceLock<(RsaKeyPair, RsaKeyPair)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let gen = || RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        (gen(), gen())
    })
}

fn jwk(key: &RsaKeyPair, kid: &str) -> Value {
    let public = key.public_key();
    json!({
        "kty": "RSA", "use": "sig", "kid": kid,
        "n": B64.encode(public.modulus().big_endian_without_leading_zero()),
        "e": B64.encode(public.exponent().big_endian_without_leading_zero()),
        "endorsements": ["msteams"],
    })
}

fn jwks(kids: &[(&RsaKeyPair, &str)]) -> String {
    let keys: Vec<Value> = kids.iter().map(|(k, kid)| jwk(k, kid)).collect();
    json!({ "keys": keys }).to_string()
}

fn sign(kid: &str, claims: &Value, key: &RsaKeyPair) -> String {
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": kid});
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let mut sig = vec![0; key.public_modulus_len()];
    let rng = SystemRandom::new();
    key.sign(&RSA_PKCS1_SHA256, &rng, input.as_bytes(), &mut sig)
        .unwrap();
    format!("{input}.{}", B64.encode(sig))
}

fn claims(now: u64) -> Value {
    json!({
        "iss": BOT_FRAMEWORK_ISSUER, "aud": APP_ID, "serviceurl": SERVICE_URL,
        "nbf": now - 60, "exp": now + 3600,
    })
}

fn good_token(now: u64) -> String {
    format!("Bearer {}", sign("k1", &claims(now), &keys().0))
}

fn invoke(tenant: &str) -> Vec<u8> {
    json!({
        "type": "invoke", "name": "adaptiveCard/action", "id": "f:1",
        "channelId": "msteams", "serviceUrl": SERVICE_URL,
        "from": {"id": "29:1", "aadObjectId": "oid-alice", "name": "Alice"},
        "conversation": {"id": "19:abc@thread.tacv2", "tenantId": tenant, "conversationType": "channel"},
        "channelData": {"tenant": {"id": tenant}},
        "value": {"action": {"type": "Action.Execute", "verb": "decide", "data": {"approvalId": "a-1", "value": "approve"}}},
    })
    .to_string()
    .into_bytes()
}

/// A loopback Bot Framework login service: `/openid` (metadata) and `/keys` (JWKS).
struct BotFramework {
    url: String,
    jwks: StdMutex<String>,
    down: AtomicBool,
    delay: StdMutex<Duration>,
    metadata_fetches: AtomicU32,
    key_fetches: AtomicU32,
}

impl BotFramework {
    fn metadata(&self) -> u32 {
        self.metadata_fetches.load(Ordering::SeqCst)
    }

    fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    fn verifier(&self) -> BotRequestVerifier {
        let http = ServiceHttp::new::<crate::teams::TeamsError>()
            .with_max_retry_wait(Duration::from_millis(20));
        BotRequestVerifier::new(APP_ID, TENANT, &format!("{}/openid", self.url))
            .unwrap()
            .with_http(http)
    }
}

async fn answer(server: &BotFramework, body: String) -> (StatusCode, String) {
    let delay = *server.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    match server.down.load(Ordering::SeqCst) {
        true => (StatusCode::SERVICE_UNAVAILABLE, "{}".into()),
        false => (StatusCode::OK, body),
    }
}

async fn bot_framework() -> Arc<BotFramework> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = Arc::new(BotFramework {
        url: url.clone(),
        jwks: StdMutex::new(jwks(&[(&keys().0, "k1")])),
        down: AtomicBool::new(false),
        delay: StdMutex::new(Duration::ZERO),
        metadata_fetches: AtomicU32::new(0),
        key_fetches: AtomicU32::new(0),
    });
    let metadata = json!({
        "issuer": BOT_FRAMEWORK_ISSUER,
        "jwks_uri": format!("{url}/keys"),
        "id_token_signing_alg_values_supported": ["RS256"],
    })
    .to_string();
    let app = axum::Router::new()
        .route(
            "/openid",
            get(move |State(s): State<Arc<BotFramework>>| async move {
                s.metadata_fetches.fetch_add(1, Ordering::SeqCst);
                answer(&s, metadata.clone()).await
            }),
        )
        .route(
            "/keys",
            get(|State(s): State<Arc<BotFramework>>| async move {
                s.key_fetches.fetch_add(1, Ordering::SeqCst);
                let body = s.jwks.lock().unwrap().clone();
                answer(&s, body).await
            }),
        )
        .with_state(server.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    server
}

#[tokio::test]
async fn a_good_token_passes_and_the_keys_are_fetched_once() {
    let server = bot_framework().await;
    let verifier = server.verifier();
    let activity = verifier
        .verify(Some(&good_token(NOW)), &invoke(TENANT), NOW)
        .await
        .unwrap();
    assert_eq!(activity["value"]["action"]["data"]["approvalId"], "a-1");
    verifier
        .verify(Some(&good_token(NOW)), &invoke(TENANT), NOW + 60)
        .await
        .unwrap();
    assert_eq!(server.metadata(), 1);
    assert_eq!(server.key_fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn other_audience_expired_other_tenant_or_no_bearer_are_401() {
    let server = bot_framework().await;
    let verifier = server.verifier();
    let refused = |auth: Option<String>, body: Vec<u8>| {
        let v = &verifier;
        async move { v.verify(auth.as_deref(), &body, NOW).await.unwrap_err() }
    };
    let mut other_audience = claims(NOW);
    other_audience["aud"] = json!("another-app");
    let token = format!("Bearer {}", sign("k1", &other_audience, &keys().0));
    let err = refused(Some(token), invoke(TENANT)).await;
    assert_eq!(
        err,
        VerifyRefusal::Unauthorized(BotAuthError::WrongAudience)
    );
    assert_eq!(err.status(), 401);

    let expired = format!("Bearer {}", sign("k1", &claims(NOW - 4000), &keys().0));
    let err = refused(Some(expired), invoke(TENANT)).await;
    assert_eq!(err, VerifyRefusal::Unauthorized(BotAuthError::Expired));

    let other = "0b1c2d3e-0000-4000-8000-000000000001";
    let err = refused(Some(good_token(NOW)), invoke(other)).await;
    assert_eq!(err, VerifyRefusal::Unauthorized(BotAuthError::OtherTenant));

    let signed_elsewhere = format!("Bearer {}", sign("k1", &claims(NOW), &keys().1));
    let err = refused(Some(signed_elsewhere), invoke(TENANT)).await;
    assert_eq!(err, VerifyRefusal::Unauthorized(BotAuthError::BadSignature));

    let raw = good_token(NOW).replace("Bearer ", "Basic ");
    for auth in [None, Some(raw), Some("Bearer ".into())] {
        let err = refused(auth, invoke(TENANT)).await;
        assert_eq!(err, VerifyRefusal::Unauthorized(BotAuthError::Malformed));
    }
    // The scheme is case-insensitive (RFC 7235).
    let lower = good_token(NOW).replace("Bearer ", "bearer ");
    verifier
        .verify(Some(&lower), &invoke(TENANT), NOW)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_unknown_kid_refreshes_the_keys_once_and_at_most_every_five_minutes() {
    let server = bot_framework().await;
    let verifier = server.verifier();
    verifier
        .verify(Some(&good_token(NOW)), &invoke(TENANT), NOW)
        .await
        .unwrap();
    // Microsoft rotates: the new key is published, and a token signed with it arrives.
    *server.jwks.lock().unwrap() = jwks(&[(&keys().0, "k1"), (&keys().1, "k2")]);
    let rotated = |now| format!("Bearer {}", sign("k2", &claims(now), &keys().1));

    let soon = NOW + 60;
    let err = verifier
        .verify(Some(&rotated(soon)), &invoke(TENANT), soon)
        .await
        .unwrap_err();
    assert_eq!(err, VerifyRefusal::Unauthorized(BotAuthError::UnknownKey));
    assert_eq!(
        server.metadata(),
        1,
        "no fetch within 5 minutes of the last"
    );

    let later = NOW + MIN_REFRESH_INTERVAL_SECS;
    verifier
        .verify(Some(&rotated(later)), &invoke(TENANT), later)
        .await
        .unwrap();
    assert_eq!(server.metadata(), 2);

    // Made-up key ids right after: refused without a fetch.
    let made_up = format!("Bearer {}", sign("k9", &claims(later), &keys().1));
    for _ in 0..3 {
        let err = verifier
            .verify(Some(&made_up), &invoke(TENANT), later + 10)
            .await
            .unwrap_err();
        assert_eq!(err, VerifyRefusal::Unauthorized(BotAuthError::UnknownKey));
    }
    assert_eq!(server.metadata(), 2);
}

#[tokio::test]
async fn metadata_down_with_no_keys_is_503_and_not_fetched_again_at_once() {
    let server = bot_framework().await;
    server.set_down(true);
    let verifier = server.verifier();
    let err = verifier
        .verify(Some(&good_token(NOW)), &invoke(TENANT), NOW)
        .await
        .unwrap_err();
    assert!(matches!(err, VerifyRefusal::KeysUnavailable(_)), "{err:?}");
    assert_eq!(err.status(), 503);
    assert!(err.to_string().contains("HTTP 503"), "{err}");
    let fetched = server.metadata();

    // Within RETRY_AFTER_FAILURE_SECS: the same answer, no new fetch.
    let err = verifier
        .verify(Some(&good_token(NOW)), &invoke(TENANT), NOW + 1)
        .await
        .unwrap_err();
    assert!(matches!(err, VerifyRefusal::KeysUnavailable(_)));
    assert_eq!(server.metadata(), fetched);

    // Back up: the next request after the pause fetches and passes.
    server.set_down(false);
    let then = NOW + RETRY_AFTER_FAILURE_SECS;
    verifier
        .verify(Some(&good_token(then)), &invoke(TENANT), then)
        .await
        .unwrap();

    // Nobody listening at all.
    let nowhere = crate::testing::refused_url().await;
    let verifier = BotRequestVerifier::new(APP_ID, TENANT, &format!("{nowhere}/openid")).unwrap();
    let err = verifier
        .verify(Some(&good_token(NOW)), &invoke(TENANT), NOW)
        .await
        .unwrap_err();
    assert!(matches!(err, VerifyRefusal::KeysUnavailable(_)), "{err:?}");
}

#[tokio::test]
async fn keys_held_survive_a_failed_refresh() {
    let server = bot_framework().await;
    let verifier = server.verifier();
    verifier.prefetch_keys(NOW).await.unwrap();
    server.set_down(true);
    // A day on, the keys are due for a refresh, which fails: the held ones still verify.
    let day = NOW + MAX_KEY_AGE_SECS;
    verifier
        .verify(Some(&good_token(day)), &invoke(TENANT), day)
        .await
        .unwrap();
    assert_eq!(server.metadata(), 2, "one refresh");
    // An unknown kid while down: a refusal (401), not "try again".
    let later = day + MIN_REFRESH_INTERVAL_SECS;
    let unknown = format!("Bearer {}", sign("k2", &claims(later), &keys().1));
    let err = verifier
        .verify(Some(&unknown), &invoke(TENANT), later)
        .await
        .unwrap_err();
    assert_eq!(err, VerifyRefusal::Unauthorized(BotAuthError::UnknownKey));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_requests_fetch_once() {
    let server = bot_framework().await;
    *server.delay.lock().unwrap() = Duration::from_millis(150);
    let verifier = Arc::new(server.verifier());
    let mut clicks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let v = verifier.clone();
        clicks.spawn(async move {
            v.verify(Some(&good_token(NOW)), &invoke(TENANT), NOW)
                .await
                .map(|_| ())
        });
    }
    while let Some(done) = clicks.join_next().await {
        done.unwrap().unwrap();
    }
    assert_eq!(server.metadata(), 1);
    assert_eq!(server.key_fetches.load(Ordering::SeqCst), 1);
}

#[test]
fn settings_name_the_bot_and_its_metadata_url() {
    let settings = |vars: &[(&str, &str)]| {
        Settings::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    };
    assert!(BotRequestVerifier::from_settings(&settings(&[]))
        .unwrap()
        .is_none());
    let app = ("TEAMS_BOT_APP_ID", APP_ID);
    let err = BotRequestVerifier::from_settings(&settings(&[app])).unwrap_err();
    assert!(err.to_string().contains("TEAMS_BOT_TENANT_ID"), "{err}");
    let tenant = ("TEAMS_BOT_TENANT_ID", TENANT);
    let verifier = BotRequestVerifier::from_settings(&settings(&[app, tenant]))
        .unwrap()
        .unwrap();
    assert_eq!(verifier.openid_url.as_str(), DEFAULT_OPENID_URL);
    assert_eq!(verifier.connection_url(), "https://login.botframework.com/");

    let local = ("TEAMS_BOT_OPENID_URL", "http://127.0.0.1:4010/openid");
    assert!(BotRequestVerifier::from_settings(&settings(&[app, tenant, local])).is_ok());
    let clear = ("TEAMS_BOT_OPENID_URL", "http://login.example/openid");
    let err = BotRequestVerifier::from_settings(&settings(&[app, tenant, clear])).unwrap_err();
    assert_eq!(err.name(), "Hitl.Config");
    assert!(err.to_string().contains("TEAMS_BOT_OPENID_URL"), "{err}");
}

#[test]
fn only_loopback_metadata_may_name_plain_http_keys() {
    let metadata = |jwks_uri: &str| {
        json!({
            "issuer": BOT_FRAMEWORK_ISSUER, "jwks_uri": jwks_uri,
            "id_token_signing_alg_values_supported": ["RS256"],
        })
        .to_string()
    };
    let local = metadata("http://127.0.0.1:4010/keys");
    assert!(OpenIdMetadata::from_loopback_json(local.as_bytes()).is_ok());
    assert!(OpenIdMetadata::from_json(local.as_bytes()).is_err());
    let elsewhere = metadata("http://keys.example/keys");
    assert!(OpenIdMetadata::from_loopback_json(elsewhere.as_bytes()).is_err());
}

/// The property tests over changed tokens and bodies.
mod props;
