//! Follow-up questions in Slack, with in-memory ports: a click whose choice asks opens a modal
//! and decides nothing; the submission is checked (refused answers record nothing, show a
//! message under the field); a valid one decides once, with the typed answer, and resumes.

use approvals::use_cases::slack_click::{ClickOutcome, ClickStep};
use approvals::{HitlError, MessageRef, Retry};
use channels::slack_click::modal::{ANSWER_ACTION_ID, ANSWER_BLOCK_ID};
use channels::slack_click::*;
use serde_json::{json, Value};

mod slack_common;
use slack_common::*;

/// A request whose "reject" and "defer" ask how many replicas to keep (a number).
async fn asked(w: &World) -> MessageRef {
    let mut input = request_input();
    input["followUp"] =
        json!({"question": "How many replicas?", "answer": "number", "after": ["reject", "defer"]});
    let out = w.request(input).await.unwrap();
    MessageRef {
        channel: out.channel,
        ts: out.ts,
    }
}

async fn click(w: &World, at: &MessageRef, user: &str, index: usize) -> ClickOutcome {
    let mut payload = w.click_payload(at, user, index);
    payload.trigger_id = Some(format!("trigger-{user}-{index}"));
    let step = record_click(payload, None, &w.store, NOW + 10)
        .await
        .unwrap();
    follow_up(step, &w.store, &w.resumer, &w.slack, NOW + 10).await
}

/// Submits the last opened modal as `user` with `answer`; returns the step (whose
/// `AnswerRefused` is answered to Slack as field errors) and the outcome.
async fn submit(w: &World, user: &str, answer: Option<&str>) -> (ClickStep, ClickOutcome) {
    let (_, view) = w
        .slack
        .views
        .lock()
        .unwrap()
        .last()
        .cloned()
        .expect("a modal");
    let value = answer.map_or(Value::Null, |a| json!(a));
    let payload: BlockActions = serde_json::from_value(json!({
        "type": "view_submission",
        "user": {"id": user, "username": user.to_lowercase(), "team_id": "T1"},
        "view": {"callback_id": view["callback_id"], "private_metadata": view["private_metadata"],
            "state": {"values": {ANSWER_BLOCK_ID: {ANSWER_ACTION_ID: {"type": "number_input", "value": value}}}}}
    }))
    .unwrap();
    let step = record_click(payload, None, &w.store, NOW + 20)
        .await
        .unwrap();
    let outcome = follow_up(step.clone(), &w.store, &w.resumer, &w.slack, NOW + 20).await;
    (step, outcome)
}

fn resumes(w: &World) -> Vec<(String, approvals::DecisionOutput)> {
    w.resumer.resumed.lock().unwrap().clone()
}

fn decided(w: &World) -> bool {
    w.store.records.lock().unwrap()["appr-1"].decision.is_some()
}

#[tokio::test]
async fn a_click_that_asks_opens_a_modal_and_decides_nothing() {
    let w = World::default();
    let at = asked(&w).await;
    let outcome = click(&w, &at, "U0ALICE", 1).await;
    assert_eq!(
        outcome,
        ClickOutcome::Asked {
            approval_id: "appr-1".into()
        }
    );
    let (trigger, view) = w.slack.views.lock().unwrap()[0].clone();
    assert_eq!(
        trigger, "trigger-U0ALICE-1",
        "opened with the click's trigger"
    );
    assert_eq!(view["blocks"][1]["element"]["type"], "number_input");
    assert!(!decided(&w), "nothing recorded before the answer");
    assert!(resumes(&w).is_empty() && w.slack.updated.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_refused_answer_records_nothing_and_a_valid_one_decides_with_it() {
    let w = World::default();
    let at = asked(&w).await;
    click(&w, &at, "U0ALICE", 1).await;
    for bad in [Some("three"), None, Some("NaN")] {
        let (step, outcome) = submit(&w, "U0ALICE", bad).await;
        let ClickStep::AnswerRefused { reason, .. } = step else {
            panic!("{bad:?} accepted: {step:?}");
        };
        assert!(!reason.is_empty());
        assert!(matches!(
            outcome,
            ClickOutcome::Refused {
                error: "Hitl.AnswerRefused",
                ..
            }
        ));
        assert!(!decided(&w), "{bad:?}: nothing recorded");
    }
    let (_, outcome) = submit(&w, "U0ALICE", Some(" 2 ")).await;
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
    let resumed = resumes(&w);
    assert_eq!(resumed.len(), 1);
    let output = serde_json::to_value(&resumed[0].1).unwrap();
    assert_eq!(output["decision"], "reject");
    assert_eq!(output["slackUser"]["id"], "U0ALICE");
    assert_eq!(
        output["followUp"],
        json!({"question": "How many replicas?", "answer": 2})
    );
    let (_, update) = w.slack.updated.lock().unwrap().last().cloned().unwrap();
    assert!(
        update.text.contains("How many replicas? 2"),
        "{}",
        update.text
    );

    // A second submission (another modal left open) changes nothing.
    let (_, outcome) = submit(&w, "U0BOB", Some("5")).await;
    assert!(matches!(
        outcome,
        ClickOutcome::Refused {
            error: "Hitl.AlreadyDecided",
            ..
        }
    ));
    assert_eq!(resumes(&w).len(), 1);
}

#[tokio::test]
async fn a_choice_the_question_is_not_after_decides_at_once() {
    let w = World::default();
    let at = asked(&w).await;
    let outcome = click(&w, &at, "U0BOB", 0).await;
    assert!(
        matches!(outcome, ClickOutcome::Decided { .. }),
        "{outcome:?}"
    );
    assert!(
        w.slack.views.lock().unwrap().is_empty(),
        "no modal for approve"
    );
    let output = serde_json::to_value(&resumes(&w)[0].1).unwrap();
    assert_eq!(output["decision"], "approve");
    assert!(output.get("followUp").is_none(), "{output}");
}

#[tokio::test]
async fn a_modal_slack_does_not_open_decides_nothing_and_says_so() {
    let w = World::default();
    let at = asked(&w).await;
    *w.slack.view_error.lock().unwrap() = Some(HitlError::failed_dependency(
        "Slack.ApiError",
        "views.open: expired_trigger_id",
        Retry::Never,
    ));
    let outcome = click(&w, &at, "U0ALICE", 2).await;
    assert!(matches!(
        outcome,
        ClickOutcome::Refused {
            error: "Slack.ViewNotOpened",
            ..
        }
    ));
    assert!(!decided(&w));
    assert!(w.slack.ephemeral_texts()[0].contains("Nothing was decided"));
}

#[tokio::test]
async fn a_submission_is_checked_like_a_click() {
    let w = World::default();
    let at = asked(&w).await;
    click(&w, &at, "U0ALICE", 1).await;
    // Carol is not on the allow-list: refused even with a valid answer.
    let (_, outcome) = submit(&w, "U0CAROL", Some("3")).await;
    assert!(matches!(
        outcome,
        ClickOutcome::Refused {
            error: "Hitl.NotAnApprover",
            ..
        }
    ));
    assert!(!decided(&w));
}
