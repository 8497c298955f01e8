//! Slack options beyond the basics, on the local stack: a person by email address
//! (`users.lookupByEmail`), thread replies, the bot's name and icon, and Wait For User Action
//! on selects, radio buttons, checkboxes and pickers with the action ids that count.

use std::time::Duration;

use e2e_tests::*;
use serde_json::{json, Value};

/// Takes scopes away from the stand-in's bot token (`[]` gives them all back).
async fn without_scopes(missing: &[&str]) {
    let r = http()
        .post(format!(
            "{}/_standins/slack/_control/scopes",
            endpoints().api
        ))
        .json(&json!({ "missing": missing }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "scopes hook: {}", r.status());
}

#[tokio::test]
async fn a_request_by_email_address_in_a_thread_under_a_custom_name_and_icon() {
    let tag = unique("rotate");
    let (error, parent) = invoke(
        "SlackSendMessageFunction",
        &json!({"user": "bob@example.com", "text": format!("Key rotation {tag}")}),
    )
    .await;
    assert_eq!(error, None, "{parent}");
    assert_eq!(parent["channel"], "D0BOB", "the address is Bob's: his DM");

    let arn = run_one_task(
        "SlackRequestActionFunction",
        json!({
            "user": "bob@example.com", "text.$": "$.text", "threadTs.$": "$.parent.ts",
            "username": "Key rotation", "iconEmoji": ":key:",
            "unfurlLinks": true, "unfurlMedia": false
        }),
        json!({"text": format!("Rotate {tag} now?"), "parent": parent}),
    )
    .await;
    let asked = slack_message_with(&format!("Rotate {tag}")).await;
    assert_eq!(asked["channel"], "D0BOB");
    assert_eq!(asked["threadTs"], parent["ts"], "a reply in the thread");
    assert_eq!(
        asked["persona"],
        json!({"username": "Key rotation", "iconEmoji": ":key:"})
    );
    assert_eq!(asked["unfurl"], json!({"links": true, "media": false}));
    assert_eq!(
        slack_message_with(&format!("Key rotation {tag}")).await["unfurl"],
        json!({"links": null, "media": null}),
        "unset: Slack's defaults"
    );
    let (channel, ts) = message_ref(&asked);
    let (status, _) = slack_click(&channel, &ts, "U0BOB", "approve", json!({})).await;
    assert_eq!(status, 200);
    let end = wait_for_end(&arn, Duration::from_secs(30)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    assert_eq!(end.output["decision"], "approve");
    assert_eq!(end.output["slackUser"]["id"], "U0BOB");
}

#[tokio::test]
async fn unknown_addresses_missing_scopes_and_missing_threads_are_named_errors() {
    let (error, out) = invoke(
        "SlackRequestActionFunction",
        &json!({"user": "nobody@example.com", "text": "hi", "taskToken": "t-1"}),
    )
    .await;
    assert_eq!(error.as_deref(), Some("Unhandled"));
    assert_eq!(out["errorType"], "Slack.UserNotFound", "{out}");
    assert!(
        out["errorMessage"]
            .as_str()
            .unwrap()
            .contains("nobody@example.com"),
        "{out}"
    );

    let (error, out) = invoke(
        "SlackSendMessageFunction",
        &json!({"channel": "C0APPROVALS", "text": "hi", "threadTs": "1.000001"}),
    )
    .await;
    assert_eq!(error.as_deref(), Some("Unhandled"));
    assert_eq!(out["errorType"], "Slack.MessageNotFound", "{out}");
    assert!(
        out["errorMessage"]
            .as_str()
            .unwrap()
            .contains("thread_not_found"),
        "{out}"
    );

    without_scopes(&["users:read.email"]).await;
    let (_, out) = invoke(
        "SlackSendMessageFunction",
        &json!({"user": "alice@example.com", "text": "hi"}),
    )
    .await;
    without_scopes(&[]).await;
    assert_eq!(out["errorType"], "Slack.Unauthorized", "{out}");
    assert!(
        out["errorMessage"]
            .as_str()
            .unwrap()
            .contains("users:read.email"),
        "{out}"
    );
}

/// Sends a message whose blocks hold `element` (as an `actions` element) and a Cancel button;
/// `extra` adds Send Message input fields. Returns Send Message's output.
async fn send_with(element: Value, extra: Value) -> Value {
    let mut input = json!({
        "channel": "C0APPROVALS", "text": unique("choose"),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "Choose"}},
            {"type": "actions", "elements": [element,
                {"type": "button", "action_id": "cancel", "text": {"type": "plain_text", "text": "Cancel"}, "value": "reject"}]}
        ]
    });
    for (k, v) in extra.as_object().unwrap() {
        input[k] = v.clone();
    }
    let (error, sent) = invoke("SlackSendMessageFunction", &input).await;
    assert_eq!(error, None, "{sent}");
    sent
}

