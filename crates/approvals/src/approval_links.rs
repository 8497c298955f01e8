//! Signed, expiring approval links. A link carries the approval id, the decision, an expiry,
//! the signing key id and (for per-recipient links) the approver's index, all covered by an
//! HMAC-SHA256 signature. It never carries the task token.
//!
//! `https://api/decisions/{id}?d=approve&exp=1767225600&kid=k1&a=0&sig=...`

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::{approval::rfc3339, Decision, HitlError};

type HmacSha256 = Hmac<Sha256>;

/// Minimum secret length: 32 bytes keeps brute force out of reach for HMAC-SHA256.
pub const MIN_SECRET_LEN: usize = 32;

/// Signs with the first configured key; verifies with any configured key (rotation).
#[derive(Clone)]
pub struct LinkSigner {
    keys: Vec<(String, Vec<u8>)>,
}

impl std::fmt::Debug for LinkSigner {
    // Never print secrets, only key ids.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("LinkSigner").field("key_ids", &ids).finish()
    }
}

/// The fields of a link as they arrive (query string on GET, form fields on POST).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkParams {
    pub decision: Option<String>,
    pub expires_at: Option<String>,
    pub key_id: Option<String>,
    pub approver_index: Option<String>,
    pub signature: Option<String>,
}

impl LinkParams {
    /// Reads `d`, `exp`, `kid`, `a` and `sig` from `application/x-www-form-urlencoded` text
    /// (a query string or a form body). Other fields are ignored.
    pub fn from_urlencoded(text: &str) -> Self {
        let mut params = LinkParams::default();
        for (key, value) in form_urlencoded::parse(text.as_bytes()) {
            let slot = match key.as_ref() {
                "d" => &mut params.decision,
                "exp" => &mut params.expires_at,
                "kid" => &mut params.key_id,
                "a" => &mut params.approver_index,
                "sig" => &mut params.signature,
                _ => continue,
            };
            *slot = Some(value.into_owned());
        }
        params
    }

    /// The same fields, encoded again (used for the confirmation form's hidden inputs).
    pub fn fields(&self) -> Vec<(&'static str, &str)> {
        [
            ("d", &self.decision),
            ("exp", &self.expires_at),
            ("kid", &self.key_id),
            ("a", &self.approver_index),
            ("sig", &self.signature),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
        .collect()
    }
}

/// A link whose signature checked out and which has not expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedLink {
    pub approval_id: String,
    pub decision: Decision,
    pub expires_at: i64,
    pub approver_index: Option<usize>,
}

