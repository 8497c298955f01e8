//! Slack's own published interaction payloads (tests/fixtures/vendors/slack, sources in that
//! folder's README), read by our real parser: the other tests feed payloads we wrote, so they
//! could only confirm our own reading of Slack's format.

use approvals::testing::FakeStore;
use approvals::use_cases::slack_click::{ClickRefusal, ClickStep};
use approvals::{ApprovalRecord, Channel, Decision, MessageRef};
use channels::slack::message_approval_id;
use channels::slack_click::*;

mod slack_common;
use slack_common::record_click;

const NOW: i64 = 1_800_000_000;

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../../tests/fixtures/vendors/slack/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The form body Slack posts to the interactivity endpoint: `payload=<url-encoded json>`.
fn form_body(json: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", json)
        .finish()
}

/// The message Slack's `block_actions` example was clicked on.
fn example_message() -> MessageRef {
    MessageRef {
        channel: "CBR2V3XEX".into(),
        ts: "1548261231.000200".into(),
    }
}

/// A Slack request whose message is the one in Slack's example, open for `approvers`.
async fn store_with_request(approvers: &[&str]) -> (FakeStore, String) {
    let store = FakeStore::default();
    let id = message_approval_id(&example_message());
    let mut record = ApprovalRecord::new(
        id.clone(),
        "Review".into(),
        Channel::Slack,
        NOW,
        NOW + 3600,
        1,
    );
    record.message = Some(example_message());
    record.approvers = approvers.iter().map(|a| a.to_string()).collect();
    store
        .records
        .lock()
        .unwrap()
        .insert(id.clone().into(), record);
    (store, id)
}

#[test]
fn slacks_block_actions_example_parses_as_posted() {
    let payload = parse_interaction(&form_body(&fixture("block_actions.json"))).unwrap();
    assert_eq!(payload.kind, "block_actions");
    assert_eq!(payload.user.id, "UA8RXUSPL");
    assert_eq!(payload.user.username.as_deref(), Some("jtorrance"));
    assert_eq!(payload.user.team_id.as_deref(), Some("T9TK3CUKW"));
    let container = payload.container.as_ref().unwrap();
    assert_eq!(container.channel_id.as_deref(), Some("CBR2V3XEX"));
    assert_eq!(container.message_ts.as_deref(), Some("1548261231.000200"));
    let action = &payload.actions[0];
    assert_eq!(action.action_id.as_deref(), Some("WaXA"));
    assert_eq!(action.block_id.as_deref(), Some("=qXel"));
    assert_eq!(action.value.as_deref(), Some("click_me_123"));
}

/// The click in Slack's example is recorded: by the user it names, with the button's value,
/// on the message it names.
#[tokio::test]
async fn slacks_block_actions_example_records_the_clickers_decision() {
    let (store, id) = store_with_request(&["UA8RXUSPL"]).await;
    let payload = parse_interaction(&form_body(&fixture("block_actions.json"))).unwrap();
    let step = record_click(payload, Some("T9TK3CUKW"), &store, NOW + 10)
        .await
        .unwrap();
    let ClickStep::Recorded { click, record } = step else {
        panic!("not recorded: {step:?}");
    };
    assert_eq!(click.approval_id, id);
    assert_eq!(click.message, example_message());
    assert_eq!(
        click.trigger_id.as_deref(),
        Some("12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3")
    );
    let decision = record.decision.unwrap();
    assert_eq!(decision.decision, Decision::Custom("click_me_123".into()));
    assert_eq!(decision.decided_by.id, "UA8RXUSPL");
    assert_eq!(decision.decided_by.name, "jtorrance");
    let slack_user = decision.slack_user.unwrap();
    assert_eq!(slack_user.team_id.as_deref(), Some("T9TK3CUKW"));
    assert_eq!(decision.action.unwrap().action_id, "WaXA");
}

/// The same click from another workspace than the configured one changes nothing.
#[tokio::test]
async fn slacks_block_actions_example_from_another_workspace_is_refused() {
    let (store, id) = store_with_request(&[]).await;
    let payload = parse_interaction(&form_body(&fixture("block_actions.json"))).unwrap();
    let step = record_click(payload, Some("T0OURS"), &store, NOW + 10)
        .await
        .unwrap();
    assert!(
        matches!(
            step,
            ClickStep::Refused {
                refusal: ClickRefusal::OtherWorkspace { .. },
                ..
            }
        ),
        "{step:?}"
    );
    assert!(store.records.lock().unwrap()[id.as_str()]
        .decision
        .is_none());
}

/// Slack's `view_submission` example (another app's modal) parses, and is acknowledged without
/// deciding anything: only our own question modal's submissions count.
#[tokio::test]
async fn slacks_view_submission_example_parses_and_decides_nothing() {
    let payload = parse_interaction(&form_body(&fixture("view_submission.json"))).unwrap();
    assert_eq!(payload.kind, "view_submission");
    assert_eq!(payload.user.id, "U1234567");
    assert_eq!(payload.user.username.as_deref(), Some("example-user"));
    let view = payload.view.as_ref().unwrap();
    assert_eq!(view.callback_id, "modal-with-inputs");
    assert_eq!(view.private_metadata, "shhh-its-secret");
    assert_eq!(
        view.state["values"]["multiline"]["mlvalue"]["value"],
        "This is my example inputted value"
    );
    let (store, _) = store_with_request(&[]).await;
    let step = record_click(payload, None, &store, NOW + 10).await.unwrap();
    assert_eq!(step, ClickStep::Ignored);
}
