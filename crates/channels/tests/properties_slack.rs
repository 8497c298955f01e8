//! Property tests of what Slack sends us: the signature headers, the form body and its JSON
//! payload, and the click use case on whatever a payload holds. Nothing panics, whatever the
//! input, and no request with any byte changed (signature, timestamp, body) is accepted.

use approvals::ports::{ApprovalStore, MessageStore};
use approvals::testing::FakeStore;
use approvals::use_cases::slack_click::ClickStep;
use approvals::{ApprovalRecord, Channel, MessageRef};
use channels::slack::{sign, verify_signature, SIGNATURE_MAX_AGE_SECONDS};
use channels::slack_click::{parse_interaction, BlockActions};

mod slack_common;
use proptest::prelude::*;
use serde_json::{json, Value};
use slack_common::record_click;

const NOW: i64 = 1_800_000_000;

fn timestamp() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (NOW - 400..NOW + 400).prop_map(|n| n.to_string()),
        Just(i64::MIN.to_string()),
        Just(i64::MAX.to_string()),
        Just("-9223372036854775808".to_string()),
        "[ +0-9-]{0,25}",
        any::<String>(),
    ]
}

fn signature_header() -> impl Strategy<Value = String> {
    prop_oneof![
        "v0=[0-9a-fA-F]{0,70}",
        "v[0-9]=[0-9a-f]{64}",
        any::<String>(),
    ]
}

/// How a byte is changed: to any byte, or to one that a lenient parser might take for the same
/// (the other letter case, a neighbour, a space, a `+`).
fn byte_change() -> impl Strategy<Value = fn(u8) -> u8> {
    prop_oneof![
        Just(
            (|b: u8| if b.is_ascii_alphabetic() {
                b ^ 0x20
            } else {
                b'A'
            }) as fn(u8) -> u8
        ),
        Just((|b: u8| b.wrapping_add(1)) as fn(u8) -> u8),
        Just((|b: u8| b.wrapping_sub(1)) as fn(u8) -> u8),
        Just((|_| b' ') as fn(u8) -> u8),
        Just((|_| b'+') as fn(u8) -> u8),
        any::<u8>().prop_map(|_| (|b: u8| b ^ 0x80) as fn(u8) -> u8),
    ]
}

proptest! {
    #[test]
    fn the_signature_check_never_panics_on_any_headers(
        secret in any::<String>(),
        ts in proptest::option::of(timestamp()),
        sig in proptest::option::of(signature_header()),
        body in proptest::collection::vec(any::<u8>(), 0..256),
        now in prop_oneof![any::<i64>(), Just(NOW), Just(i64::MIN), Just(i64::MAX)],
    ) {
        let _ = verify_signature(&secret, ts.as_deref(), sig.as_deref(), &body, now);
    }

    #[test]
    fn a_signed_request_verifies_and_no_changed_byte_is_ever_accepted(
        secret in "[ -~]{1,64}",
        sent_at in NOW - SIGNATURE_MAX_AGE_SECONDS..=NOW + SIGNATURE_MAX_AGE_SECONDS,
        body in proptest::collection::vec(any::<u8>(), 0..512),
        part in 0usize..3,
        at in any::<prop::sample::Index>(),
        change in byte_change(),
    ) {
        let ts = sent_at.to_string();
        let sig = sign(&secret, &ts, &body);
        prop_assert_eq!(verify_signature(&secret, Some(&ts), Some(&sig), &body, NOW), Ok(()));
        let (mut ts, mut sig, mut body) = (ts.into_bytes(), sig.into_bytes(), body);
        let target = match part {
            0 => &mut sig,
            1 => &mut ts,
            _ => &mut body,
        };
        if target.is_empty() {
            target.push(change(b'0'));
        } else {
            let i = at.index(target.len());
            let byte = change(target[i]);
            prop_assume!(target[i] != byte);
            target[i] = byte;
        }
        let (ts, sig) = (String::from_utf8_lossy(&ts), String::from_utf8_lossy(&sig));
        let verdict = verify_signature(&secret, Some(&ts), Some(&sig), &body, NOW);
        prop_assert!(verdict.is_err(), "accepted ts={:?} sig={:?}", ts, sig);
    }

    #[test]
    fn parsing_a_form_body_never_panics(text in any::<String>(), json in json_text()) {
        let _ = parse_interaction(&text);
        let body: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("payload", &json)
            .finish();
        let _ = parse_interaction(&body);
    }

    #[test]
    fn a_click_of_any_shape_never_panics_and_never_decides_off_its_message(payload in payload()) {
        let Ok(payload) = serde_json::from_value::<BlockActions>(payload) else {
            return Ok(());
        };
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let store = store(&rt);
        for workspace in [None, Some("T1")] {
            let step = rt.block_on(record_click(payload.clone(), workspace, &store, NOW));
            if let Ok(ClickStep::Recorded { click, record }) = step {
                // Only a click on the request's own message, in Slack, can decide.
                prop_assert_eq!(record.origin, Channel::Slack);
                prop_assert_eq!(record.message.as_ref(), Some(&click.message));
                if let Some(team) = workspace {
                    prop_assert!(click.teams.iter().all(|t| t == team) && !click.teams.is_empty());
                }
                return Ok(());
            }
        }
    }
}

