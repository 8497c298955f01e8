//! Votes in Slack on a request with a quorum, as the approvers live them: the message shows
//! the progress to everyone while it is open (buttons kept), each voter is told their vote
//! counted, a second vote or a voter without a slot is told why nothing changed, and the vote
//! that settles it resumes the Task once and leaves the list of votes on the message.

use approvals::delivery::relay;
use approvals::ports::SlackMessage;
use approvals::quorum::Quorum;
use approvals::use_cases::slack_click::{Chat, ClickOutcome, SlackOutcome};
use approvals::{HitlError, MessageRef, Retry};
use channels::slack::*;
use serde_json::{json, Value};

mod slack_common;
use slack_common::*;

/// Alice, Bob and Carol are asked; two approvals approve (one reject vetoes).
async fn team_request(w: &World, requested_by: Option<&str>) -> MessageRef {
    let input = json!({
        "channel": "#approvals", "header": "Stop db-1?", "text": "*db-1* idle for 14 days",
        "allowedUsers": ["U0ALICE", "U0BOB", "U0CAROL"],
        "taskToken": "token-1"
    });
    let out = w.request(input).await.unwrap();
    let mut records = w.store.records.lock().unwrap();
    let record = records.get_mut("appr-1").unwrap();
    record.quorum = Some(Quorum {
        approvals: 2,
        rejections: 1,
    });
    record.requested_by = requested_by.map(str::to_ascii_lowercase);
    MessageRef {
        channel: out.channel,
        ts: out.ts,
    }
}

fn last_update(w: &World) -> SlackMessage {
    w.slack.updated.lock().unwrap().last().unwrap().1.clone()
}

fn has_buttons(message: &SlackMessage) -> bool {
    let blocks = message.blocks.as_ref().unwrap();
    blocks.iter().any(|b| b["type"] == "actions")
}

fn context_texts(message: &SlackMessage) -> Vec<String> {
    let blocks = message.blocks.as_ref().unwrap();
    blocks
        .iter()
        .filter(|b| b["type"] == "context")
        .flat_map(|b| b["elements"].as_array().unwrap().clone())
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect()
}

fn votes_stored(w: &World) -> usize {
    w.store.records.lock().unwrap()["appr-1"].votes.len()
}

const APPROVE: usize = 0;
const REJECT: usize = 1;

#[tokio::test]
async fn a_counted_vote_shows_the_progress_to_everyone_and_tells_the_voter() {
    let w = World::default();
    let sent = team_request(&w, None).await;

    let out = w.click(&sent, "U0ALICE", APPROVE).await;

    assert_eq!(
        out,
        ClickOutcome::Counted {
            approval_id: "appr-1".into()
        }
    );
    let message = last_update(&w);
    assert!(has_buttons(&message), "the others still vote: {message:?}");
    let progress = "1 of 2 approved; waiting for <@U0BOB>, <@U0CAROL>";
    assert_eq!(context_texts(&message), vec![progress.to_string()]);
    assert_eq!(
        w.slack.ephemeral_texts(),
        vec![format!("Your approval is counted: {progress}.")]
    );
    assert!(w.resumer.resumed.lock().unwrap().is_empty(), "still open");
    // The next vote's progress replaces this one (not a second line).
    w.click(&sent, "U0CAROL", APPROVE).await;
    let settled = last_update(&w);
    assert!(!has_buttons(&settled));
}

