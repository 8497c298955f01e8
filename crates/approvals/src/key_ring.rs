//! The link signing keys as their secret holds them: a current key, which signs, and an
//! optional previous one, which still verifies (rotation without breaking live links).
//!
//! ```json
//! {"currentKeyId": "k2", "currentKey": "<any text>",
//!  "previousKeyId": "k1", "previousKey": "<any text>"}
//! ```
//! A key is any bytes: text as it is (commas, colons, quotes and all), or binary as
//! `currentKeyBase64` / `previousKeyBase64`. Errors name fields and key ids, never key bytes.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;

use crate::input::strict::{closest, read_unknown_field};
use crate::{HitlError, LinkSigner};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyRingDoc {
    current_key_id: String,
    current_key: Option<String>,
    current_key_base64: Option<String>,
    previous_key_id: Option<String>,
    previous_key: Option<String>,
    previous_key_base64: Option<String>,
}

const SHAPE: &str =
    r#"{"currentKeyId": "k2", "currentKey": "...", "previousKeyId": "k1", "previousKey": "..."}"#;

fn invalid(what: String) -> HitlError {
    HitlError::Config(format!(
        "the link signing key secret {what}; it must look like {SHAPE}"
    ))
}

/// One key from its text or base64 form (exactly one of them).
fn key_bytes(
    role: &str,
    text: Option<String>,
    base64: Option<String>,
) -> Result<Option<Vec<u8>>, HitlError> {
    match (text, base64) {
        (Some(_), Some(_)) => Err(invalid(format!("has both {role}Key and {role}KeyBase64"))),
        (Some(text), None) => Ok(Some(text.into_bytes())),
        (None, Some(encoded)) => STANDARD
            .decode(encoded.trim())
            .map(Some)
            .map_err(|_| invalid(format!("has a {role}KeyBase64 that is not base64"))),
        (None, None) => Ok(None),
    }
}

/// "has the unknown field `curentKey`; did you mean `currentKey`?": a typo in a rotation is
/// named with the field meant, like a typo in a Task's input.
fn unknown_key_field(field: &str, known: &[String]) -> String {
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    match closest(field, &known) {
        Some(name) => format!("has the unknown field `{field}`; did you mean `{name}`?"),
        None => format!("has the unknown field `{field}`"),
    }
}

/// Reads the key ring secret (its `SecretString`, or a `SecretBinary` holding the same JSON).
pub fn parse_key_ring(secret: &[u8]) -> Result<LinkSigner, HitlError> {
    // serde's messages can quote the offending value; only the position is repeated.
    let doc: KeyRingDoc = serde_json::from_slice(secret).map_err(|e| {
        invalid(match read_unknown_field(&e.to_string()) {
            Some((field, known)) => unknown_key_field(&field, &known),
            None => format!(
                "is not readable JSON (line {} column {})",
                e.line(),
                e.column()
            ),
        })
    })?;
    let current = key_bytes("current", doc.current_key, doc.current_key_base64)?
        .ok_or_else(|| invalid("has no currentKey".into()))?;
    let mut keys = vec![(doc.current_key_id, current)];
    let previous = key_bytes("previous", doc.previous_key, doc.previous_key_base64)?;
    match (doc.previous_key_id, previous) {
        (Some(id), Some(key)) => keys.push((id, key)),
        (None, None) => {}
        _ => {
            return Err(invalid(
                "has only one of previousKeyId and previousKey".into(),
            ))
        }
    }
    LinkSigner::from_keys(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approval_links::LinkParams;
    use crate::Decision;
    use serde_json::json;

    const OLD: &str = "old key, with: commas \"quotes\" and colons, 32+ bytes long";
    const NEW: &str = "new key; also any text at all, and long enough to use";

    fn ring(value: serde_json::Value) -> Result<LinkSigner, HitlError> {
        parse_key_ring(value.to_string().as_bytes())
    }

    fn link_of(signer: &LinkSigner) -> (String, LinkParams) {
        let url = signer.link_url("https://h", "abc", Decision::Approve, 2_000, None);
        let (path, query) = url.split_once('?').unwrap();
        (
            path.rsplit('/').next().unwrap().to_string(),
            LinkParams::from_urlencoded(query),
        )
    }

    #[test]
    fn any_text_is_a_key_and_the_previous_key_still_verifies() {
        let before = ring(json!({"currentKeyId": "k1", "currentKey": OLD})).unwrap();
        let (id, params) = link_of(&before);
        let after = ring(json!({"currentKeyId": "k2", "currentKey": NEW,
                                "previousKeyId": "k1", "previousKey": OLD}))
        .unwrap();
        assert_eq!(after.key_ids(), ["k2", "k1"]);
        assert!(after.verify(&id, &params, 1_000).is_ok());
        assert!(link_of(&after).1.key_id.as_deref() == Some("k2"));
        let removed = ring(json!({"currentKeyId": "k2", "currentKey": NEW})).unwrap();
        let err = removed.verify(&id, &params, 1_000).unwrap_err();
        assert!(
            err.to_string().contains("\"k1\", which has been retired"),
            "{err}"
        );
    }

    #[test]
    fn binary_keys_come_as_base64() {
        let bytes: Vec<u8> = (0..=255u8).collect();
        let signer =
            ring(json!({"currentKeyId": "k1", "currentKeyBase64": STANDARD.encode(&bytes)}))
                .unwrap();
        let (id, params) = link_of(&signer);
        assert!(signer.verify(&id, &params, 1_000).is_ok());
    }

    #[test]
    fn bad_rings_are_refused_without_repeating_key_bytes() {
        let cases = [
            json!({"currentKeyId": "k1"}),
            json!({"currentKeyId": "k1", "currentKey": "short secret value"}),
            json!({"currentKeyId": "k 1", "currentKey": OLD}),
            json!({"currentKeyId": "k1", "currentKey": OLD, "previousKey": NEW}),
            json!({"currentKeyId": "k1", "currentKey": OLD, "previousKeyId": "k1", "previousKey": NEW}),
            json!({"currentKeyId": "k1", "currentKey": OLD, "currentKeyBase64": "AAAA"}),
            json!({"currentKeyId": "k1", "currentKeyBase64": "not base64 at all!"}),
            json!({"currentKeyId": "k1", "currentKey": 12345678901234567890u64}),
            json!({"currentKeyId": "k1", "curentKey": OLD}),
        ];
        for case in cases {
            let err = ring(case.clone()).unwrap_err();
            assert_eq!(err.name(), "Hitl.Config", "{case}");
            let text = err.to_string();
            for secret in [OLD, NEW, "short secret value", "12345678901234567890"] {
                assert!(!text.contains(secret), "{text}");
            }
        }
        let err = ring(json!({"currentKeyId": "k1", "curentKey": OLD})).unwrap_err();
        assert!(
            err.to_string()
                .contains("has the unknown field `curentKey`; did you mean `currentKey`?"),
            "{err}"
        );
        let err = ring(json!({"currentKeyId": "k1", "currentKey": OLD, "rotatedAt": 1}));
        let err = err.unwrap_err().to_string();
        assert!(
            err.contains("has the unknown field `rotatedAt`; it must"),
            "{err}"
        );
        let err = parse_key_ring(b"k1:abc,def").unwrap_err().to_string();
        assert!(!err.contains("abc"), "{err}");
    }
}