/// A Slack request "req-1" on C1/1.000001 and an email request "mail-1".
fn store(rt: &tokio::runtime::Runtime) -> FakeStore {
    let store = FakeStore::default();
    let slack = ApprovalRecord::new("req-1", "t".into(), Channel::Slack, NOW, NOW + 60, 1);
    let mail = ApprovalRecord::new("mail-1", "t".into(), Channel::Email, NOW, NOW + 60, 1);
    let at = MessageRef {
        channel: "C1".into(),
        ts: "1.000001".into(),
    };
    rt.block_on(async {
        store.create(&slack).await.unwrap();
        store.create(&mail).await.unwrap();
        store
            .attach_message(&"req-1".into(), &at, Some(r#"[{"type": "actions"}]"#))
            .await
            .unwrap();
    });
    store
}

/// Strings that sometimes name what the store holds.
fn word() -> BoxedStrategy<String> {
    prop_oneof![
        Just("C1".to_string()),
        Just("C2".to_string()),
        Just("1.000001".to_string()),
        Just("hitl:req-1".to_string()),
        Just("hitl:mail-1".to_string()),
        Just("hitl:".to_string()),
        Just("T1".to_string()),
        Just("button".to_string()),
        Just("block_actions".to_string()),
        any::<String>(),
    ]
    .boxed()
}

fn maybe(v: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Value> {
    prop_oneof![Just(Value::Null), v].boxed()
}

fn payload() -> BoxedStrategy<Value> {
    let text = || word().prop_map(Value::String);
    (
        (text(), maybe(text()), maybe(text()), maybe(text())),
        (maybe(text()), maybe(text()), maybe(text())),
        (
            maybe(text()),
            maybe(text()),
            maybe(text()),
            maybe(json_value()),
        ),
    )
        .prop_map(
            |(
                (kind, user_id, team, user_team),
                (channel, ts, msg_ts),
                (block, value, action_kind, blocks),
            )| {
                json!({
                    "type": kind,
                    "user": {"id": user_id, "name": user_id, "team_id": user_team},
                    "team": {"id": team},
                    "channel": {"id": channel},
                    "container": {"channel_id": channel, "message_ts": ts},
                    "message": {"ts": msg_ts, "blocks": blocks},
                    "actions": [{"type": action_kind, "block_id": block, "value": value}]
                })
            },
        )
        .boxed()
}

fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(word(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

fn json_text() -> impl Strategy<Value = String> {
    prop_oneof![
        json_value().prop_map(|v| v.to_string()),
        payload().prop_map(|v| v.to_string()),
        any::<String>(),
    ]
}
