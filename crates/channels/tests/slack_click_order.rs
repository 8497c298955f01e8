//! A click shows the decision on the message before the workflow hears of it, so a Slack
//! Update Message the resumed workflow sends lands after ours and is what stays on the message
//! (in-memory ports; the e2e `readme_examples` Slack select example shows it on the stack).

use std::sync::Mutex;

use approvals::ports::{ResumeOutcome, WorkflowResumer};
use approvals::use_cases::slack_click::ClickOutcome;
use approvals::{DecisionOutput, HitlError, MessageRef};
use async_trait::async_trait;

mod slack_common;
use slack_common::*;

/// Resumes through the world's resumer, noting how many message updates Slack had seen.
struct NotesUpdates<'a> {
    world: &'a World,
    updates_seen: Mutex<Vec<usize>>,
}

#[async_trait]
impl WorkflowResumer for NotesUpdates<'_> {
    async fn resume(
        &self,
        token: &approvals::TaskToken,
        output: &DecisionOutput,
    ) -> Result<ResumeOutcome, HitlError> {
        let seen = self.world.slack.updated.lock().unwrap().len();
        self.updates_seen.lock().unwrap().push(seen);
        self.world.resumer.resume(token, output).await
    }

    async fn fail(
        &self,
        token: &approvals::TaskToken,
        error: &str,
        cause: &str,
    ) -> Result<ResumeOutcome, HitlError> {
        self.world.resumer.fail(token, error, cause).await
    }
}

#[tokio::test]
async fn the_message_shows_the_decision_before_the_workflow_resumes() {
    let world = World::default();
    let out = world.request(request_input()).await.unwrap();
    let sent = MessageRef {
        channel: out.channel.clone(),
        ts: out.ts.clone(),
    };
    let resumer = NotesUpdates {
        world: &world,
        updates_seen: Mutex::new(vec![]),
    };
    let outcome = handle_click(
        world.click_payload(&sent, "U0ALICE", 0),
        &world.store,
        &resumer,
        &world.slack,
        NOW + 10,
    )
    .await
    .unwrap();
    assert!(
        matches!(
            outcome,
            ClickOutcome::Decided {
                delivered: true,
                ..
            }
        ),
        "{outcome:?}"
    );
    assert_eq!(
        *resumer.updates_seen.lock().unwrap(),
        [1],
        "the decision was shown first"
    );
    let updated = world.slack.updated.lock().unwrap();
    assert_eq!(updated.len(), 1, "shown once");
    assert!(
        updated[0].1.text.contains("Approved") || format!("{:?}", updated[0].1).contains("U0ALICE"),
        "{:?}",
        updated[0].1
    );
}
