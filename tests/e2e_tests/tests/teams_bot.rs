//! Teams to one person by email address (`user`) on the local stack: the real functions, as a
//! Bot Framework bot, against the stand-ins of the identity platform (a single-tenant bot's
//! tokens), Microsoft Graph (the user lookup) and the Bot Connector (proactive 1:1 messages).
//! A request to `user` is a card in their 1:1 chat whose `Action.Execute` buttons they click
//! inside Teams (through the Bot Framework stand-in's click, signed as Teams signs it).
//! Its directory: alice and bob have the bot's app, carol does not, dave's mail is not his
//! sign-in name.

use std::time::Duration;

use e2e_tests::*;
use serde_json::{json, Value};

mod teams_bot_support;
use teams_bot_support::*;

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

/// The 1:1 card of a request to `user`: its message, the request's approval id.
async fn card_to(user: &str, title: &str) -> (Value, String) {
    let message = teams_message_with(title).await;
    assert_eq!(message["via"], "bot", "{message}");
    assert_eq!(message["where"]["user"], user, "{message}");
    assert_eq!(
        message["where"]["conversationType"], "personal",
        "{message}"
    );
    let card = message["card"].to_string();
    assert!(
        !card.contains("Action.OpenUrl") && !card.contains("sig="),
        "decided inside Teams, no link to open: {card}"
    );
    let id = approval_id_of(&message["card"]).expect("the buttons name the request");
    (message, id)
}

#[tokio::test]
async fn a_request_to_a_user_is_decided_from_their_1_1_card_as_them() {
    let title = unique("Rotate the keys");
    let arn = ask_in_teams(json!({"title": title, "user": "bob@example.com",
        "facts": [{"title": "Keys", "value": 3}]}))
    .await;
    let (message, id) = card_to("bob@example.com", &title).await;
    let titles: Vec<Value> = buttons(&message["card"])
        .iter()
        .map(|b| b["title"].clone())
        .collect();
    assert_eq!(titles, [json!("Approve"), json!("Reject")], "{message}");

    // Teams refreshing the card as Bob looks at it decides nothing: the buttons stay.
    let refresh = click("bob@example.com", &message, json!({"verb": "refresh"})).await;
    assert!(card_has_buttons(answered_card(&refresh)), "{refresh}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(execution_status(&arn).await, "RUNNING");
    assert_eq!(stored_decision(&id).await, "");

    let answer = click("bob@example.com", &message, json!({"action": "Approve"})).await;
    let card = answered_card(&answer);
    assert!(!card_has_buttons(card), "nothing left to click: {card}");
    assert!(card.to_string().contains("Approved by Bob"), "{card}");
    let end = wait_for_end(&arn, Duration::from_secs(60)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    let decision = &end.output;
    assert_eq!(decision["decision"], "approve", "{decision}");
    let bob = object_id("bob@example.com").await;
    assert_eq!(decision["decidedBy"]["id"], bob, "by object id: {decision}");
    assert_eq!(decision["decidedBy"]["name"], "Bob", "{decision}");
    assert_eq!(decision["decidedBy"]["verified"], true, "{decision}");
    assert_eq!(decision["decidedBy"]["channel"], "teams", "{decision}");
    let teams_user = &decision["teamsUser"];
    assert_eq!(teams_user["objectId"], bob, "{decision}");
    assert_eq!(
        teams_user["userPrincipalName"], "bob@example.com",
        "{decision}"
    );

    // Bob's own copy (and the chat's) then shows the outcome.
    let card = updated_card(&message).await;
    assert!(!card_has_buttons(&card), "{card}");
    assert!(card.to_string().contains("Approved by Bob"), "{card}");
}

#[tokio::test]
async fn a_request_to_a_user_with_buttons_resumes_with_the_value_they_chose() {
    let title = unique("Resize the cluster");
    let buttons_asked = json!([
        {"label": "Scale to 2", "value": "scale-2", "style": "primary"},
        {"label": "Keep", "value": "keep", "style": "danger"}
    ]);
    let arn = ask_in_teams(
        json!({"title": title, "user": "alice@example.com", "buttons": buttons_asked}),
    )
    .await;
    let (message, id) = card_to("alice@example.com", &title).await;
    let shown: Vec<(Value, Value)> = buttons(&message["card"])
        .iter()
        .map(|b| (b["title"].clone(), b["data"]["value"].clone()))
        .collect();
    assert_eq!(
        shown,
        [
            (json!("Scale to 2"), json!("scale-2")),
            (json!("Keep"), json!("keep"))
        ],
        "each button carries its own value: {message}"
    );

    let answer = click(
        "alice@example.com",
        &message,
        json!({"action": "Scale to 2"}),
    )
    .await;
    let card = answered_card(&answer);
    assert!(!card_has_buttons(card), "{card}");
    assert!(card.to_string().contains("Alice"), "{card}");
    let end = wait_for_end(&arn, Duration::from_secs(60)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    assert_eq!(end.output["decision"], "scale-2", "{:?}", end.output);
    assert_eq!(end.output["approved"], false, "{:?}", end.output);
    let alice = object_id("alice@example.com").await;
    assert_eq!(end.output["decidedBy"]["id"], alice, "{:?}", end.output);
    assert_eq!(end.output["decidedBy"]["verified"], true);
    assert_eq!(
        end.output["teamsUser"]["userPrincipalName"],
        "alice@example.com"
    );
    assert_eq!(stored_decision(&id).await, "scale-2");
}

#[tokio::test]
async fn a_retried_request_to_a_user_sends_one_card() {
    let title = unique("Restart the queue");
    let key = unique("retry");
    let input = json!({"title": title, "user": "dave@example.com", "requestKey": key,
        "taskToken": unique("t")});
    let (error, first) = invoke("TeamsRequestActionFunction", &input).await;
    assert_eq!(error, None, "{first}");
    // The state's Retry after an answer that was lost: the same input again.
    let (error, again) = invoke("TeamsRequestActionFunction", &input).await;
    assert_eq!(error, None, "{again}");
    assert_eq!(again["approvalId"], first["approvalId"], "{first} {again}");
    let (message, id) = card_to("dave@example.com", &title).await;
    assert_eq!(json!(id), first["approvalId"]);
    let all = chat().await["teams"]["messages"].clone();
    let cards = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m.to_string().contains(&title))
        .count();
    assert_eq!(cards, 1, "one card in Dave's chat: {message}");
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
