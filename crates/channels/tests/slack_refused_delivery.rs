//! A Slack click whose decision Step Functions refuses for good (access denied, an output it
//! will not take): the message and the clicker are told it changed nothing, never that the
//! workflow has it.

use approvals::use_cases::slack_click::ClickOutcome;
use approvals::{HitlError, MessageRef};

mod slack_common;
use slack_common::*;

#[tokio::test]
async fn a_click_the_workflow_refused_for_good_is_shown_as_not_delivered() {
    let w = World::default();
    let out = w.request(request_input()).await.unwrap();
    let sent = MessageRef {
        channel: out.channel.clone(),
        ts: out.ts.clone(),
    };
    let denied = HitlError::dependency("Step Functions", "AccessDeniedException: no");
    *w.resumer.fail_with.lock().unwrap() = Some(denied);
    let outcome = w.click(&sent, "U0ALICE", 0).await;
    assert!(
        matches!(
            outcome,
            ClickOutcome::Refused {
                error: "Hitl.NotDelivered",
                ..
            }
        ),
        "{outcome:?}"
    );
    let updated = w.slack.updated.lock().unwrap().clone();
    let last = serde_json::to_string(&updated.last().expect("updated").1.blocks).unwrap();
    assert!(last.contains("Not delivered"), "{last}");
    let told = w.slack.ephemeral.lock().unwrap().clone();
    assert!(
        told.iter()
            .any(|(_, _, text)| text.contains("changed nothing")),
        "{told:?}"
    );
    let record = w.store.records.lock().unwrap()["appr-1"].clone();
    assert!(record.delivery.failed.is_some() && record.is_settled());
}
