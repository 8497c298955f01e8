//! Teams to one person by email address (`user`) on the local stack: the real functions, as a
//! Bot Framework bot, against the stand-ins of the identity platform (a single-tenant bot's
//! tokens), Microsoft Graph (the user lookup) and the Bot Connector (proactive 1:1 messages).
//! Its directory: alice and bob have the bot's app, carol does not, dave's mail is not his
//! sign-in name.

use std::time::Duration;

use e2e_tests::*;
use serde_json::{json, Value};

/// Whether any Teams message holds `needle` (other tests post meanwhile).
async fn any_teams_message_with(needle: &str) -> bool {
    chat().await["teams"]["messages"]
        .as_array()
        .is_some_and(|all| all.iter().any(|m| m.to_string().contains(needle)))
}

/// A workflow of one Teams Request Action with `payload`; its execution ARN.
async fn ask_in_teams(payload: Value) -> String {
    run_one_task("TeamsRequestActionFunction", payload, json!({})).await
}

#[tokio::test]
async fn a_chat_message_to_an_address_arrives_in_that_persons_1_1_chat() {
    for (address, person) in [
        ("Alice@Example.com", "alice@example.com"),
        // Dave signs in as dave.k@…: found by his mail address.
        ("dave@example.com", "dave@example.com"),
    ] {
        let tag = unique("heads-up");
        let (error, out) = invoke(
            "TeamsSendChatMessageFunction",
            &json!({"user": address, "title": "Heads-up", "text": tag}),
        )
        .await;
        assert_eq!(error, None, "{out}");
        assert_eq!(out, json!({"delivered": true, "via": "bot"}));
        let message = teams_message_with(&tag).await;
        assert_eq!(message["via"], "bot", "{message}");
        assert_eq!(message["where"]["user"], person, "{message}");
        assert!(
            message["where"]["conversationId"]
                .as_str()
                .unwrap()
                .starts_with("a:"),
            "{message}"
        );
    }
    // The local page shows it in the person's chat.
    let page = get(&format!("{}/_local/", endpoints().api)).await;
    assert!(
        page.body.contains("1:1 chat with alice@example.com (bot)"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_request_to_a_user_is_decided_from_their_1_1_card_as_them() {
    let title = unique("Rotate the keys");
    let arn = ask_in_teams(json!({"title": title, "user": "bob@example.com",
        "facts": [{"title": "Keys", "value": 3}]}))
    .await;
    let message = teams_message_with(&title).await;
    assert_eq!(message["via"], "bot");
    assert_eq!(message["where"]["user"], "bob@example.com");
    let card = &message["card"];
    let actions = card["actions"].as_array().unwrap();
    assert!(
        actions.iter().all(|a| a["type"] == "Action.OpenUrl"),
        "{card}"
    );
    let approve = actions.iter().find(|a| a["title"] == "Approve").unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        approve.contains("a=0") && approve.contains("sig=") && !approve.contains("taskToken"),
        "a signed link bound to Bob: {approve}"
    );

    // Opening the link (a link preview, a scanner) decides nothing.
    assert_eq!(get(&approve).await.status, 200);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(execution_status(&arn).await, "RUNNING");

    let done = confirm(&approve, &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let end = wait_for_end(&arn, Duration::from_secs(60)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    let decision = &end.output;
    assert_eq!(decision["decision"], "approve", "{decision}");
    assert_eq!(decision["decidedBy"]["id"], "bob@example.com", "{decision}");
    assert_eq!(decision["decidedBy"]["verified"], true, "{decision}");
    assert_eq!(decision["decidedBy"]["channel"], "teams", "{decision}");
}

#[tokio::test]
async fn a_request_to_a_user_with_buttons_resumes_with_the_value_they_chose() {
    let title = unique("Resize the cluster");
    let buttons = json!([
        {"label": "Scale to 2", "value": "scale-2", "style": "primary"},
        {"label": "Keep", "value": "keep", "style": "danger"}
    ]);
    let arn =
        ask_in_teams(json!({"title": title, "user": "alice@example.com", "buttons": buttons}))
            .await;
    let message = teams_message_with(&title).await;
    assert_eq!(message["where"]["user"], "alice@example.com", "{message}");
    let actions = message["card"]["actions"].as_array().unwrap().clone();
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Scale to 2", "Keep"], "{message}");
    let scale = actions[0]["url"].as_str().unwrap().to_string();
    assert!(scale.contains("a=0"), "bound to Alice: {scale}");

    let done = confirm(&scale, &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let end = wait_for_end(&arn, Duration::from_secs(60)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    assert_eq!(end.output["decision"], "scale-2", "{:?}", end.output);
    assert_eq!(end.output["approved"], false, "{:?}", end.output);
    assert_eq!(end.output["decidedBy"]["id"], "alice@example.com");
    assert_eq!(end.output["decidedBy"]["verified"], true);
}

#[tokio::test]
async fn an_unknown_address_or_a_person_without_the_app_is_a_named_error() {
    let (_, out) = invoke(
        "TeamsSendChatMessageFunction",
        &json!({"user": "nobody@example.com", "text": "hello"}),
    )
    .await;
    assert_eq!(out["errorType"], "Teams.UserNotFound", "{out}");
    assert!(
        out["errorMessage"]
            .as_str()
            .unwrap()
            .contains("nobody@example.com"),
        "{out}"
    );

    // Carol exists, but the app holding the bot is not installed for her.
    let carols = unique("Stop db-9");
    let (_, out) = invoke(
        "TeamsRequestActionFunction",
        &json!({"title": carols, "user": "carol@example.com", "taskToken": "t-carol"}),
    )
    .await;
    assert_eq!(out["errorType"], "Teams.BotNotInstalled", "{out}");
    let message = out["errorMessage"].as_str().unwrap();
    assert!(
        message.contains("carol@example.com") && message.contains("install"),
        "says what to do: {out}"
    );

    // user and approvers together: refused before anything is stored or sent.
    let both = unique("Both");
    let (_, out) = invoke(
        "TeamsRequestActionFunction",
        &json!({"title": both, "user": "alice@example.com", "approvers": ["bob@example.com"], "taskToken": "t"}),
    )
    .await;
    assert_eq!(out["errorType"], "Hitl.InvalidInput", "{out}");
    assert!(!any_teams_message_with(&carols).await);
    assert!(!any_teams_message_with(&both).await);
}

#[tokio::test]
async fn a_bot_secret_the_identity_platform_refuses_is_teams_unauthorized() {
    const WRONG: &str = "not-the-bots-secret-0123456789";
    let stack = stack_with(&[("TeamsBotAppSecret", WRONG)]);
    let (_, out) = stack
        .invoke(
            "TeamsSendChatMessageFunction",
            &json!({"user": "alice@example.com", "text": "hello"}),
        )
        .await;
    assert_eq!(out["errorType"], "Teams.Unauthorized", "{out}");
    let message = out["errorMessage"].as_str().unwrap();
    assert!(message.contains("invalid_client"), "{out}");
    assert!(!message.contains(WRONG), "never the secret: {out}");
    // The webhook, which needs no bot, still works on that stack.
    let (error, out) = stack
        .invoke("TeamsSendChatMessageFunction", &json!({"text": "hello"}))
        .await;
    assert_eq!(error, None, "{out}");
    assert_eq!(out["via"], "webhook");
}
