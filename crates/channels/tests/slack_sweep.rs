//! The expiry sweep with in-memory ports: unanswered requests lose their buttons once, decided
//! ones are never swept, a rate limit ends a sweep early and the next one finishes.

use approvals::use_cases::slack_click::ClickOutcome;
use approvals::{HitlError, MessageRef};
use channels::slack::*;
use serde_json::json;

mod slack_common;
use slack_common::*;

/// An error as the Slack adapter names it.
fn slack_error(name: &'static str, retry: approvals::Retry) -> HitlError {
    HitlError::failed_dependency(name, "from the test", retry)
}

trait Sweeping {
    async fn request_with_id(&self, approval_id: &str, expires_in: i64) -> RequestActionOutput;
    async fn sweep(&self, at: i64) -> SweepReport;
}

impl Sweeping for World {
    async fn request_with_id(&self, approval_id: &str, expires_in: i64) -> RequestActionOutput {
        let mut input = request_input();
        input["expiresInSeconds"] = json!(expires_in);
        self.request_as(approval_id, input).await.unwrap()
    }

    async fn sweep(&self, at: i64) -> SweepReport {
        approvals::use_cases::slack::close_expired_messages(
            &self.store,
            &self.slack,
            &BlockKit,
            at,
            SWEEP_BATCH,
        )
        .await
        .unwrap()
    }
}

#[tokio::test]
async fn an_unanswered_request_loses_its_buttons_once_it_expires_and_only_once() {
    let w = World::default();
    let asked = w.request_with_id("appr-1", 600).await;

    assert_eq!(w.sweep(NOW + 599).await, SweepReport::default());
    assert!(w.slack.updated.lock().unwrap().is_empty());

    let report = w.sweep(NOW + 600).await;
    assert_eq!(report.closed, vec!["appr-1".to_string()]);
    let (target, message) = w.slack.updated.lock().unwrap()[0].clone();
    assert_eq!((target.channel, target.ts), (asked.channel, asked.ts));
    let blocks = message.blocks.unwrap();
    assert!(blocks.iter().all(|b| b["type"] != "actions"), "{blocks:?}");
    assert_eq!(blocks[0]["text"]["text"], "Stop idle RDS instance db-1?");
    assert_eq!(blocks[1]["text"]["text"], "*db-1* idle for 14 days");
    let line = blocks.last().unwrap()["elements"][0]["text"]
        .as_str()
        .unwrap();
    assert!(
        line.contains("Expired") && line.contains(&asked.expires_at),
        "{line}"
    );
    assert!(message.text.ends_with(": expired"));

    // Closed messages are not touched again.
    assert_eq!(w.sweep(NOW + 5000).await, SweepReport::default());
    assert_eq!(w.slack.updated.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_decided_request_is_never_swept() {
    let w = World::default();
    let asked = w.request_with_id("appr-1", 600).await;
    let at = MessageRef {
        channel: asked.channel,
        ts: asked.ts,
    };
    assert!(matches!(
        w.click(&at, "U0ALICE", 0).await,
        ClickOutcome::Decided { .. }
    ));
    let updates = w.slack.updated.lock().unwrap().len();
    assert_eq!(w.sweep(NOW + 100_000).await, SweepReport::default());
    assert_eq!(w.slack.updated.lock().unwrap().len(), updates);
}

#[tokio::test]
async fn a_rate_limit_ends_the_sweep_and_the_next_one_finishes_while_deleted_messages_are_let_go() {
    let w = World::default();
    w.request_with_id("appr-1", 60).await;
    w.request_with_id("appr-2", 120).await;
    w.request_with_id("appr-3", 180).await;
    w.slack
        .update_errors
        .lock()
        .unwrap()
        .push(slack_error("Slack.RateLimited", approvals::Retry::Later));

    // Soonest expired first; the 429 stops the sweep before the others are claimed.
    let first = w.sweep(NOW + 1000).await;
    assert_eq!(first.retry_later, vec!["appr-1".to_string()]);
    assert!(first.closed.is_empty() && first.gone.is_empty());

    w.slack
        .update_errors
        .lock()
        .unwrap()
        .push(slack_error("Slack.MessageNotFound", approvals::Retry::Gone));
    let second = w.sweep(NOW + 1300).await;
    assert_eq!(second.gone, vec!["appr-1".to_string()]);
    assert_eq!(
        second.closed,
        vec!["appr-2".to_string(), "appr-3".to_string()]
    );
    assert_eq!(w.sweep(NOW + 1600).await, SweepReport::default());
}

#[tokio::test]
async fn a_sent_message_with_buttons_keeps_its_own_blocks_when_it_expires() {
    let w = World::default();
    let sent = w
        .send_deploy_question(json!({"expiresInSeconds": 60}))
        .await;
    let report = w.sweep(NOW + 60).await;
    assert_eq!(report.closed, vec![sent.approval_id.unwrap()]);
    let (_, message) = w.slack.updated.lock().unwrap()[0].clone();
    let blocks = message.blocks.unwrap();
    assert_eq!(blocks.len(), 2, "{blocks:?}");
    assert_eq!(blocks[0]["text"]["text"], "Deploy *v2*?");
    assert_eq!(blocks[1]["type"], "context");
    assert_eq!(message.text, "Deploy?: expired");
}

#[tokio::test]
async fn a_teams_bot_card_is_taken_out_of_the_sweep_without_a_slack_call() {
    use approvals::ports::{ApprovalStore, MessageStore};
    let w = World::default();
    let id = approvals::ApprovalId::from("teams-1");
    let record = approvals::ApprovalRecord::new(
        id.clone(),
        "Delete vol-1?".into(),
        approvals::Channel::Teams,
        NOW,
        NOW + 600,
        1,
    );
    w.store.create(&record).await.unwrap();
    let card = MessageRef {
        channel: "19:abc@thread.tacv2".into(),
        ts: "1700000000000".into(),
    };
    w.store
        .attach_message(&id, &card, Some(r#"{"type":"AdaptiveCard"}"#))
        .await
        .unwrap();

    let report = w.sweep(NOW + 600).await;
    assert_eq!(report.not_slack, vec!["teams-1".to_string()]);
    assert!(report.closed.is_empty() && report.retry_later.is_empty());
    assert!(w.slack.updated.lock().unwrap().is_empty());
    // Out of the index: it never takes a later sweep's limit.
    assert_eq!(w.sweep(NOW + 5000).await, SweepReport::default());
}
