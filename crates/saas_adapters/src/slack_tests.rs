use super::*;
use crate::testing::{answer, rate_limited, serve, slow};
use std::time::Instant;

const POSTED: &str = r#"{"ok": true, "channel": "C1", "ts": "1700000000.000100"}"#;

fn message() -> SlackMessage {
    SlackMessage {
        text: "Scale down?".into(),
        ..SlackMessage::default()
    }
}

fn target() -> MessageRef {
    MessageRef {
        channel: "C1".into(),
        ts: "1700000000.000100".into(),
    }
}

#[tokio::test]
async fn a_post_that_times_out_is_not_repeated_and_is_unconfirmed() {
    let server = serve(vec![slow(Duration::from_secs(3), 200, POSTED)]).await;
    let slack = SlackWebApi::new(&server.url, "xoxb-1").with_budget(Duration::from_secs(1));
    let started = Instant::now();
    let err = slack.post("C1", &message()).await.unwrap_err();
    assert_eq!(err.name(), "Slack.Unconfirmed", "{err}");
    assert!(err.to_string().contains("chat.postMessage"), "{err}");
    assert!(started.elapsed() < Duration::from_millis(1200));
    assert_eq!(server.calls(), 1);
}

#[tokio::test]
async fn a_5xx_on_a_post_or_an_ephemeral_is_not_repeated() {
    let server = serve(vec![answer(503, ""), answer(200, POSTED)]).await;
    let slack = SlackWebApi::new(&server.url, "xoxb-1");
    let err = slack.post("C1", &message()).await.unwrap_err();
    assert_eq!(err.name(), "Slack.Unconfirmed");
    assert_eq!(server.paths(), ["/chat.postMessage"]);

    let server = serve(vec![answer(500, ""), answer(200, r#"{"ok": true}"#)]).await;
    let slack = SlackWebApi::new(&server.url, "xoxb-1");
    let err = slack
        .post_ephemeral("C1", &"U1".into(), "no")
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Slack.Unconfirmed");
    assert_eq!(server.calls(), 1);
}

#[tokio::test]
async fn slack_internal_errors_leave_a_post_unconfirmed_and_an_update_retryable() {
    let internal = r#"{"ok": false, "error": "internal_error"}"#;
    let server = serve(vec![answer(200, internal)]).await;
    let slack = SlackWebApi::new(&server.url, "xoxb-1");
    let err = slack.post("C1", &message()).await.unwrap_err();
    assert_eq!(err.name(), "Slack.Unconfirmed");
    let err = slack.update(&target(), &message()).await.unwrap_err();
    assert_eq!(err.name(), "Slack.Unavailable");
    assert_eq!(server.calls(), 2);
}

#[tokio::test]
async fn a_429_on_a_post_is_retried() {
    let server = serve(vec![rate_limited("1"), answer(200, POSTED)]).await;
    let slack = SlackWebApi::new(&server.url, "xoxb-1");
    let posted = slack.post("C1", &message()).await.unwrap();
    assert_eq!(posted, target());
    assert_eq!(server.calls(), 2);
}

#[tokio::test]
async fn an_update_after_a_5xx_is_retried() {
    let server = serve(vec![answer(502, ""), answer(200, r#"{"ok": true}"#)]).await;
    let slack = SlackWebApi::new(&server.url, "xoxb-1");
    slack.update(&target(), &message()).await.unwrap();
    assert_eq!(server.paths(), ["/chat.update", "/chat.update"]);
}

#[tokio::test]
async fn a_short_budget_bounds_an_update_and_its_retries() {
    let server = serve(vec![slow(Duration::from_secs(3), 200, r#"{"ok": true}"#)]).await;
    let slack = SlackWebApi::new(&server.url, "xoxb-1").with_budget(Duration::from_secs(1));
    let started = Instant::now();
    let err = slack.update(&target(), &message()).await.unwrap_err();
    assert_eq!(err.name(), "Slack.Unavailable");
    assert!(started.elapsed() < Duration::from_millis(1200));
}

#[tokio::test]
async fn an_email_address_is_looked_up_and_an_unknown_one_is_named() {
    let found = r#"{"ok": true, "user": {"id": "U0ALICE", "name": "alice"}}"#;
    let missing = r#"{"ok": false, "error": "users_not_found"}"#;
    let scope = r#"{"ok": false, "error": "missing_scope", "needed": "users:read.email"}"#;
    let server = serve(vec![
        answer(200, found),
        answer(200, missing),
        answer(200, scope),
    ])
    .await;
    let slack = SlackWebApi::new(&server.url, "xoxb-1");
    let id = slack.lookup_user_by_email("alice@corp.com").await.unwrap();
    assert_eq!(id, "U0ALICE");
    let err = slack.lookup_user_by_email("x@corp.com").await.unwrap_err();
    assert_eq!(err.name(), "Slack.UserNotFound");
    assert!(err.to_string().contains("x@corp.com"), "{err}");
    let err = slack.lookup_user_by_email("x@corp.com").await.unwrap_err();
    assert_eq!(err.name(), "Slack.Unauthorized");
    assert!(err.to_string().contains("users:read.email"), "{err}");
    assert_eq!(server.paths(), ["/users.lookupByEmail"; 3]);
}

#[test]
fn slack_error_codes_get_named_errors() {
    let named = |code| HitlError::from(SlackError::new(error_kind(code), "x")).name();
    assert_eq!(named("channel_not_found"), "Slack.ChannelNotFound");
    assert_eq!(named("not_in_channel"), "Slack.NotInChannel");
    assert_eq!(named("invalid_auth"), "Slack.Unauthorized");
    assert_eq!(named("invalid_blocks"), "Slack.InvalidMessage");
    assert_eq!(named("message_not_found"), "Slack.MessageNotFound");
    assert_eq!(named("users_not_found"), "Slack.UserNotFound");
    assert_eq!(named("something_new"), "Slack.ApiError");
}
