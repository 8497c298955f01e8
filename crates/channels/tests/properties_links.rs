//! Property tests of the link parsers (query string on GET, confirmation form on POST): no
//! input makes them panic, and no link with any byte changed (signature, id, decision,
//! expiry, approver index, key id) is ever accepted.

use approvals::approval_links::LinkParams;
use approvals::ports::ApprovalStore;
use approvals::testing::{FakeResumer, FakeStore};
use approvals::use_cases::{decide, view_link, ClientInfo, LinkView};
use approvals::{ApprovalRecord, Channel, Decision, LinkSigner};
use proptest::prelude::*;

const NOW: i64 = 1_800_000_000;
const KEYS: &str = "k1:0123456789abcdef0123456789abcdef,old:fedcba9876543210fedcba9876543210";

fn signer() -> LinkSigner {
    LinkSigner::from_config(KEYS).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

/// A store holding "appr-1" (with two approvers) and "open-1" (anyone with a link).
fn store() -> FakeStore {
    let store = FakeStore::default();
    let rt = runtime();
    let mut restricted =
        ApprovalRecord::new("appr-1", "t".into(), Channel::Email, NOW, NOW + 600, 1);
    restricted.approvers = vec!["a@example.com".into(), "b@example.com".into()];
    let open = ApprovalRecord::new("open-1", "t".into(), Channel::Email, NOW, NOW + 600, 1);
    rt.block_on(async {
        store.create(&restricted).await.unwrap();
        store.create(&open).await.unwrap();
    });
    store
}

/// Text that looks like a query or form body: our field names, `&`, `=`, `%` escapes, and
/// anything else.
fn urlencoded() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("d=".to_string()),
        Just("exp=".to_string()),
        Just("kid=".to_string()),
        Just("a=".to_string()),
        Just("sig=".to_string()),
        Just("comment=".to_string()),
        Just("name=".to_string()),
        Just("&".to_string()),
        Just("%".to_string()),
        Just("%FF%00".to_string()),
        Just("+".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<String>(),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|p| p.concat())
}

proptest! {
    #[test]
    fn link_parsing_never_panics_on_any_text(text in any::<String>(), query in urlencoded()) {
        let _ = LinkParams::from_urlencoded(&text);
        let params = LinkParams::from_urlencoded(&query);
        let _ = params.fields();
        let _ = signer().verify("appr-1", &params, NOW);
        let _ = signer().verify_signature("appr-1", &params);
    }

    #[test]
    fn get_and_post_never_panic_and_never_decide_on_unsigned_input(
        query in urlencoded(),
        id in prop_oneof![Just("appr-1".to_string()), Just("open-1".to_string()), any::<String>()],
    ) {
        let store = store();
        let resumer = FakeResumer::default();
        let rt = runtime();
        let signer = signer();
        let client = ClientInfo { source_ip: Some(query.clone()), user_agent: Some(query.clone()) };
        let (get, post) = rt.block_on(async {
            let get = view_link(&id, &query, &signer, &store, NOW).await;
            let post = decide(&id, &query, client, &signer, &store, &resumer, NOW).await;
            (get, post)
        });
        prop_assert!(!matches!(get, LinkView::Confirm { .. }), "{:?}", get);
        prop_assert!(!matches!(post, LinkView::Recorded { .. }), "{:?}", post);
        let _ = channels::pages::render(&get);
        let _ = channels::pages::render(&post);
    }
}

/// A link's parts as the Decision API sees them: the id from the path, the rest as fields.
#[derive(Debug, Clone)]
struct Parts {
    id: String,
    params: LinkParams,
}

/// How a byte is changed: to any byte, or to one that a lenient parser might take for the same
/// (the other letter case, a neighbour, a space, a `+`, a `0`).
type Change = fn(u8) -> u8;

