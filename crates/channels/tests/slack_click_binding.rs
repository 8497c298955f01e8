//! A Slack click decides only the request whose own message carries it, from the configured
//! workspace; whatever came with the click is escaped wherever it is shown.

use approvals::testing::FakeSlack;
use approvals::testing::{FakeResumer, FakeStore};
use approvals::use_cases::{Delivery, LinkView};
use approvals::{ApprovalRecord, Channel, MessageRef};
use channels::pages::render;
use channels::slack_click::*;
use serde_json::{json, Value};

mod slack_common;
use approvals::use_cases::slack_click::ClickOutcome;
use slack_common::{follow_up, record_click, request_action, send_message};

const NOW: i64 = 1_800_000_000;

#[derive(Default)]
struct World {
    store: FakeStore,
    resumer: FakeResumer,
    slack: FakeSlack,
}

impl World {
    /// A Request Action for "appr-1" with Approve / Reject and a custom button `custom`.
    async fn request(&self, custom: &str) -> MessageRef {
        let input = json!({
            "channel": "#approvals", "header": "Stop db-1?", "text": "*db-1* is idle",
            "buttons": [{"label": "Stop", "value": "approve"}, {"label": "Other", "value": custom}],
            "taskToken": "token-1"
        });
        let out = request_action(
            serde_json::from_value(input).unwrap(),
            &self.store,
            &self.slack,
            "appr-1".into(),
            30,
            NOW,
        )
        .await
        .unwrap();
        MessageRef {
            channel: out.channel,
            ts: out.ts,
        }
    }

    /// Send Message with blocks of the sender's choosing: its buttons carry `block_id`.
    async fn send_with_block_id(&self, block_id: &str) -> MessageRef {
        let input = json!({
            "channel": "C0APPROVALS", "text": "Unrelated",
            "blocks": [{"type": "actions", "block_id": block_id, "elements": [
                {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "Go"}, "value": "approve"}
            ]}]
        });
        let sent = send_message(
            serde_json::from_value(input).unwrap(),
            &self.store,
            &self.slack,
            30,
            NOW,
        )
        .await
        .unwrap();
        MessageRef {
            channel: sent.channel,
            ts: sent.ts,
        }
    }

    fn decision_of(&self, id: &str) -> Option<approvals::RecordedDecision> {
        self.store.records.lock().unwrap()[id].decision.clone()
    }

    async fn click(&self, payload: Value, workspace: Option<&str>) -> ClickOutcome {
        let payload: BlockActions = serde_json::from_value(payload).unwrap();
        let step = record_click(payload, workspace, &self.store, NOW + 10)
            .await
            .unwrap();
        follow_up(step, &self.store, &self.resumer, &self.slack, NOW + 10).await
    }
}

/// What Slack sends when U0ALICE of `team` clicks a button with `block_id` and `value` on the
/// message `at`.
fn payload(at: &MessageRef, block_id: &str, value: &str, team: Option<&str>) -> Value {
    json!({
        "type": "block_actions",
        "team": team.map(|t| json!({"id": t})),
        "user": {"id": "U0ALICE", "username": "alice", "name": "alice", "team_id": team},
        "container": {"type": "message", "channel_id": at.channel, "message_ts": at.ts},
        "channel": {"id": at.channel},
        "message": {"ts": at.ts, "blocks": [], "text": "x"},
        "actions": [{"type": "button", "block_id": block_id, "action_id": "a", "value": value}]
    })
}

