//! One request on several channels, the Slack side, as its approvers live it: a request Create
//! Approval Links made is posted to Slack with Slack Request Action's `approvalId`; its buttons
//! decide the same request as the emailed links (a person votes once, whichever channel; the
//! requester never), and Wait For Approval's Task is resumed whichever channel decides.

use approvals::ports::DecisionWrite;
use approvals::use_cases::slack_click::ClickOutcome;
use approvals::{Channel, Decision};
use serde_json::json;

mod slack_common;
use slack_common::*;
mod slack_companion_common;
use slack_companion_common::*;

#[tokio::test]
async fn the_email_request_goes_to_slack_with_buttons_that_name_it() {
    let w = World::default();
    email_request(&w, two_of_three()).await;

    let out = post(&w, slack_input(), NOW + 1).await.unwrap();

    assert_eq!(out.approval_id, "a-1");
    assert_eq!(out.channel, "C0APPROVALS");
    assert_eq!(out.expires_at, approvals::approval::rfc3339(NOW + LIFETIME));
    let (to, message) = w.slack.posted.lock().unwrap()[0].clone();
    assert_eq!(to, "#approvals");
    let blocks = message.blocks.clone().unwrap();
    let actions = blocks.iter().find(|b| b["type"] == "actions").unwrap();
    assert_eq!(actions["block_id"], "hitl:a-1");
    let values: Vec<&str> = actions["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["approve", "reject"]);
    let r = record(&w);
    assert_eq!(r.origin, Channel::Email, "still the emailed request");
    assert_eq!(r.companions.len(), 1);
    assert_eq!(r.companions[0].message.ts, out.ts);
    // Carol has no Slack account: she answers by email only.
    assert_eq!(r.slack_approvers, ["U0ALICE", "U0BOB", ""]);
    assert_eq!(r.task_token.as_ref().unwrap().as_str(), "token-1");
}

#[tokio::test]
async fn a_slack_click_fills_the_approvers_slot_and_the_message_shows_the_progress() {
    let w = World::default();
    email_request(&w, two_of_three()).await;
    let sent = posted(&w).await;

    let out = w.click(&sent, "U0BOB", APPROVE).await;

    assert_eq!(
        out,
        ClickOutcome::Counted {
            approval_id: "a-1".into()
        }
    );
    let r = record(&w);
    assert_eq!(r.votes.len(), 1);
    assert_eq!(r.votes[0].slot, "bob@corp.com", "his address's slot");
    let (at, message) = last_update(&w);
    assert_eq!(at, sent);
    assert!(has_buttons(&message), "the others still vote");
    let lines = context_texts(&message);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("1 of 2 approved"), "{lines:?}");
    assert!(w.resumer.resumed.lock().unwrap().is_empty(), "still open");
    // Its other messages (a Teams card, say) are the relay's: due now.
    assert_eq!(record(&w).delivery.relay_at, Some(NOW + 10));
    // The same person again, in Slack: counted once.
    let again = w.click(&sent, "U0BOB", REJECT).await;
    assert!(
        matches!(
            &again,
            ClickOutcome::Refused {
                error: "Hitl.AlreadyVoted",
                ..
            }
        ),
        "{again:?}"
    );
}

#[tokio::test]
async fn a_vote_by_email_then_a_click_by_the_same_person_is_already_voted() {
    let w = World::default();
    email_request(&w, two_of_three()).await;
    let sent = posted(&w).await;
    let counted = email_vote(&w, "alice@corp.com", Decision::Approve, NOW + 5).await;
    assert!(matches!(counted, DecisionWrite::Counted(_)), "{counted:?}");

    let out = w.click(&sent, "U0ALICE", REJECT).await;

    let ClickOutcome::Refused { error, reason } = out else {
        panic!("{out:?}")
    };
    assert_eq!(error, "Hitl.AlreadyVoted");
    assert!(reason.contains("approved by email"), "{reason}");
    assert_eq!(record(&w).votes.len(), 1, "her email vote stands alone");
}

#[tokio::test]
async fn the_requesters_click_is_refused() {
    let w = World::default();
    let fields = json!({"approvers": ["alice@corp.com", "bob@corp.com", "carol@corp.com"], "quorum": {"approvals": 2}, "requestedBy": "alice@corp.com"});
    email_request(&w, fields).await;
    let sent = posted(&w).await;
    assert_eq!(record(&w).requester_ids, ["U0ALICE"]);

    let out = w.click(&sent, "U0ALICE", APPROVE).await;

    assert!(
        matches!(
            &out,
            ClickOutcome::Refused {
                error: "Hitl.RequesterMayNotVote",
                ..
            }
        ),
        "{out:?}"
    );
    assert!(record(&w).votes.is_empty());
}

