//! Slack use cases with in-memory ports: signatures, the request, clicks (allow-list, first
//! click wins, message update, ephemeral refusals), and waiting on a sent message.

use approvals::delivery::relay;
use approvals::use_cases::slack_click::{Chat, ClickOutcome, SlackOutcome};
use approvals::use_cases::wait_for_approval;
use approvals::use_cases::TaskStatus;
use approvals::{HitlError, MessageRef, Retry};
use channels::slack::*;
use serde_json::json;

mod slack_common;
use slack_common::*;

#[test]
fn signatures_follow_slacks_v0_scheme_with_a_replay_window() {
    // The example from Slack's documentation on verifying requests.
    let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    let ts = "1531420618";
    let signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    assert_eq!(sign(SECRET, ts, body), signature);
    assert_eq!(
        verify_signature(SECRET, Some(ts), Some(signature), body, 1531420618 + 60),
        Ok(())
    );
    assert_eq!(
        verify_signature(SECRET, Some(ts), Some(signature), body, 1531420618 + 301),
        Err(SignatureError::Stale)
    );
    let mut tampered = body.to_vec();
    tampered[0] = b'T';
    assert_eq!(
        verify_signature(SECRET, Some(ts), Some(signature), &tampered, 1531420618),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_signature("other-secret", Some(ts), Some(signature), body, 1531420618),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_signature(SECRET, None, Some(signature), body, 1531420618),
        Err(SignatureError::Missing)
    );
    assert_eq!(
        verify_signature(SECRET, Some(ts), Some("v0=zz"), body, 1531420618),
        Err(SignatureError::Mismatch)
    );
}

#[tokio::test]
async fn a_request_posts_buttons_and_stores_the_token() {
    let w = World::default();
    let out = w.request(request_input()).await.unwrap();
    assert_eq!(out.channel, "C0APPROVALS");
    let (channel, message) = w.slack.posted.lock().unwrap()[0].clone();
    assert_eq!(channel, "#approvals");
    let blocks = message.blocks.unwrap();
    assert_eq!(blocks[0]["type"], "header");
    let actions = &blocks[2];
    assert_eq!(actions["block_id"], "hitl:appr-1");
    assert_eq!(actions["elements"][0]["style"], "primary");
    assert_eq!(
        actions["elements"][0]["confirm"]["text"]["text"],
        "Stop db-1 now?"
    );
    assert_eq!(actions["elements"][2]["value"], "defer");
    let record = w.store.records.lock().unwrap()["appr-1"].clone();
    assert_eq!(record.task_token.as_deref(), Some("token-1"));
    assert_eq!(record.message.unwrap().ts, out.ts);
}

