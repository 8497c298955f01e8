//! Tokens signed here with generated RSA keys, checked as the Bot Connector's would be.

use std::sync::OnceLock;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;

const APP_ID: &str = "3b9a5f2e-0000-4000-8000-00000000b07a";
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const SERVICE_URL: &str = "https://smba.trafficmanager.net/emea/";
const NOW: u64 = 1_800_000_000;

/// Two generated keys: the published one and another; generating is slow, so once.
fn keys() -> &'static (RsaKeyPair, RsaKeyPair) {
    static KEYS: OnceLock<(RsaKeyPair, RsaKeyPair)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let gen = || RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        (gen(), gen())
    })
}

fn jwk(key: &RsaKeyPair, kid: &str, endorsements: &[&str]) -> Value {
    let public = key.public_key();
    json!({
        "kty": "RSA", "use": "sig", "kid": kid, "x5t": kid,
        "n": B64.encode(public.modulus().big_endian_without_leading_zero()),
        "e": B64.encode(public.exponent().big_endian_without_leading_zero()),
        "endorsements": endorsements,
    })
}

fn key_set() -> KeySet {
    let jwks = json!({ "keys": [jwk(&keys().0, "good", &["msteams", "webchat"])] });
    KeySet::from_jwks_json(jwks.to_string().as_bytes(), NOW).unwrap()
}

fn good_claims() -> Value {
    json!({
        "iss": BOT_FRAMEWORK_ISSUER, "aud": APP_ID, "serviceurl": SERVICE_URL,
        "nbf": NOW - 60, "exp": NOW + 3600,
    })
}

fn rs256(header: &Value, claims: &Value, key: &RsaKeyPair) -> String {
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let mut sig = vec![0; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        input.as_bytes(),
        &mut sig,
    )
    .unwrap();
    format!("{input}.{}", B64.encode(sig))
}

fn token(claims: &Value) -> String {
    rs256(
        &json!({"alg": "RS256", "typ": "JWT", "kid": "good"}),
        claims,
        &keys().0,
    )
}

fn activity() -> ActivityIdentity {
    ActivityIdentity {
        service_url: SERVICE_URL.into(),
        channel_id: "msteams".into(),
        tenant_id: Some(TENANT.into()),
    }
}

fn verify(token: &str) -> Result<(), BotAuthError> {
    verify_token(token, &key_set(), APP_ID, &activity(), NOW)
}

fn with(field: &str, value: Value) -> Value {
    let mut claims = good_claims();
    claims[field] = value;
    claims
}

#[test]
fn a_good_token_passes() {
    assert_eq!(verify(&token(&good_claims())), Ok(()));
    // Within the skew on both ends.
    assert_eq!(verify(&token(&with("exp", json!(NOW - 299)))), Ok(()));
    assert_eq!(verify(&token(&with("nbf", json!(NOW + 299)))), Ok(()));
}

#[test]
fn a_token_from_another_key_or_an_unknown_kid_is_refused() {
    let header = json!({"alg": "RS256", "kid": "good"});
    let other = rs256(&header, &good_claims(), &keys().1);
    assert_eq!(verify(&other), Err(BotAuthError::BadSignature));
    let unknown = rs256(
        &json!({"alg": "RS256", "kid": "nope"}),
        &good_claims(),
        &keys().0,
    );
    assert_eq!(verify(&unknown), Err(BotAuthError::UnknownKey));
    let no_kid = rs256(&json!({"alg": "RS256"}), &good_claims(), &keys().0);
    assert_eq!(verify(&no_kid), Err(BotAuthError::MissingKeyId));
}

#[test]
fn wrong_issuer_audience_or_service_url_is_refused() {
    let t = token(&with("iss", json!("https://sts.windows.net/x/")));
    assert_eq!(verify(&t), Err(BotAuthError::WrongIssuer));
    assert_eq!(
        verify(&token(&with("aud", json!("another-app")))),
        Err(BotAuthError::WrongAudience)
    );
    let t = token(&with("serviceurl", json!("https://evil.example/")));
    assert_eq!(verify(&t), Err(BotAuthError::ServiceUrlMismatch));
    let mut claims = good_claims();
    claims.as_object_mut().unwrap().remove("serviceurl");
    assert_eq!(
        verify(&token(&claims)),
        Err(BotAuthError::MissingClaim("serviceurl".into()))
    );
}