/// Acts on the element `action_id` of `sent` as Alice, with `selected`.
async fn select(sent: &Value, action_id: &str, selected: Value) -> u16 {
    let (channel, ts) = message_ref(sent);
    let extra = json!({"actionId": action_id, "selected": selected});
    slack_click(&channel, &ts, "U0ALICE", "", extra).await.0
}

fn option(value: &str) -> Value {
    json!({"text": {"type": "plain_text", "text": value.to_uppercase()}, "value": value})
}

#[tokio::test]
async fn wait_for_user_action_resumes_on_the_named_select_and_ignores_other_actions() {
    let env = json!({"type": "static_select", "action_id": "env",
        "placeholder": {"type": "plain_text", "text": "Environment"},
        "options": [option("staging"), option("prod")]});
    let sent = send_with(env, json!({"actionIds": ["env"]})).await;
    let arn = run_one_task(
        "SlackWaitForUserActionFunction",
        json!({"message.$": "$.sent"}),
        json!({"sent": sent}),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (channel, ts) = message_ref(&sent);
    let (status, _) = slack_click(&channel, &ts, "U0ALICE", "reject", json!({})).await;
    assert_eq!(status, 200, "acknowledged");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        execution_status(&arn).await,
        "RUNNING",
        "cancel does not count"
    );
    assert_eq!(select(&sent, "env", json!(["prod"])).await, 200);
    let end = wait_for_end(&arn, Duration::from_secs(30)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    assert_eq!(end.output["decision"], "prod");
    assert_eq!(
        end.output["action"],
        json!({"actionId": "env", "type": "static_select", "selected": ["prod"]})
    );
    assert!(!has_buttons(&slack_message(&channel, &ts).await));
}

#[tokio::test]
async fn checkboxes_radio_buttons_pickers_and_user_selects_resume_a_wait() {
    let cases = [
        (
            json!({"type": "checkboxes", "action_id": "a", "options": [option("eu"), option("us")]}),
            json!(["eu", "us"]),
            json!(["eu", "us"]),
        ),
        (
            json!({"type": "radio_buttons", "action_id": "a", "options": [option("approve"), option("reject")]}),
            json!(["approve"]),
            json!(["approve"]),
        ),
        (
            json!({"type": "datepicker", "action_id": "a"}),
            json!(["2027-01-15"]),
            json!(["2027-01-15"]),
        ),
        (
            json!({"type": "timepicker", "action_id": "a"}),
            json!(["09:30"]),
            json!(["09:30"]),
        ),
        (
            json!({"type": "datetimepicker", "action_id": "a"}),
            json!(["1800000000"]),
            json!(["2027-01-15T08:00:00Z"]),
        ),
        (
            json!({"type": "users_select", "action_id": "a"}),
            json!(["U0BOB"]),
            json!(["U0BOB"]),
        ),
        (
            json!({"type": "conversations_select", "action_id": "a"}),
            json!(["C0GENERAL"]),
            json!(["C0GENERAL"]),
        ),
    ];
    for (element, selected, expected) in cases {
        let kind = element["type"].clone();
        let sent = send_with(element, json!({})).await;
        assert!(sent["approvalId"].is_string(), "{kind} makes it waitable");
        // The action comes first; the wait then resumes at once with it.
        assert_eq!(select(&sent, "a", selected).await, 200, "{kind}");
        let arn = run_one_task(
            "SlackWaitForUserActionFunction",
            json!({"message.$": "$.sent"}),
            json!({"sent": sent}),
        )
        .await;
        let end = wait_for_end(&arn, Duration::from_secs(30)).await;
        assert_eq!(end.status, "SUCCEEDED", "{kind}: {end:?}");
        assert_eq!(end.output["action"]["type"], kind);
        assert_eq!(end.output["action"]["selected"], expected, "{kind}");
    }
}

#[tokio::test]
async fn link_previews_are_set_per_message_and_only_with_booleans() {
    let tag = unique("previews");
    let (error, out) = invoke(
        "SlackSendMessageFunction",
        &json!({"channel": "C0APPROVALS", "text": format!("Runbook {tag}: https://example.com/runbook"),
            "unfurlLinks": false, "unfurlMedia": false}),
    )
    .await;
    assert_eq!(error, None, "{out}");
    let sent = slack_message_with(&format!("Runbook {tag}")).await;
    assert_eq!(sent["unfurl"], json!({"links": false, "media": false}));

    let (error, out) = invoke(
        "SlackSendMessageFunction",
        &json!({"channel": "C0APPROVALS", "text": "hi", "unfurlLinks": "no"}),
    )
    .await;
    assert_eq!(error.as_deref(), Some("Unhandled"));
    assert_eq!(out["errorType"], "Hitl.InvalidInput", "{out}");
    assert!(
        out["errorMessage"]
            .as_str()
            .unwrap()
            .contains("unfurlLinks"),
        "{out}"
    );
}
