//! The Bot Framework's side of a request to a bot: the RSA key the stand-in signs its tokens
//! with, the OpenID metadata and JWKS that publish it, and the tokens themselves (RS256 JWTs
//! with `kid`, issuer `https://api.botframework.com`, audience the bot's app id, `nbf`/`exp`
//! an hour apart and the `serviceurl` claim), as Microsoft's connector signs them.
//!
//! The keys are generated when the stand-in starts (aws-lc-rs, already in the build through
//! rustls): nothing to commit, and a token of one run verifies in no other. A second key is
//! never published: a token signed with it, under the published key's `kid`, is a forgery the
//! bot must refuse.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

/// The issuer of every token the Bot Framework sends to a bot.
pub const ISSUER: &str = "https://api.botframework.com";
/// How long a token is valid (Microsoft's are issued for an hour).
pub const TOKEN_LIFETIME_SECS: i64 = 3600;
/// The channel the published key is endorsed for (Microsoft's JWKS lists it per key).
pub const ENDORSEMENT: &str = "msteams";

/// How a click's token is made: as Teams makes it, or one of the ways a forged or replayed
/// request would differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TokenVariant {
    /// Signed with the published key, for the bot, valid now.
    #[default]
    Valid,
    /// Signed with a key that is not published, under the published key's `kid`.
    OtherKey,
    /// Valid, but for another bot's app id.
    OtherAudience,
    /// Valid an hour ago, expired well beyond any clock skew.
    Expired,
    /// Valid; the activity comes from a user of another tenant.
    OtherTenant,
    /// No `Authorization` header at all.
    None,
}

/// One RSA key: its id and its public half as a JWK's `n` and `e`.
pub struct SigningKey {
    pub kid: String,
    pair: KeyPair,
    n: String,
    e: String,
}

impl SigningKey {
    /// A fresh 2048-bit key.
    pub fn generate() -> anyhow::Result<Self> {
        let pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| anyhow::anyhow!("cannot generate an RSA key"))?;
        let (n, e) = rsa_public_components(pair.public_key().as_ref())
            .ok_or_else(|| anyhow::anyhow!("cannot read the RSA public key"))?;
        Ok(SigningKey {
            kid: uuid::Uuid::new_v4().simple().to_string(),
            pair,
            n: URL_SAFE_NO_PAD.encode(n),
            e: URL_SAFE_NO_PAD.encode(e),
        })
    }

    /// The key as a JWKS entry, endorsed for Teams as Microsoft's are.
    pub fn jwk(&self) -> Value {
        json!({"kty": "RSA", "use": "sig", "kid": self.kid, "n": self.n, "e": self.e,
            "endorsements": [ENDORSEMENT]})
    }

    /// A compact RS256 JWT of `claims`, its header naming `kid`.
    pub fn sign(&self, kid: &str, claims: &Value) -> String {
        let header = json!({"alg": "RS256", "kid": kid, "typ": "JWT", "x5t": kid});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .expect("RSA signing with a key we generated");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

/// The stand-in's keys: the published one and the forger's.
pub struct BotSigner {
    pub published: SigningKey,
    pub other: SigningKey,
}

impl BotSigner {
    pub fn generate() -> anyhow::Result<Self> {
        Ok(BotSigner {
            published: SigningKey::generate()?,
            other: SigningKey::generate()?,
        })
    }

    /// `GET …/v1/.well-known/keys`.
    pub fn jwks(&self) -> Value {
        json!({"keys": [self.published.jwk()]})
    }

    /// `GET …/v1/.well-known/openidconfiguration`, its keys at `jwks_uri`.
    pub fn openid_metadata(jwks_uri: &str) -> Value {
        json!({
            "issuer": ISSUER,
            "authorization_endpoint": "https://invalid.botframework.com",
            "jwks_uri": jwks_uri,
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        })
    }

    /// The `Authorization` value of a request from the connector at `service_url` to the bot
    /// `app_id` at `now` (Unix seconds), made as `variant` says; None for [`TokenVariant::None`].
    pub fn authorization(
        &self,
        variant: TokenVariant,
        app_id: &str,
        service_url: &str,
        now: i64,
    ) -> Option<String> {
        let claims = token_claims(variant, app_id, service_url, now)?;
        let key = match variant {
            TokenVariant::OtherKey => &self.other,
            _ => &self.published,
        };
        Some(format!("Bearer {}", key.sign(&self.published.kid, &claims)))
    }
}

/// The claims Microsoft's connector puts in a token to a bot, as `variant` alters them.
pub fn token_claims(
    variant: TokenVariant,
    app_id: &str,
    service_url: &str,
    now: i64,
) -> Option<Value> {
    let issued = match variant {
        TokenVariant::None => return None,
        // Expired an hour ago: beyond the 5 minutes of clock skew a verifier allows.
        TokenVariant::Expired => now - 2 * TOKEN_LIFETIME_SECS,
        _ => now - 5,
    };
    let audience = match variant {
        TokenVariant::OtherAudience => uuid::Uuid::new_v4().to_string(),
        _ => app_id.to_string(),
    };
    Some(json!({
        "serviceurl": service_url,
        "nbf": issued,
        "exp": issued + TOKEN_LIFETIME_SECS,
        "iss": ISSUER,
        "aud": audience,
    }))
}

/// `n` and `e` of a DER `RSAPublicKey` (RFC 8017: `SEQUENCE { INTEGER n, INTEGER e }`),
/// big-endian without the sign byte.
fn rsa_public_components(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (sequence, _) = der_element(der, 0x30)?;
    let (n, rest) = der_element(sequence, 0x02)?;
    let (e, _) = der_element(rest, 0x02)?;
    let strip = |v: &[u8]| {
        let first = v.iter().position(|b| *b != 0).unwrap_or(v.len());
        v[first..].to_vec()
    };
    Some((strip(n), strip(e)))
}

/// The content of the DER element at the start of `input` if its tag is `tag`, and what
/// follows it.
fn der_element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = input.split_first()?;
    if first != tag {
        return None;
    }
    let (&len, rest) = rest.split_first()?;
    let (len, rest) = match len {
        short if short < 0x80 => (short as usize, rest),
        long => {
            let count = (long & 0x7f) as usize;
            if count == 0 || count > 4 || rest.len() < count {
                return None;
            }
            let value = rest[..count]
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | *b as usize);
            (value, &rest[count..])
        }
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

#[cfg(test)]
#[path = "signing_tests.rs"]
mod tests;