#[test]
fn times_beyond_the_skew_are_refused() {
    assert_eq!(
        verify(&token(&with("exp", json!(NOW - 301)))),
        Err(BotAuthError::Expired)
    );
    assert_eq!(
        verify(&token(&with("nbf", json!(NOW + 301)))),
        Err(BotAuthError::NotYetValid)
    );
    let mut claims = good_claims();
    claims.as_object_mut().unwrap().remove("exp");
    assert!(verify(&token(&claims)).is_err());
}

#[test]
fn alg_none_and_hs256_with_the_public_key_are_refused() {
    let body = B64.encode(good_claims().to_string());
    let none = format!("{}.{body}.", B64.encode(r#"{"alg":"none","kid":"good"}"#));
    assert!(matches!(
        verify(&none),
        Err(BotAuthError::Malformed | BotAuthError::WrongAlgorithm(_))
    ));

    let input = format!("{}.{body}", B64.encode(r#"{"alg":"HS256","kid":"good"}"#));
    let secret =
        aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, keys().0.public_key().as_ref());
    let mac = aws_lc_rs::hmac::sign(&secret, input.as_bytes());
    let hs = format!("{input}.{}", B64.encode(mac.as_ref()));
    assert_eq!(
        verify(&hs),
        Err(BotAuthError::WrongAlgorithm("HS256".into()))
    );
}

#[test]
fn a_key_not_endorsed_for_the_channel_is_refused() {
    let mut other_channel = activity();
    other_channel.channel_id = "slack".into();
    let t = token(&good_claims());
    let refused = verify_token(&t, &key_set(), APP_ID, &other_channel, NOW);
    assert_eq!(refused, Err(BotAuthError::KeyNotEndorsed));
}

#[test]
fn a_key_without_endorsements_is_refused() {
    let mut bare = jwk(&keys().0, "good", &[]);
    bare.as_object_mut().unwrap().remove("endorsements");
    let jwks = json!({ "keys": [bare] });
    let set = KeySet::from_jwks_json(jwks.to_string().as_bytes(), NOW).unwrap();
    let t = token(&good_claims());
    let refused = verify_token(&t, &set, APP_ID, &activity(), NOW);
    assert_eq!(refused, Err(BotAuthError::KeyNotEndorsed));
}

#[test]
fn only_teams_activities_count_even_from_an_endorsed_key() {
    // Web Chat and Direct Line share the bot's keys; their clients write `from` themselves.
    let mut web_chat = activity();
    web_chat.channel_id = "webchat".into();
    let t = token(&good_claims());
    let refused = verify_token(&t, &key_set(), APP_ID, &web_chat, NOW);
    assert_eq!(refused, Err(BotAuthError::NotTeams("webchat".into())));
}

#[test]
fn the_tenant_is_read_from_either_place_and_must_be_ours() {
    let read = |v: Value| ActivityIdentity::from_json(v.to_string().as_bytes());
    let base = json!({"type": "invoke", "serviceUrl": SERVICE_URL, "channelId": "msteams"});
    let mut personal = base.clone();
    personal["channelData"] = json!({"tenant": {"id": TENANT}});
    assert_eq!(read(personal).unwrap().check_tenant(TENANT), Ok(()));
    let mut channel = base.clone();
    channel["conversation"] = json!({"id": "19:x", "tenantId": "another"});
    assert_eq!(
        read(channel).unwrap().check_tenant(TENANT),
        Err(BotAuthError::OtherTenant)
    );
    assert_eq!(
        read(base.clone()).unwrap().check_tenant(TENANT),
        Err(BotAuthError::NoTenant)
    );
    let mut both = base;
    both["conversation"] = json!({"tenantId": TENANT});
    both["channelData"] = json!({"tenant": {"id": "another"}});
    assert_eq!(read(both), Err(BotAuthError::ConflictingTenants));
}

#[test]
fn metadata_and_key_sets_are_read_strictly() {
    let meta = json!({
        "issuer": BOT_FRAMEWORK_ISSUER,
        "jwks_uri": "https://login.botframework.com/v1/.well-known/keys",
        "id_token_signing_alg_values_supported": ["RS256"],
    });
    let read = OpenIdMetadata::from_json(meta.to_string().as_bytes()).unwrap();
    assert_eq!(
        read.jwks_uri,
        "https://login.botframework.com/v1/.well-known/keys"
    );
    let mut other = meta;
    other["issuer"] = json!("https://evil.example");
    let refused = OpenIdMetadata::from_json(other.to_string().as_bytes());
    assert_eq!(refused, Err(BotAuthError::BadKeyDocument));
    let empty = KeySet::from_jwks_json(br#"{"keys":[]}"#, NOW);
    assert!(matches!(empty, Err(BotAuthError::BadKeyDocument)));
}

#[test]
fn an_unknown_kid_refreshes_the_keys_at_most_every_five_minutes() {
    let keys = key_set();
    assert!(!keys.needs_refresh(Some("good"), NOW + 60));
    assert!(!keys.needs_refresh(Some("new"), NOW + 60));
    assert!(keys.needs_refresh(Some("new"), NOW + MIN_REFRESH_INTERVAL_SECS));
    assert!(!keys.needs_refresh(None, NOW + MIN_REFRESH_INTERVAL_SECS));
    assert!(keys.needs_refresh(Some("good"), NOW + MAX_KEY_AGE_SECS));
    assert_eq!(token_kid(&token(&good_claims())).as_deref(), Some("good"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any one byte changed in the payload or the signature (as sent, base64url) is refused.
    #[test]
    fn a_changed_byte_is_refused(pick in any::<prop::sample::Index>(), delta in 1u8..=255) {
        let good = token(&good_claims());
        let payload_start = good.find('.').unwrap() + 1;
        let i = payload_start + pick.index(good.len() - payload_start);
        let mut bytes = good.into_bytes();
        if bytes[i] == b'.' {
            return Ok(());
        }
        bytes[i] = bytes[i].wrapping_add(delta);
        let changed = String::from_utf8_lossy(&bytes);
        prop_assert!(verify(&changed).is_err(), "accepted a token changed at byte {}", i);
    }

    /// Arbitrary text never panics the token or activity parsers.
    #[test]
    fn arbitrary_input_never_panics(s in ".{0,400}", parts in prop::collection::vec("[A-Za-z0-9_-]{0,80}", 0..5)) {
        let _ = verify(&s);
        let _ = verify(&parts.join("."));
        let _ = token_kid(&s);
        let _ = ActivityIdentity::from_json(s.as_bytes());
        let _ = KeySet::from_jwks_json(s.as_bytes(), NOW);
        let _ = OpenIdMetadata::from_json(s.as_bytes());
    }
}

/// Microsoft's own examples: personal chats carry the tenant only in channelData.
#[test]
fn microsofts_example_activities_are_read() {
    let read = |json: &[u8]| ActivityIdentity::from_json(json).unwrap();
    let personal = read(include_bytes!(
        "../../../../../tests/fixtures/vendors/botframework/conversation-update-personal-install.json"
    ));
    assert_eq!(personal.tenant_id.as_deref(), Some("<TENANT ID>"));
    assert_eq!(
        personal.service_url,
        "https://smba.trafficmanager.net/amer-client-ss.msg/"
    );
    let team = read(include_bytes!(
        "../../../../../tests/fixtures/vendors/botframework/conversation-update-team-install.json"
    ));
    assert_eq!(
        team.check_tenant("B28FDBFD-2b78-4f93-b0f8-8881793f0f8f"),
        Ok(())
    );
    let message = read(include_bytes!(
        "../../../../../tests/fixtures/vendors/botframework/message-received.json"
    ));
    assert_eq!(message.check_tenant(TENANT), Ok(()));
    assert_eq!(message.channel_id, "msteams");
}