fn refused_as(outcome: &ClickOutcome) -> &'static str {
    match outcome {
        ClickOutcome::Refused { error, .. } => error,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_request_id_copied_into_another_message_decides_nothing() {
    let w = World::default();
    let asked = w.request("defer").await;
    // A message posted with Send Message whose button names the request.
    let other = w.send_with_block_id("hitl:appr-1").await;
    assert_ne!(other, asked);
    let outcome = w
        .click(payload(&other, "hitl:appr-1", "approve", None), None)
        .await;
    assert_eq!(refused_as(&outcome), "Hitl.NotTheRequestMessage");
    assert_eq!(w.decision_of("appr-1"), None, "nothing recorded");
    assert!(w.resumer.resumed.lock().unwrap().is_empty());
    assert!(w.slack.ephemeral_texts()[0].contains("not on the message that asked"));

    // The same id on the request's own message decides.
    let outcome = w
        .click(payload(&asked, "hitl:appr-1", "approve", None), None)
        .await;
    assert!(
        matches!(outcome, ClickOutcome::Decided { .. }),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_button_naming_an_email_or_teams_request_decides_nothing() {
    let w = World::default();
    for (id, origin) in [("mail-1", Channel::Email), ("teams-1", Channel::Teams)] {
        let record = ApprovalRecord::new(id, "t".into(), origin, NOW, NOW + 600, 30);
        approvals::ports::ApprovalStore::create(&w.store, &record)
            .await
            .unwrap();
        let at = w.send_with_block_id(&format!("hitl:{id}")).await;
        let outcome = w
            .click(payload(&at, &format!("hitl:{id}"), "approve", None), None)
            .await;
        assert_eq!(refused_as(&outcome), "Hitl.NotASlackRequest", "{id}");
        assert_eq!(w.decision_of(id), None, "{id}: nothing recorded");
    }
}

#[tokio::test]
async fn only_the_configured_workspace_decides_and_others_are_refused_before_any_read() {
    let w = World::default();
    let asked = w.request("defer").await;
    for team in [Some("T0OTHER"), None] {
        let click = payload(&asked, "hitl:appr-1", "approve", team);
        let outcome = w.click(click, Some("T0HOME")).await;
        assert_eq!(refused_as(&outcome), "Hitl.OtherSlackWorkspace", "{team:?}");
        assert_eq!(w.decision_of("appr-1"), None);
    }
    // `team.id` and `user.team_id` must both be ours (a Slack Connect user of another org).
    let mut mixed = payload(&asked, "hitl:appr-1", "approve", Some("T0HOME"));
    mixed["user"]["team_id"] = json!("T0<!here>");
    let outcome = w.click(mixed, Some("T0HOME")).await;
    assert_eq!(refused_as(&outcome), "Hitl.OtherSlackWorkspace");
    let note = w.slack.ephemeral_texts().last().unwrap().clone();
    assert!(note.contains("T0HOME, T0&lt;!here&gt;"), "escaped: {note}");

    // Refused before the store is asked: a request that does not exist says the same.
    let ghost = payload(&asked, "hitl:nope", "approve", Some("T0OTHER"));
    assert_eq!(
        refused_as(&w.click(ghost, Some("T0HOME")).await),
        "Hitl.OtherSlackWorkspace"
    );

    let home = payload(&asked, "hitl:appr-1", "approve", Some("T0HOME"));
    let outcome = w.click(home, Some("T0HOME")).await;
    assert!(
        matches!(outcome, ClickOutcome::Decided { .. }),
        "{outcome:?}"
    );
}

/// `SlackTeamId` left empty (the default): a Slack Connect user of another organisation, who
/// names their own workspace beside the one the message lives in, is refused, not counted as
/// a verified decider; people of the message's own workspace decide.
#[tokio::test]
async fn without_a_configured_workspace_a_user_of_another_organisation_is_refused() {
    let w = World::default();
    let asked = w.request("defer").await;
    let mut connect = payload(&asked, "hitl:appr-1", "approve", Some("T0HOME"));
    connect["user"]["team_id"] = json!("T0OTHERORG");
    assert_eq!(
        refused_as(&w.click(connect, None).await),
        "Hitl.OtherSlackWorkspace"
    );
    assert_eq!(w.decision_of("appr-1"), None);
    let home = payload(&asked, "hitl:appr-1", "approve", Some("T0HOME"));
    let outcome = w.click(home, None).await;
    assert!(
        matches!(outcome, ClickOutcome::Decided { .. }),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_custom_value_and_names_from_a_click_are_escaped_in_slack_and_on_pages() {
    let w = World::default();
    let evil = "<!channel> & <https://evil.example|click>";
    let asked = w.request(evil).await;
    let mut click = payload(&asked, "hitl:appr-1", evil, None);
    click["user"]["name"] = json!("<b>mallory</b>");
    let outcome = w.click(click, None).await;
    assert!(
        matches!(outcome, ClickOutcome::Decided { .. }),
        "{outcome:?}"
    );

    let (_, update) = w.slack.updated.lock().unwrap().last().cloned().unwrap();
    let line = update.blocks.unwrap().last().unwrap()["elements"][0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        line.contains("&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;"),
        "{line}"
    );
    assert!(
        !line.contains("<!channel>") && !line.contains("<https://"),
        "{line}"
    );

    let record = w.store.records.lock().unwrap()["appr-1"].clone();
    let page = render(&LinkView::Recorded {
        record: record.clone(),
        delivery: Delivery::Delivered,
    });
    assert!(!page.html.contains("<!channel>"), "{}", page.html);
    assert!(!page.html.contains("<https://"), "{}", page.html);
    assert!(
        page.html.contains("&lt;!channel&gt; &amp; &lt;https:"),
        "{}",
        page.html
    );
    let page = render(&LinkView::AlreadyDecided { record });
    assert!(!page.html.contains("<b>mallory</b>"), "{}", page.html);
    assert!(!page.html.contains("<!channel>"), "{}", page.html);
}