#[tokio::test]
async fn on_a_first_answer_request_the_requester_is_refused_and_an_approver_decides_in_slack() {
    let w = World::default();
    let fields =
        json!({"approvers": ["alice@corp.com", "bob@corp.com"], "requestedBy": "alice@corp.com"});
    email_request(&w, fields).await;
    let sent = posted(&w).await;
    let requester = w.click(&sent, "U0ALICE", APPROVE).await;
    assert!(
        matches!(
            &requester,
            ClickOutcome::Refused {
                error: "Hitl.RequesterMayNotVote",
                ..
            }
        ),
        "{requester:?}"
    );

    let out = w.click(&sent, "U0BOB", REJECT).await;

    assert_eq!(
        out,
        ClickOutcome::Decided {
            approval_id: "a-1".into(),
            delivered: true
        }
    );
    let resumed = w.resumer.resumed.lock().unwrap().clone();
    assert_eq!(resumed.len(), 1, "Wait For Approval's Task, once");
    let (at, message) = last_update(&w);
    assert_eq!(at, sent);
    assert!(!has_buttons(&message));
    assert!(
        context_texts(&message)[0].contains("<@U0BOB>"),
        "{message:?}"
    );
    // The other messages are the relay's: the record waits for it.
    assert!(record(&w).message_updated_at.is_none());
    let report = run_relay(&w, NOW + 60).await;
    assert_eq!(report.messages_updated, vec!["a-1"]);
    let (at, message) = last_update(&w);
    assert_eq!(at, sent);
    assert!(!has_buttons(&message));
    assert!(record(&w).delivery.relay_at.is_none(), "settled");
    // A click after the outcome changes nothing.
    let late = w.click(&sent, "U0BOB", APPROVE).await;
    assert!(
        matches!(
            &late,
            ClickOutcome::Refused {
                error: "Hitl.AlreadyDecided",
                ..
            }
        ),
        "{late:?}"
    );
}

#[tokio::test]
async fn a_follow_up_question_of_the_request_is_asked_in_slack() {
    let w = World::default();
    let fields = json!({"approvers": ["alice@corp.com", "bob@corp.com"], "followUp": {"question": "Why not?", "after": ["reject"]}});
    email_request(&w, fields).await;
    let sent = posted(&w).await;
    let mut payload = w.click_payload(&sent, "U0BOB", REJECT);
    payload.trigger_id = Some("trigger-1".into());

    let out = handle_click(payload, &w.store, &w.resumer, &w.slack, NOW + 10)
        .await
        .unwrap();

    assert_eq!(
        out,
        ClickOutcome::Asked {
            approval_id: "a-1".into()
        }
    );
    let views = w.slack.views.lock().unwrap().clone();
    assert_eq!(views.len(), 1);
    assert!(views[0].1.to_string().contains("Why not?"));
    assert!(
        record(&w).decision.is_none(),
        "nothing decided before the answer"
    );
}

#[tokio::test]
async fn someone_not_named_is_told_who_may_answer_as_slack_names_them() {
    let w = World::default();
    email_request(
        &w,
        json!({"approvers": ["alice@corp.com", "carol@corp.com"]}),
    )
    .await;
    let sent = posted(&w).await;

    let out = w.click(&sent, "U0EVE", APPROVE).await;

    let ClickOutcome::Refused { error, reason } = out else {
        panic!("{out:?}")
    };
    assert_eq!(error, "Hitl.NotAnApprover");
    assert!(reason.starts_with("Only <@U0ALICE>, carol"), "{reason}");
    assert!(
        !reason.contains("<@carol"),
        "an address is no mention: {reason}"
    );
    assert!(record(&w).decision.is_none());
}

/// The store as a click meets it when the same person's emailed vote lands between the
/// click's checks and its write.
struct EmailVoteFirst<'a>(&'a World);

#[async_trait::async_trait]
impl approvals::ports::ApprovalStore for EmailVoteFirst<'_> {
    async fn create(&self, record: &approvals::ApprovalRecord) -> Result<(), approvals::HitlError> {
        self.0.store.create(record).await
    }
    async fn get(
        &self,
        id: &approvals::ApprovalId,
    ) -> Result<Option<approvals::ApprovalRecord>, approvals::HitlError> {
        self.0.store.get(id).await
    }
    async fn attach_task_token(
        &self,
        id: &approvals::ApprovalId,
        token: &approvals::TaskToken,
        now: i64,
    ) -> Result<Option<approvals::ApprovalRecord>, approvals::HitlError> {
        self.0.store.attach_task_token(id, token, now).await
    }
    async fn record_decision(
        &self,
        id: &approvals::ApprovalId,
        decision: &approvals::RecordedDecision,
        now: i64,
    ) -> Result<DecisionWrite, approvals::HitlError> {
        email_vote(self.0, "alice@corp.com", Decision::Approve, now - 1).await;
        self.0.store.record_decision(id, decision, now).await
    }
}

#[tokio::test]
async fn an_emailed_vote_that_lands_first_makes_the_click_already_voted() {
    let w = World::default();
    email_request(&w, two_of_three()).await;
    let sent = posted(&w).await;
    let payload = w.click_payload(&sent, "U0ALICE", REJECT);

    let step = record_click(payload, None, &EmailVoteFirst(&w), NOW + 10)
        .await
        .unwrap();

    let approvals::use_cases::slack_click::ClickStep::Refused { refusal, .. } = step else {
        panic!("{step:?}")
    };
    assert_eq!(
        refusal,
        approvals::use_cases::slack_click::ClickRefusal::AlreadyVoted {
            decision: Decision::Approve,
            at: NOW + 9,
            channel: Channel::Email
        }
    );
    assert_eq!(record(&w).votes.len(), 1);
}