impl LinkSigner {
    /// Parses `kid:secret[,kid:secret...]`; the first key signs. A short form for tests and
    /// benchmarks; deployed functions read the key ring secret ([`crate::key_ring`]), where a
    /// key may hold any bytes.
    pub fn from_config(config: &str) -> Result<Self, HitlError> {
        let mut keys = Vec::new();
        for entry in config.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (kid, secret) = entry.split_once(':').ok_or_else(|| {
                HitlError::Config("signing keys must look like kid:secret".into())
            })?;
            keys.push((kid.to_string(), secret.as_bytes().to_vec()));
        }
        Self::from_keys(keys)
    }

    /// The keys in order: the first signs, every one verifies. Ids are letters, digits, `-`
    /// or `_` (they travel in links); a key is any bytes, at least [`MIN_SECRET_LEN`] of them.
    /// Errors name the key id, never its bytes.
    pub fn from_keys(keys: Vec<(String, Vec<u8>)>) -> Result<Self, HitlError> {
        for (kid, secret) in &keys {
            if kid.is_empty()
                || !kid
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(HitlError::Config(format!(
                    "signing key id {kid:?} must be letters, digits, - or _"
                )));
            }
            if secret.len() < MIN_SECRET_LEN {
                return Err(HitlError::Config(format!(
                    "signing key {kid} is shorter than {MIN_SECRET_LEN} bytes"
                )));
            }
            if keys.iter().filter(|(other, _)| other == kid).count() > 1 {
                return Err(HitlError::Config(format!(
                    "signing key id {kid} is used twice"
                )));
            }
        }
        if keys.is_empty() {
            return Err(HitlError::Config("no signing key is configured".into()));
        }
        Ok(LinkSigner { keys })
    }

    /// The ids of the keys that verify, the signing key first.
    pub fn key_ids(&self) -> Vec<&str> {
        self.keys.iter().map(|(id, _)| id.as_str()).collect()
    }

    pub fn active_key_id(&self) -> &str {
        &self.keys[0].0
    }

    fn mac(
        secret: &[u8],
        approval_id: &str,
        decision: &str,
        exp: &str,
        approver: &str,
    ) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
        // Newline-separated so no field can run into the next one.
        for part in ["hitl-link-v1", approval_id, decision, exp, approver] {
            mac.update(part.as_bytes());
            mac.update(b"\n");
        }
        mac
    }

    /// The full URL of one decision link.
    pub fn link_url(
        &self,
        base_url: &str,
        approval_id: &str,
        decision: Decision,
        expires_at: i64,
        approver_index: Option<usize>,
    ) -> String {
        let (kid, secret) = &self.keys[0];
        let exp = expires_at.to_string();
        let approver = approver_index.map(|i| i.to_string()).unwrap_or_default();
        let sig = Self::mac(secret, approval_id, decision.as_str(), &exp, &approver)
            .finalize()
            .into_bytes();
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("d", decision.as_str());
        query.append_pair("exp", &exp);
        query.append_pair("kid", kid);
        if !approver.is_empty() {
            query.append_pair("a", &approver);
        }
        query.append_pair("sig", &URL_SAFE_NO_PAD.encode(sig));
        format!(
            "{}/decisions/{}?{}",
            base_url.trim_end_matches('/'),
            approval_id,
            query.finish()
        )
    }

    /// Checks the signature only; the caller then answers an expired link itself, before any
    /// store call (it decides nothing, so it costs nothing).
    pub fn verify_signature(
        &self,
        approval_id: &str,
        params: &LinkParams,
    ) -> Result<SignedLink, HitlError> {
        self.verify(approval_id, params, i64::MIN)
    }

    /// The key `kid` names, or why a link signed with it no longer works.
    fn key(&self, kid: &str) -> Result<&[u8], HitlError> {
        self.keys
            .iter()
            .find(|(id, _)| id == kid)
            .map(|(_, key)| key.as_ref())
            .ok_or_else(|| {
                HitlError::InvalidLink(format!(
                    "it was signed with key {kid:?}, which has been retired (or never existed); ask the requester to send the request again"
                ))
            })
    }

    /// Checks the signature first (so a forged expiry is reported as forged), then the expiry.
    pub fn verify(
        &self,
        approval_id: &str,
        params: &LinkParams,
        now: i64,
    ) -> Result<SignedLink, HitlError> {
        let missing = |field: &str| HitlError::InvalidLink(format!("the link has no {field}"));
        let decision = params
            .decision
            .as_deref()
            .ok_or_else(|| missing("decision"))?;
        let exp = params
            .expires_at
            .as_deref()
            .ok_or_else(|| missing("expiry"))?;
        let kid = params.key_id.as_deref().ok_or_else(|| missing("key id"))?;
        let sig = params
            .signature
            .as_deref()
            .ok_or_else(|| missing("signature"))?;
        let approver = params.approver_index.as_deref().unwrap_or("");

        let secret = self.key(kid)?;
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| HitlError::InvalidLink("the signature is malformed".into()))?;
        // verify_slice compares in constant time.
        Self::mac(secret, approval_id, decision, exp, approver)
            .verify_slice(&sig)
            .map_err(|_| HitlError::InvalidLink("the signature does not match".into()))?;

        // approve, reject or a button's own value; whether this request has that button is
        // checked against its record.
        let decision = crate::buttons::link_decision(decision)?;
        let expires_at: i64 = exp
            .parse()
            .map_err(|_| HitlError::InvalidLink("the expiry is malformed".into()))?;
        let approver_index = match approver {
            "" => None,
            a => Some(
                a.parse()
                    .map_err(|_| HitlError::InvalidLink("the approver is malformed".into()))?,
            ),
        };
        if now >= expires_at {
            return Err(HitlError::Expired(rfc3339(expires_at)));
        }
        Ok(SignedLink {
            approval_id: approval_id.to_string(),
            decision,
            expires_at,
            approver_index,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "k1:0123456789abcdef0123456789abcdef";

    fn params_of(url: &str) -> (String, LinkParams) {
        let (path, query) = url.split_once('?').unwrap();
        let id = path.rsplit('/').next().unwrap().to_string();
        (id, LinkParams::from_urlencoded(query))
    }

    #[test]
    fn a_signed_link_verifies() {
        let signer = LinkSigner::from_config(KEY).unwrap();
        let url = signer.link_url(
            "https://api.test/",
            "abc",
            Decision::Approve,
            2_000,
            Some(1),
        );
        assert!(
            url.starts_with("https://api.test/decisions/abc?d=approve&exp=2000&kid=k1&a=1&sig=")
        );
        let (id, params) = params_of(&url);
        let link = signer.verify(&id, &params, 1_000).unwrap();
        assert_eq!(link.decision, Decision::Approve);
        assert_eq!(link.approver_index, Some(1));
    }

    #[test]
    fn every_tampered_field_is_refused() {
        let signer = LinkSigner::from_config(KEY).unwrap();
        let url = signer.link_url("https://api.test", "abc", Decision::Reject, 2_000, None);
        let (id, params) = params_of(&url);
        let tamper = [
            LinkParams {
                decision: Some("approve".into()),
                ..params.clone()
            },
            LinkParams {
                expires_at: Some("999999".into()),
                ..params.clone()
            },
            LinkParams {
                approver_index: Some("0".into()),
                ..params.clone()
            },
            LinkParams {
                signature: Some("AAAA".into()),
                ..params.clone()
            },
            LinkParams {
                signature: Some("!!".into()),
                ..params.clone()
            },
        ];
        for p in tamper {
            let err = signer.verify(&id, &p, 1_000).unwrap_err();
            assert_eq!(err.name(), "Hitl.InvalidLink", "{p:?}");
        }
        let err = signer.verify("abd", &params, 1_000).unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidLink");
    }

    #[test]
    fn expired_links_are_refused_after_the_signature_check() {
        let signer = LinkSigner::from_config(KEY).unwrap();
        let (id, params) = params_of(&signer.link_url("h", "abc", Decision::Approve, 2_000, None));
        assert_eq!(
            signer.verify(&id, &params, 2_000).unwrap_err().name(),
            "Hitl.Expired"
        );
    }

    #[test]
    fn rotation_keeps_old_links_valid_and_signs_with_the_first_key() {
        let old = LinkSigner::from_config(KEY).unwrap();
        let url = old.link_url("h", "abc", Decision::Approve, 2_000, None);
        let rotated = LinkSigner::from_config(
            "k2:ffffffffffffffffffffffffffffffff,k1:0123456789abcdef0123456789abcdef",
        )
        .unwrap();
        let (id, params) = params_of(&url);
        assert!(rotated.verify(&id, &params, 1_000).is_ok());
        assert!(rotated
            .link_url("h", "abc", Decision::Approve, 2_000, None)
            .contains("kid=k2"));
        let retired = LinkSigner::from_config("k2:ffffffffffffffffffffffffffffffff").unwrap();
        assert!(retired
            .verify(&id, &params, 1_000)
            .unwrap_err()
            .to_string()
            .contains("which has been retired"));
    }

    #[test]
    fn configuration_is_checked_and_secrets_never_printed() {
        assert!(LinkSigner::from_config("").is_err());
        assert!(LinkSigner::from_config("k1:short").is_err());
        assert!(LinkSigner::from_config("no-colon").is_err());
        let signer = LinkSigner::from_config(KEY).unwrap();
        assert!(!format!("{signer:?}").contains("0123456789abcdef"));
    }
}