fn byte_change() -> impl Strategy<Value = Change> {
    prop_oneof![
        Just(
            (|b: u8| if b.is_ascii_alphabetic() {
                b ^ 0x20
            } else {
                b'A'
            }) as Change
        ),
        Just((|b: u8| b.wrapping_add(1)) as Change),
        Just((|b: u8| b.wrapping_sub(1)) as Change),
        Just((|_| b' ') as Change),
        Just((|_| b'+') as Change),
        Just((|_| b'0') as Change),
        Just((|b: u8| b ^ 0x80) as Change),
    ]
}

fn genuine() -> impl Strategy<Value = (Parts, usize, usize, Change)> {
    let link = (
        "[A-Za-z0-9_-]{1,40}",
        any::<bool>(),
        NOW + 1..NOW + 40 * 24 * 3600,
        proptest::option::of(0usize..60),
    );
    (link, 0usize..6, any::<prop::sample::Index>(), byte_change()).prop_map(
        |((id, approve, exp, index), field, at, byte)| {
            let decision = if approve {
                Decision::Approve
            } else {
                Decision::Reject
            };
            let url = signer().link_url("https://h", &id, decision, exp, index);
            let query = url.split_once('?').unwrap().1;
            let parts = Parts {
                id,
                params: LinkParams::from_urlencoded(query),
            };
            (parts, field, at.index(usize::MAX), byte)
        },
    )
}

/// Changes the byte at `at` (modulo the field's length) of one field; a field that is absent
/// (no approver index) gets a changed `0` as its value instead.
fn tamper(parts: &Parts, field: usize, at: usize, byte: Change) -> Option<Parts> {
    let mut changed = parts.clone();
    let slot: &mut Option<String> = match field {
        0 => &mut changed.params.signature,
        1 => &mut changed.params.decision,
        2 => &mut changed.params.expires_at,
        3 => &mut changed.params.approver_index,
        4 => &mut changed.params.key_id,
        _ => {
            changed.id = change_byte(&parts.id, at, byte)?;
            return Some(changed);
        }
    };
    *slot = Some(match slot.as_deref() {
        Some(value) => change_byte(value, at, byte)?,
        None => String::from_utf8_lossy(&[byte(b'0')]).into_owned(),
    });
    Some(changed)
}

fn change_byte(value: &str, at: usize, change: Change) -> Option<String> {
    let mut bytes = value.as_bytes().to_vec();
    match bytes.get_mut(at % value.len().max(1)) {
        Some(b) if change(*b) == *b => return None,
        Some(b) => *b = change(*b),
        None => bytes.push(change(b'0')),
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

proptest! {
    #[test]
    fn a_genuine_link_verifies_and_no_changed_byte_is_ever_accepted(
        (parts, field, at, byte) in genuine()
    ) {
        let signer = signer();
        prop_assert!(signer.verify(&parts.id, &parts.params, NOW).is_ok());
        if let Some(changed) = tamper(&parts, field, at, byte) {
            let verdict = signer.verify(&changed.id, &changed.params, NOW);
            prop_assert!(verdict.is_err(), "accepted {:?}", changed);
            let verdict = signer.verify_signature(&changed.id, &changed.params);
            prop_assert!(verdict.is_err(), "accepted {:?}", changed);
        }
    }
}

/// The last character of a base64 signature carries bits that decode to nothing: no other
/// spelling of it may pass (the decoder refuses non-canonical trailing bits).
#[test]
fn no_other_last_character_of_the_signature_is_accepted() {
    let signer = signer();
    let url = signer.link_url("https://h", "appr-1", Decision::Approve, NOW + 60, Some(1));
    let params = LinkParams::from_urlencoded(url.split_once('?').unwrap().1);
    let sig = params.signature.clone().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for c in alphabet.chars().filter(|c| !sig.ends_with(*c)) {
        let changed = LinkParams {
            signature: Some(format!("{}{c}", &sig[..sig.len() - 1])),
            ..params.clone()
        };
        assert!(signer.verify("appr-1", &changed, NOW).is_err(), "{c}");
    }
}
