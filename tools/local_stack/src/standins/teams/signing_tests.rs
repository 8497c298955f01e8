//! The stand-in's tokens verify with the key it publishes (checked by the bot's own verifier
//! and by a bare RSA check), and each deliberate fault is refused for the reason it names.

use aws_lc_rs::signature::{RsaPublicKeyComponents, RSA_PKCS1_2048_8192_SHA256};
use saas_adapters::teams::bot_auth::{
    verify_token, ActivityIdentity, BotAuthError, KeySet, OpenIdMetadata,
};

use super::*;

const APP: &str = "app-1";
const SERVICE_URL: &str = "http://127.0.0.1:9/_standins/teams/bot/connector/";
const NOW: i64 = 1_800_000_000;

fn signer() -> BotSigner {
    BotSigner::generate().unwrap()
}

fn decode(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn token(signer: &BotSigner, variant: TokenVariant) -> String {
    let authorization = signer
        .authorization(variant, APP, SERVICE_URL, NOW)
        .unwrap();
    authorization.strip_prefix("Bearer ").unwrap().to_string()
}

fn activity(tenant: &str) -> ActivityIdentity {
    let body = json!({"serviceUrl": SERVICE_URL, "channelId": "msteams",
        "conversation": {"tenantId": tenant}, "channelData": {"tenant": {"id": tenant}}});
    ActivityIdentity::from_json(body.to_string().as_bytes()).unwrap()
}

/// What the bot's verifier says of a token of `variant`, with the stand-in's published keys.
fn verdict(signer: &BotSigner, variant: TokenVariant) -> Result<(), BotAuthError> {
    let keys = KeySet::from_jwks_json(signer.jwks().to_string().as_bytes(), NOW as u64).unwrap();
    verify_token(
        &token(signer, variant),
        &keys,
        APP,
        &activity("t"),
        NOW as u64,
    )
}

#[test]
fn the_metadata_and_keys_have_microsofts_shape_and_the_bots_reader_takes_them() {
    let signer = signer();
    let uri = "http://127.0.0.1:9/_standins/teams/bot/openid/v1/.well-known/keys";
    let metadata = BotSigner::openid_metadata(uri);
    assert_eq!(metadata["issuer"], "https://api.botframework.com");
    assert_eq!(
        metadata["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    let read = OpenIdMetadata::from_loopback_json(metadata.to_string().as_bytes()).unwrap();
    assert_eq!(read.jwks_uri, uri);

    let jwks = signer.jwks();
    let key = &jwks["keys"][0];
    assert_eq!(
        jwks["keys"].as_array().unwrap().len(),
        1,
        "the other key is never published"
    );
    assert_eq!(
        (key["kty"].as_str(), key["use"].as_str()),
        (Some("RSA"), Some("sig"))
    );
    assert_eq!(key["kid"], signer.published.kid.as_str());
    assert_eq!(key["endorsements"], json!(["msteams"]));
    // A 2048-bit modulus without a sign byte, the usual exponent 65537.
    let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
    assert_eq!((n.len(), n[0] & 0x80), (256, 0x80));
    assert_eq!(key["e"], "AQAB");
    let keys = KeySet::from_jwks_json(jwks.to_string().as_bytes(), 0).unwrap();
    assert!(keys.contains(&signer.published.kid));
}

#[test]
fn a_valid_token_carries_the_bot_framework_claims_and_verifies_with_the_published_key() {
    let signer = signer();
    let token = token(&signer, TokenVariant::Valid);
    let parts: Vec<&str> = token.split('.').collect();
    let header = decode(parts[0]);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["kid"], signer.published.kid.as_str());
    let claims = decode(parts[1]);
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], APP);
    assert_eq!(claims["serviceurl"], SERVICE_URL);
    let (nbf, exp) = (
        claims["nbf"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert!(nbf <= NOW && exp > NOW, "{claims}");
    assert_eq!(exp - nbf, TOKEN_LIFETIME_SECS);
    // A bare RSA check with the JWK's n and e, then the bot's own verifier.
    let jwk = signer.jwks()["keys"][0].clone();
    let component = |k: &str| URL_SAFE_NO_PAD.decode(jwk[k].as_str().unwrap()).unwrap();
    let public = RsaPublicKeyComponents {
        n: component("n"),
        e: component("e"),
    };
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    let signed = format!("{}.{}", parts[0], parts[1]);
    public
        .verify(&RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &signature)
        .unwrap();
    assert_eq!(verdict(&signer, TokenVariant::Valid), Ok(()));
}

#[test]
fn each_faulty_token_is_refused_for_its_own_reason() {
    let signer = signer();
    assert_eq!(
        verdict(&signer, TokenVariant::OtherKey),
        Err(BotAuthError::BadSignature)
    );
    assert_eq!(
        verdict(&signer, TokenVariant::OtherAudience),
        Err(BotAuthError::WrongAudience)
    );
    assert_eq!(
        verdict(&signer, TokenVariant::Expired),
        Err(BotAuthError::Expired)
    );
    // Another tenant's person: the token is valid, the activity names their tenant.
    assert_eq!(verdict(&signer, TokenVariant::OtherTenant), Ok(()));
    assert_eq!(
        activity("other").check_tenant("t"),
        Err(BotAuthError::OtherTenant)
    );
    assert!(signer
        .authorization(TokenVariant::None, APP, SERVICE_URL, NOW)
        .is_none());
    // The forged token names the published key, so the verifier cannot skip it as unknown.
    let forged = token(&signer, TokenVariant::OtherKey);
    assert_eq!(
        decode(forged.split('.').next().unwrap())["kid"],
        signer.published.kid.as_str()
    );
    let claims = |v| token_claims(v, APP, SERVICE_URL, NOW).unwrap();
    assert_ne!(claims(TokenVariant::OtherAudience)["aud"], APP);
    assert!(claims(TokenVariant::Expired)["exp"].as_i64().unwrap() < NOW - 300);
}

#[test]
fn a_der_public_key_is_read_with_short_and_long_lengths_and_garbage_is_refused() {
    // SEQUENCE { INTEGER 0x00 0xC5 0x01, INTEGER 0x03 }
    let short = [0x30, 0x08, 0x02, 0x03, 0x00, 0xC5, 0x01, 0x02, 0x01, 0x03];
    assert_eq!(
        rsa_public_components(&short),
        Some((vec![0xC5, 0x01], vec![0x03]))
    );
    let mut long = vec![0x30, 0x81, 0x87, 0x02, 0x81, 0x81, 0x00];
    long.extend([0xAB; 128]);
    long.extend([0x02, 0x01, 0x03]);
    let (n, e) = rsa_public_components(&long).unwrap();
    assert_eq!((n.len(), e), (128, vec![0x03]));
    for bad in [
        &[][..],
        &[0x31, 0x00],
        &[0x30, 0x05, 0x02, 0x09, 0x00],
        &[0x30, 0x80],
    ] {
        assert_eq!(rsa_public_components(bad), None, "{bad:?}");
    }
}