#[tokio::test]
async fn a_second_vote_is_told_so_and_changes_nothing() {
    let w = World::default();
    let sent = team_request(&w, None).await;
    w.click(&sent, "U0ALICE", APPROVE).await;
    let updates = w.slack.updated.lock().unwrap().len();

    let out = w.click(&sent, "U0ALICE", REJECT).await;

    let ClickOutcome::Refused { error, reason } = out else {
        panic!("{out:?}")
    };
    assert_eq!(error, "Hitl.AlreadyVoted");
    assert!(
        reason.starts_with("You voted already: approved in Slack at ")
            && reason.ends_with("; a second vote changes nothing."),
        "{reason}"
    );
    assert_eq!(votes_stored(&w), 1);
    assert_eq!(w.slack.updated.lock().unwrap().len(), updates, "untouched");
    assert!(w.resumer.resumed.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_settling_vote_resumes_once_and_the_message_lists_every_vote() {
    let w = World::default();
    let sent = team_request(&w, None).await;
    w.click(&sent, "U0ALICE", APPROVE).await;

    let out = w.click(&sent, "U0BOB", APPROVE).await;

    assert!(matches!(out, ClickOutcome::Decided { .. }), "{out:?}");
    assert_eq!(w.resumer.resumed.lock().unwrap().len(), 1);
    let message = last_update(&w);
    assert!(!has_buttons(&message), "settled: {message:?}");
    let lines = context_texts(&message);
    assert_eq!(lines[0], ":white_check_mark: *Approved*: 2 of 2 approved");
    assert!(
        !lines.iter().any(|l| l.contains("waiting for")),
        "{lines:?}"
    );
    for (line, who) in lines[1..].iter().zip(["<@U0ALICE>", "<@U0BOB>"]) {
        assert!(
            line.starts_with(&format!(":white_check_mark: *Approved* by {who} at "))
                && line.ends_with(" (in Slack)"),
            "{line}"
        );
    }
    assert_eq!(lines.len(), 3, "{lines:?}");
    // Carol's vote comes too late to count.
    let late = w.click(&sent, "U0CAROL", REJECT).await;
    assert!(
        matches!(
            late,
            ClickOutcome::Refused {
                error: "Hitl.AlreadyDecided",
                ..
            }
        ),
        "{late:?}"
    );
}

#[tokio::test]
async fn one_reject_vetoes_and_the_message_says_so() {
    let w = World::default();
    let sent = team_request(&w, None).await;
    w.click(&sent, "U0ALICE", APPROVE).await;
    w.click(&sent, "U0BOB", REJECT).await;
    let lines = context_texts(&last_update(&w));
    assert_eq!(lines[0], ":x: *Rejected*: 1 of 1 rejected");
    assert!(
        lines[2].starts_with(":x: *Rejected* by <@U0BOB>"),
        "{lines:?}"
    );
    let resumed = w.resumer.resumed.lock().unwrap().clone();
    assert_eq!(resumed.len(), 1);
}

#[tokio::test]
async fn the_requester_and_people_without_a_slot_are_refused_before_anything_is_written() {
    let w = World::default();
    let sent = team_request(&w, Some("U0CAROL")).await;

    let carol = w.click(&sent, "U0CAROL", APPROVE).await;
    let ClickOutcome::Refused { error, reason } = carol else {
        panic!("{carol:?}")
    };
    assert_eq!(error, "Hitl.RequesterMayNotVote");
    assert!(reason.starts_with("You asked for this request"), "{reason}");

    let mallory = w.click(&sent, "U0MALLORY", APPROVE).await;
    let ClickOutcome::Refused { error, reason } = mallory else {
        panic!("{mallory:?}")
    };
    assert_eq!(error, "Hitl.NotAnApprover");
    assert_eq!(
        reason,
        "Only <@U0ALICE>, <@U0BOB> can answer this request; your click changed nothing."
    );
    assert_eq!(votes_stored(&w), 0);
    assert!(w.slack.updated.lock().unwrap().is_empty());
    // Without Carol, Alice and Bob are the two slots: "2 of 2" needs both.
    w.click(&sent, "U0ALICE", APPROVE).await;
    let progress = context_texts(&last_update(&w));
    assert_eq!(progress, vec!["1 of 2 approved; waiting for <@U0BOB>"]);
}

/// A vote counted, then another settling the request and showing its outcome before the first
/// click's progress update lands: the message must end with the outcome, not buttons.
#[tokio::test]
async fn a_progress_update_never_leaves_a_settled_message_with_buttons() {
    let w = World::default();
    let sent = team_request(&w, None).await;
    let alice = record_click(
        w.click_payload(&sent, "U0ALICE", APPROVE),
        None,
        &w.store,
        NOW,
    )
    .await
    .unwrap();
    let bob = record_click(
        w.click_payload(&sent, "U0BOB", APPROVE),
        None,
        &w.store,
        NOW,
    )
    .await
    .unwrap();
    follow_up(bob, &w.store, &w.resumer, &w.slack, NOW).await;
    assert!(!has_buttons(&last_update(&w)));

    let out = follow_up(alice, &w.store, &w.resumer, &w.slack, NOW).await;

    assert!(matches!(out, ClickOutcome::Counted { .. }), "{out:?}");
    let message = last_update(&w);
    assert!(!has_buttons(&message), "{message:?}");
    assert_eq!(
        context_texts(&message)[0],
        ":white_check_mark: *Approved*: 2 of 2 approved"
    );
}

fn slack_down() -> HitlError {
    HitlError::failed_dependency("Slack.Unavailable", "HTTP 503", Retry::Soon)
}

#[tokio::test]
async fn the_relay_brings_a_settled_message_up_to_date_with_its_votes() {
    let w = World::default();
    let sent = team_request(&w, None).await;
    w.click(&sent, "U0ALICE", APPROVE).await;
    *w.slack.update_errors.lock().unwrap() = vec![slack_down()];
    w.click(&sent, "U0BOB", APPROVE).await;
    let before = w.slack.updated.lock().unwrap().len();

    let notifier = SlackOutcome(Chat {
        slack: &w.slack,
        format: &BlockKit,
    });
    let report = relay(&w.store, &w.resumer, Some(&notifier), NOW + 60, 10)
        .await
        .unwrap();

    assert_eq!(report.messages_updated, vec!["appr-1"]);
    assert_eq!(w.slack.updated.lock().unwrap().len(), before + 1);
    let lines = context_texts(&last_update(&w));
    assert_eq!(lines[0], ":white_check_mark: *Approved*: 2 of 2 approved");
    assert_eq!(lines.len(), 3, "the two votes: {lines:?}");
}

#[tokio::test]
async fn a_request_decided_by_its_first_answer_shows_no_votes_nor_progress() {
    let w = World::default();
    let out = w.request(request_input()).await.unwrap();
    let sent = MessageRef {
        channel: out.channel,
        ts: out.ts,
    };
    w.click(&sent, "U0ALICE", 0).await;
    let lines = context_texts(&last_update(&w));
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("by <@U0ALICE> at "), "{lines:?}");
}

fn vote(i: usize, answer: &str) -> approvals::quorum::Vote {
    use approvals::follow_up::{Answer, FollowUpAnswer};
    use approvals::{Channel, DecidedBy, Decision, RecordedDecision};
    let decision = RecordedDecision {
        decision: Decision::Reject,
        decided_by: DecidedBy {
            id: format!("U{i:04}"),
            name: "*x* <!here>".repeat(20),
            channel: Channel::Slack,
        },
        decided_at: 1_800_000_000,
        comment: None,
        source_ip: None,
        user_agent: None,
        slack_user: None,
        teams_user: None,
        action: None,
        submission_id: None,
        follow_up: Some(FollowUpAnswer {
            question: "<".repeat(500),
            answer: Some(Answer::Text(answer.into())),
        }),
    };
    approvals::quorum::Vote {
        slot: format!("u{i:04}"),
        decision,
    }
}

/// Block Kit's limits hold whatever the votes: at most 50 blocks, 10 elements per context
/// block, 3000 characters per text; votes that do not fit are counted, never dropped silently.
#[test]
fn the_votes_stay_within_block_kits_limits() {
    let shown: Vec<Value> = request_blocks("a1", Some("Stop db-1?"), "text", &[]);
    for (count, shown) in [
        (3, shown.clone()),
        (50, shown.clone()),
        (500, vec![json!({"type": "section"}); 45]),
    ] {
        let votes: Vec<_> = (0..count).map(|i| vote(i, &"<&>".repeat(1000))).collect();
        let blocks = votes_outcome_blocks(&shown, ":x: *Rejected*", &votes);
        assert!(blocks.len() <= MAX_BLOCKS, "{count}: {}", blocks.len());
        let elements: Vec<&Value> = blocks
            .iter()
            .filter(|b| b["type"] == "context")
            .flat_map(|b| {
                let e = b["elements"].as_array().unwrap();
                assert!(e.len() <= MAX_CONTEXT_ELEMENTS);
                e.iter()
            })
            .collect();
        for e in &elements {
            let text = e["text"].as_str().unwrap();
            assert!(text.chars().count() <= MAX_TEXT_CHARS, "{count}");
            assert!(!text.contains("<!here>"), "inert: {text}");
        }
        let last = elements.last().unwrap()["text"].as_str().unwrap();
        match elements.len() - 1 == count {
            true => assert!(last.contains(" (in Slack)"), "{last}"),
            false => assert!(last.contains("more votes"), "{count}: {last}"),
        }
    }
}

/// A request decided by its first answer bars its requester too: their click changes nothing,
/// and the first answer of someone else decides.
#[tokio::test]
async fn the_requester_of_a_first_answer_request_has_no_say_either() {
    let w = World::default();
    let sent = team_request(&w, Some("U0CAROL")).await;
    w.store
        .records
        .lock()
        .unwrap()
        .get_mut("appr-1")
        .unwrap()
        .quorum = None;
    let carol = w.click(&sent, "U0CAROL", APPROVE).await;
    let ClickOutcome::Refused { error, .. } = carol else {
        panic!("{carol:?}")
    };
    assert_eq!(error, "Hitl.RequesterMayNotVote");
    let decided = |w: &World| {
        w.store.records.lock().unwrap()["appr-1"]
            .decision
            .as_ref()
            .map(|d| d.decided_by.id.clone())
    };
    assert_eq!(decided(&w), None);
    w.click(&sent, "U0BOB", APPROVE).await;
    assert_eq!(decided(&w).as_deref(), Some("U0BOB"));
}
