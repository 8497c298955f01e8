//! The connector refuses what Teams refuses: a bot not in the chat, an unknown conversation,
//! a card Teams cannot show, an update of an unknown activity or one in another conversation;
//! and a click only by a member, only on a button the card shows.

use super::*;

#[tokio::test]
async fn the_connector_refuses_what_teams_refuses() {
    let stack = stack().await;
    let (status, created) = stack
        .teams_control(
            "/_control/bot/conversations",
            json!({"type": "channel", "members": ["alice@example.com"], "botInstalled": false}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let elsewhere = created["id"].as_str().unwrap();
    let (status, body) = stack
        .post_card(elsewhere, approval_card("1.5", vec![]))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("BotNotInConversationRoster"))
    );
    let (status, body) = stack
        .post_card("19:nope@thread.v2", approval_card("1.5", vec![]))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("ConversationNotFound"))
    );
    let (status, _) = stack
        .post_card(DEFAULT_CHANNEL_ID, approval_card("1.6", vec![]))
        .await;
    assert_eq!(status, 400, "Teams shows Adaptive Cards up to 1.5");
    let (status, _) = stack
        .post_card(DEFAULT_CHANNEL_ID, json!({"type": "HeroCard"}))
        .await;
    assert_eq!(status, 400);

    let id = stack
        .send(DEFAULT_CHANNEL_ID, approval_card("1.5", vec![]))
        .await;
    let (status, body) = stack
        .put_card(
            format!("{DEFAULT_CHANNEL_ID}/activities/999"),
            approval_card("1.5", vec![]),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("ActivityNotFound"))
    );
    let (status, _) = stack
        .put_card(
            format!("{DEFAULT_GROUP_CHAT_ID}/activities/{id}"),
            approval_card("1.5", vec![]),
        )
        .await;
    assert_eq!(status, 404, "the activity is in another conversation");
    let (status, _) = stack
        .put_card(
            format!("{DEFAULT_CHANNEL_ID}/activities/{id}"),
            approval_card("2.0", vec![]),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(stack.teams.snapshot()["messages"][0]["updates"], 0);
    // The channel named as the card's thread, as Teams names it in the click.
    let thread = format!("{DEFAULT_CHANNEL_ID};messageid={id}/activities/{id}");
    let (status, _) = stack.put_card(thread, approval_card("1.5", vec![])).await;
    assert_eq!(status, 200);
    let chat_thread = format!("{DEFAULT_GROUP_CHAT_ID};messageid={id}/activities/{id}");
    let (status, _) = stack
        .put_card(chat_thread, approval_card("1.5", vec![]))
        .await;
    assert_eq!(status, 404, "a group chat has no threads");
    assert_eq!(stack.teams.snapshot()["messages"][0]["updates"], 1);

    // Only members click, only buttons the card shows.
    let mut request = click("alice@example.com", elsewhere, &id);
    request.verb = Some("decide".into());
    assert_eq!(
        stack.teams.click(&request).await.unwrap_err().0,
        StatusCode::NOT_FOUND
    );
    let mut request = click("alice@example.com", DEFAULT_CHANNEL_ID, &id);
    request.action = Some("Delete everything".into());
    assert_eq!(
        stack.teams.click(&request).await.unwrap_err().0,
        StatusCode::CONFLICT
    );
    let (_, only_alice) = stack
        .teams_control(
            "/_control/bot/conversations",
            json!({"type": "groupChat", "members": ["alice@example.com"]}),
        )
        .await;
    let only_alice = only_alice["id"].as_str().unwrap();
    let card = stack.send(only_alice, approval_card("1.5", vec![])).await;
    let mut request = click("bob@example.com", only_alice, &card);
    request.action = Some("Approve".into());
    let (status, why) = stack.teams.click(&request).await.unwrap_err();
    assert_eq!(status, StatusCode::FORBIDDEN, "{why}");
    assert!(
        stack.received.lock().unwrap().is_empty(),
        "nothing reached the bot"
    );
}
