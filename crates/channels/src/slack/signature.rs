//! Slack's v0 request signatures: `v0=hex(HMAC-SHA256(secret, "v0:{timestamp}:{raw body}"))`,
//! with the timestamp within 5 minutes of now. Every input is outside input: no value of the
//! headers can make the check panic or overflow.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Slack refuses requests older than this (replay window of its signature scheme).
pub const SIGNATURE_MAX_AGE_SECONDS: i64 = 5 * 60;

/// Why an interactivity request was refused (answered 401, never acted on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    Missing,
    Stale,
    Mismatch,
}

impl std::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SignatureError::Missing => "missing X-Slack-Signature or X-Slack-Request-Timestamp",
            SignatureError::Stale => "request timestamp outside the 5-minute window (replay?)",
            SignatureError::Mismatch => "signature does not match",
        })
    }
}

/// Checks Slack's v0 signature, with the timestamp within 5 minutes of `now`. The comparison
/// is constant-time; a timestamp too far from `now` to subtract is stale, never a panic.
pub fn verify_signature(
    signing_secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(SignatureError::Missing);
    };
    let sent_at: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::Missing)?;
    let age = now.checked_sub(sent_at).and_then(i64::checked_abs);
    if age.is_none_or(|age| age > SIGNATURE_MAX_AGE_SECONDS) {
        return Err(SignatureError::Stale);
    }
    // Slack sends lower-case hex: any other spelling is a changed signature, not the same one.
    let expected = signature
        .trim()
        .strip_prefix("v0=")
        .filter(|h| h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .and_then(|h| hex::decode(h).ok())
        .ok_or(SignatureError::Mismatch)?;
    signing_mac(signing_secret, timestamp.trim(), body)
        .verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// The `X-Slack-Signature` value Slack sends for `body` at `timestamp`.
pub fn sign(signing_secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mac = signing_mac(signing_secret, timestamp, body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

fn signing_mac(secret: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_timestamps_are_stale_not_a_panic() {
        let pairs = [
            (i64::MIN, 1_800_000_000),
            (i64::MIN, i64::MAX),
            (i64::MIN + 1, 0),
            (i64::MAX, i64::MIN),
            (i64::MAX, -1),
            (1_800_000_000, i64::MIN),
        ];
        for (sent_at, now) in pairs {
            let ts = sent_at.to_string();
            let sig = sign("s", &ts, b"x");
            assert_eq!(
                verify_signature("s", Some(&ts), Some(&sig), b"x", now),
                Err(SignatureError::Stale),
                "{ts} at {now}"
            );
        }
    }
}