#[tokio::test]
async fn bad_requests_are_named_before_anything_is_posted() {
    let w = World::default();
    for (change, needle) in [
        (json!({"channel": null}), "channel"),
        (json!({"user": "alice"}), "give either channel or user"),
        (json!({"text": " "}), "text is required"),
        (json!({"buttons": []}), "1 to 6"),
        (
            json!({"buttons": [{"label": "A", "value": "x"}, {"label": "B", "value": "x"}]}),
            "used twice",
        ),
        (
            json!({"buttons": [{"label": "A", "value": "v".repeat(256)}]}),
            "255",
        ),
        (
            json!({"buttons": [{"label": "A", "value": "a", "style": "green"}]}),
            "primary or danger",
        ),
        (
            json!({"allowedUsers": ["alice@example.com"]}),
            "allowedUsers",
        ),
        (json!({"taskToken": null}), "taskToken"),
    ] {
        let mut input = request_input();
        for (k, v) in change.as_object().unwrap() {
            input[k] = v.clone();
        }
        let err = w.request(input).await.unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput", "{change}");
        assert!(err.to_string().contains(needle), "{change}: {err}");
    }
    assert!(w.slack.posted.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_first_allowed_click_decides_and_the_message_shows_who() {
    let w = World::default();
    let out = w.request(request_input()).await.unwrap();
    let sent = MessageRef {
        channel: out.channel.clone(),
        ts: out.ts.clone(),
    };

    // Someone not on the allow-list: told so, nothing changes.
    assert!(matches!(
        w.click(&sent, "U0MALLORY", 0).await,
        ClickOutcome::Refused { .. }
    ));
    assert!(w.resumer.resumed.lock().unwrap().is_empty());
    assert!(w.slack.ephemeral.lock().unwrap()[0]
        .2
        .contains("Only <@U0ALICE>, <@U0BOB>"));

    // A custom button: the decision is its value.
    assert_eq!(
        w.click(&sent, "U0ALICE", 2).await,
        ClickOutcome::Decided {
            approval_id: "appr-1".into(),
            delivered: true
        }
    );
    assert_the_task_got_alices_deferral(&w);
    assert_the_message_lost_its_buttons_and_names_alice(&w, &sent);

    // A second click: ephemeral, names the first decision, resumes nothing more.
    assert!(matches!(
        w.click(&sent, "U0BOB", 0).await,
        ClickOutcome::Refused { .. }
    ));
    let note = w.slack.ephemeral.lock().unwrap().last().unwrap().clone();
    assert_eq!(note.1, "U0BOB");
    assert!(
        note.2.contains("Already decided") && note.2.contains("<@U0ALICE>"),
        "{}",
        note.2
    );
    assert_eq!(w.resumer.resumed.lock().unwrap().len(), 1);
}

/// The waiting Task was resumed with Alice's "defer" (a custom button), as a Slack decision.
fn assert_the_task_got_alices_deferral(w: &World) {
    let (token, output) = w.resumer.resumed.lock().unwrap()[0].clone();
    assert_eq!(token, "token-1");
    let output = serde_json::to_value(output).unwrap();
    assert_eq!(output["decision"], "defer");
    assert_eq!(output["value"], "defer");
    assert_eq!(output["approved"], false);
    assert_eq!(output["decidedBy"]["channel"], "slack");
    assert_eq!(
        output["slackUser"],
        json!({"id": "U0ALICE", "username": "u0alice", "teamId": "T1"})
    );
}

/// The message `sent` was updated: no buttons left, and its last line says Alice deferred.
fn assert_the_message_lost_its_buttons_and_names_alice(w: &World, sent: &MessageRef) {
    let (target, update) = w.slack.updated.lock().unwrap()[0].clone();
    assert_eq!(&target, sent);
    let blocks = update.blocks.unwrap();
    assert!(blocks.iter().all(|b| b["type"] != "actions"));
    let line = blocks.last().unwrap()["elements"][0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        line.contains("<@U0ALICE>") && line.contains("defer"),
        "{line}"
    );
}

#[tokio::test]
async fn a_click_on_a_sent_message_before_the_wait_is_kept_and_resumes_the_wait() {
    let w = World::default();
    let sent = w.send_deploy_question(json!({})).await;
    let approval_id = sent
        .approval_id
        .clone()
        .expect("a message with buttons can be waited on");
    let at = MessageRef {
        channel: sent.channel.clone(),
        ts: sent.ts.clone(),
    };
    assert!(matches!(
        w.click(&at, "U0ALICE", 0).await,
        ClickOutcome::Decided {
            delivered: false,
            ..
        }
    ));

    let wait = wait_target(
        serde_json::from_value(json!({"message": sent, "taskToken": "token-2"})).unwrap(),
    )
    .unwrap();
    assert_eq!(wait.approval_id.as_deref(), Some(approval_id.as_str()));
    let out = wait_for_approval(wait, &w.store, &w.resumer, NOW + 20)
        .await
        .unwrap();
    assert_eq!(out.status, TaskStatus::Resumed);
    assert_eq!(w.resumer.resumed.lock().unwrap()[0].1.decision, "approve");
}

#[tokio::test]
async fn plain_messages_are_not_waitable_and_updates_need_a_message() {
    let w = World::default();
    let sent = send_message(
        serde_json::from_value(json!({"user": "U0ALICE", "text": "Done."})).unwrap(),
        &w.store,
        &w.slack,
        30,
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(sent.channel, "D0DM");
    assert_eq!(sent.approval_id, None);
    assert!(w.store.records.lock().unwrap().is_empty());

    let err = update_message(
        serde_json::from_value(json!({"ts": "1.2", "text": "x"})).unwrap(),
        &w.slack,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("channel and ts"), "{err}");
    let updated = update_message(
        serde_json::from_value(json!({"message": sent, "text": "Done, really."})).unwrap(),
        &w.slack,
    )
    .await
    .unwrap();
    assert_eq!(updated.channel, "D0DM");
    assert_eq!(w.slack.updated.lock().unwrap()[0].1.text, "Done, really.");
}

fn slack_down() -> HitlError {
    HitlError::failed_dependency("Slack.Unavailable", "HTTP 503", Retry::Soon)
}

#[tokio::test]
async fn a_failed_ephemeral_post_never_changes_the_answer_about_a_recorded_decision() {
    let w = World::default();
    let out = w.request(request_input()).await.unwrap();
    *w.slack.ephemeral_error.lock().unwrap() = Some(slack_down());
    let sent = MessageRef {
        channel: out.channel.clone(),
        ts: out.ts.clone(),
    };
    assert!(matches!(
        w.click(&sent, "U0ALICE", 0).await,
        ClickOutcome::Decided {
            delivered: true,
            ..
        }
    ));
    // A refusal whose ephemeral note fails is still a refusal, not an error.
    assert!(matches!(
        w.click(&sent, "U0BOB", 1).await,
        ClickOutcome::Refused { .. }
    ));
    assert_eq!(w.resumer.resumed.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_message_whose_update_failed_gets_the_outcome_from_the_relay() {
    let w = World::default();
    let out = w.request(request_input()).await.unwrap();
    let sent = MessageRef {
        channel: out.channel.clone(),
        ts: out.ts.clone(),
    };
    *w.slack.update_errors.lock().unwrap() = vec![slack_down()];
    w.click(&sent, "U0ALICE", 0).await;
    assert!(
        w.slack.updated.lock().unwrap().is_empty(),
        "the update failed"
    );
    let notifier = SlackOutcome(Chat {
        slack: &w.slack,
        format: &BlockKit,
    });
    let report = relay(&w.store, &w.resumer, Some(&notifier), NOW + 30, 10)
        .await
        .unwrap();
    assert_eq!(report.messages_updated, vec!["appr-1"]);
    let updated = w.slack.updated.lock().unwrap().clone();
    assert_eq!(updated.len(), 1);
    let text = updated[0].1.blocks.as_ref().unwrap().to_vec();
    assert!(!text.iter().any(|b| b["type"] == "actions"), "buttons gone");
    assert!(serde_json::to_string(&text).unwrap().contains("<@U0ALICE>"));
    let again = relay(&w.store, &w.resumer, Some(&notifier), NOW + 60, 10)
        .await
        .unwrap();
    assert!(again.is_idle(), "updated once: {again:?}");
}

#[tokio::test]
async fn a_message_update_that_keeps_failing_is_retried_later_not_on_every_pass() {
    let w = World::default();
    let out = w.request(request_input()).await.unwrap();
    let sent = MessageRef {
        channel: out.channel.clone(),
        ts: out.ts.clone(),
    };
    *w.slack.update_errors.lock().unwrap() = vec![slack_down(), slack_down(), slack_down()];
    w.click(&sent, "U0ALICE", 0).await;
    let notifier = SlackOutcome(Chat {
        slack: &w.slack,
        format: &BlockKit,
    });
    let report = relay(&w.store, &w.resumer, Some(&notifier), NOW + 30, 10)
        .await
        .unwrap();
    assert_eq!(report.retry_later, vec!["appr-1"]);
    // Not due again on the next passes of the same minute...
    let next = relay(&w.store, &w.resumer, Some(&notifier), NOW + 33, 10)
        .await
        .unwrap();
    assert!(next.is_idle(), "{next:?}");
    // ...but after the retry delay, and then the update goes through.
    let later = approvals::delivery::MAX_RETRY_DELAY_SECONDS;
    let report = relay(&w.store, &w.resumer, Some(&notifier), NOW + 30 + later, 10)
        .await
        .unwrap();
    assert_eq!(report.retry_later, vec!["appr-1"], "the third failure");
    // The pause doubles after each failure (20 s, 40 s, ... up to 15 min).
    let report = relay(
        &w.store,
        &w.resumer,
        Some(&notifier),
        NOW + 30 + later + 2 * later,
        10,
    )
    .await
    .unwrap();
    assert_eq!(report.messages_updated, vec!["appr-1"]);
}

#[tokio::test]
async fn an_asl_retry_with_the_same_request_key_reuses_the_first_message() {
    let w = World::default();
    let mut input = request_input();
    input["requestKey"] = json!("arn:exec:1/AskInSlack/2026-11-27T12:00:00Z");
    let first = w.request_as("generated-1", input.clone()).await.unwrap();
    input["taskToken"] = json!("token-2");
    let retry = w.request_as("generated-2", input).await.unwrap();
    assert_eq!(first, retry, "the same request and message");
    assert_eq!(w.slack.posted.lock().unwrap().len(), 1, "posted once");
    let record = w.store.records.lock().unwrap()[first.approval_id.as_str()].clone();
    assert_eq!(
        record.task_token.as_deref(),
        Some("token-2"),
        "the retry's Task waits"
    );
    assert_eq!(
        first.approval_id,
        keyed_approval_id("arn:exec:1/AskInSlack/2026-11-27T12:00:00Z")
    );

    let send = json!({"requestKey": "arn:exec:1/Notify/t"});
    let a = w.send_deploy_question(send.clone()).await;
    let b = w.send_deploy_question(send).await;
    assert_eq!(a, b);
    assert_eq!(
        w.slack.posted.lock().unwrap().len(),
        2,
        "one request, one message"
    );
}
