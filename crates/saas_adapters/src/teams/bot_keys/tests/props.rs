//! Property tests: a changed byte of the token, or of what it binds in the body, is refused.

use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::Value;

use super::*;

/// A runtime, a loopback Bot Framework and a verifier that already holds its keys, shared by
/// every proptest case.
fn shared() -> &'static (tokio::runtime::Runtime, BotRequestVerifier) {
    static SHARED: OnceLock<(tokio::runtime::Runtime, BotRequestVerifier)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let verifier = rt.block_on(async {
            let server = bot_framework().await;
            let verifier = server.verifier();
            verifier.prefetch_keys(NOW).await.unwrap();
            verifier
        });
        (rt, verifier)
    })
}

fn verify_shared(authorization: &str, body: &[u8]) -> Result<Value, VerifyRefusal> {
    let (rt, verifier) = shared();
    rt.block_on(verifier.verify(Some(authorization), body, NOW))
}

/// The parts of the body the token binds: the serviceUrl, the channel and both tenant ids.
fn bound_ranges(body: &[u8]) -> Vec<std::ops::Range<usize>> {
    let text = std::str::from_utf8(body).unwrap();
    [SERVICE_URL, "\"msteams\"", TENANT]
        .iter()
        .flat_map(|needle| {
            text.match_indices(needle)
                .map(|(i, m)| i..i + m.len())
                .collect::<Vec<_>>()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// One byte changed anywhere in the token (header, claims, signature) is refused.
    #[test]
    fn a_changed_byte_of_the_token_is_refused(pick in any::<prop::sample::Index>(), delta in 1u8..=255) {
        let good = good_token(NOW);
        prop_assert!(verify_shared(&good, &invoke(TENANT)).is_ok());
        let start = "Bearer ".len();
        let i = start + pick.index(good.len() - start);
        let mut bytes = good.into_bytes();
        bytes[i] = bytes[i].wrapping_add(delta);
        let changed = String::from_utf8_lossy(&bytes);
        prop_assert!(verify_shared(&changed, &invoke(TENANT)).is_err(), "accepted a token changed at byte {}", i);
    }

    /// One byte changed in what the token binds in the body (serviceUrl, channel, tenant) is
    /// refused; a change elsewhere is either refused or comes back exactly as sent.
    #[test]
    fn a_changed_byte_of_the_body_is_refused_where_the_token_binds_it(pick in any::<prop::sample::Index>(), anywhere in any::<prop::sample::Index>(), delta in 1u8..=255) {
        let body = invoke(TENANT);
        let ranges = bound_ranges(&body);
        let bound: Vec<usize> = ranges.iter().flat_map(|r| r.clone()).collect();
        prop_assert_eq!(ranges.len(), 4);
        let i = bound[pick.index(bound.len())];
        let mut changed = body.clone();
        changed[i] = changed[i].wrapping_add(delta);
        prop_assert!(verify_shared(&good_token(NOW), &changed).is_err(), "accepted a body changed at byte {}", i);

        let j = anywhere.index(body.len());
        let mut changed = body;
        changed[j] = changed[j].wrapping_add(delta);
        if let Ok(activity) = verify_shared(&good_token(NOW), &changed) {
            prop_assert_eq!(activity, serde_json::from_slice::<Value>(&changed).unwrap());
        }
    }
}
