//! Sending a card (`send_card`): to a channel or group chat, to one person's 1:1 chat (opened
//! once and kept), what a refusal is named, and the refresh's `userIds` as the conversation's
//! members are looked up before anything is posted.

use approvals::ports::{BotConversation, TeamsBot as _};
use approvals::{MessageRef, Retry};
use serde_json::{json, Value};

use super::*;

#[tokio::test]
async fn a_card_to_a_channel_is_posted_as_an_adaptive_card_attachment() {
    let server = record(vec![(200, TOKEN_OK), (201, ACTIVITY)]).await;
    let to = BotConversation::Conversation(CHANNEL.into());
    let sent = bot(&server).send_card(&to, &card()).await.unwrap();
    assert_eq!(
        sent.message,
        MessageRef {
            channel: CHANNEL.into(),
            ts: "1700000000001".into()
        }
    );
    assert_eq!(
        server.calls(),
        [
            TOKEN_PATH.to_string(),
            format!("POST /connector/v3/conversations/{CHANNEL}/activities")
        ]
    );
    let posted = server.seen()[1].json();
    assert_eq!(posted["type"], "message");
    let attachment = &posted["attachments"][0];
    assert_eq!(
        attachment["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(attachment["content"], card());
}

#[tokio::test]
async fn a_card_to_a_person_opens_their_chat_by_object_id_once() {
    let server = record(vec![
        (200, TOKEN_OK),
        (201, r#"{"id":"a:1chat"}"#),
        (201, ACTIVITY),
    ])
    .await;
    let bot = bot(&server);
    let to = BotConversation::User(alice());
    let sent = bot.send_card(&to, &card()).await.unwrap();
    assert_eq!(
        (sent.message.channel.as_str(), sent.message.ts.as_str()),
        ("a:1chat", "1700000000001")
    );
    let seen = server.seen();
    assert_eq!(seen[1].path, "/connector/v3/conversations");
    let opened = seen[1].json();
    assert_eq!(opened["members"], json!([{"id": OID}]));
    assert_eq!(opened["tenantId"], "tenant-1");
    assert_eq!(opened["isGroup"], false);
    assert_eq!(
        seen[2].path,
        "/connector/v3/conversations/a:1chat/activities"
    );

    // The conversation is kept: the next card is one post.
    bot.send_card(&to, &card()).await.unwrap();
    assert_eq!(server.seen().len(), 4);
    assert_eq!(
        server.calls()[3],
        "POST /connector/v3/conversations/a:1chat/activities"
    );
}

#[tokio::test]
async fn a_post_that_may_have_gone_out_is_not_sent_again() {
    let server = record(vec![(200, TOKEN_OK), (502, "{}")]).await;
    let to = BotConversation::Conversation(CHANNEL.into());
    let err = bot(&server).send_card(&to, &card()).await.unwrap_err();
    assert_eq!(err.name(), "Teams.Unconfirmed");
    assert_eq!(err.retry(), Some(Retry::Unsafe));
    assert_eq!(server.seen().len(), 2, "one post");
}

#[tokio::test]
async fn a_conversation_without_the_bot_says_what_to_do() {
    let forbidden = r#"{"error":{"code":"BotNotInConversationRoster","message":"The bot is not part of the conversation roster."}}"#;
    let server = record(vec![(200, TOKEN_OK), (403, forbidden)]).await;
    let to = BotConversation::Conversation(CHANNEL.into());
    let err = bot(&server).send_card(&to, &card()).await.unwrap_err();
    assert_eq!(err.name(), "Teams.BotNotInstalled");
    let text = err.to_string();
    assert!(
        text.contains(CHANNEL)
            && text.contains("BotNotInConversationRoster")
            && text.contains("add the Teams app"),
        "{text}"
    );

    let server = record(vec![
        (200, TOKEN_OK),
        (
            404,
            r#"{"error":{"code":"ConversationNotFound","message":"x"}}"#,
        ),
    ])
    .await;
    let err = bot(&server).send_card(&to, &card()).await.unwrap_err();
    assert_eq!(err.name(), "Teams.ChannelNotFound");
    assert_eq!(err.retry(), Some(Retry::Gone));
}

const BOB: &str = "00000000-0000-0000-0000-0000000000b2";

/// A card whose refresh names `oids` as the cards' format writes them (by MRI).
fn card_refreshed_for(oids: &[&str]) -> Value {
    let mut card = card();
    let ids: Vec<String> = oids.iter().map(|o| format!("8:orgid:{o}")).collect();
    card["refresh"] = json!({"action": {"type": "Action.Execute", "verb": "refresh",
        "data": {"approvalId": "a-1"}}, "userIds": ids});
    card
}

fn member_path(conversation: &str, oid: &str) -> String {
    format!("GET /connector/v3/conversations/{conversation}/members/{oid}")
}

#[tokio::test]
async fn the_refresh_lists_the_approvers_by_their_teams_user_ids_in_the_conversation() {
    let server = record(vec![
        (200, TOKEN_OK),
        (
            200,
            r#"{"id":"29:1alice","aadObjectId":"x","name":"Alice"}"#,
        ),
        (200, r#"{"id":"29:1bob","name":"Bob"}"#),
        (201, ACTIVITY),
    ])
    .await;
    let to = BotConversation::Conversation(CHANNEL.into());
    let card = card_refreshed_for(&[OID, BOB]);
    let sent = bot(&server).send_card(&to, &card).await.unwrap();
    assert_eq!(
        server.calls(),
        [
            TOKEN_PATH.to_string(),
            member_path(CHANNEL, OID),
            member_path(CHANNEL, BOB),
            format!("POST /connector/v3/conversations/{CHANNEL}/activities"),
        ]
    );
    let posted = server.seen()[3].json()["attachments"][0]["content"].clone();
    let mut expected = card;
    expected["refresh"]["userIds"] = json!(["29:1alice", "29:1bob"]);
    assert_eq!(posted, expected, "only the ids changed");
    assert_eq!(sent.card, posted, "the card kept is the card posted");
}

#[tokio::test]
async fn an_approver_outside_the_conversation_fails_before_anything_is_posted() {
    let missing = r#"{"error":{"code":"MemberNotFoundInConversation","message":"The member is not in this conversation."}}"#;
    let alice = r#"{"id":"29:1alice"}"#;
    let server = record(vec![(200, TOKEN_OK), (200, alice), (404, missing)]).await;
    let to = BotConversation::Conversation(CHANNEL.into());
    let card = card_refreshed_for(&[OID, BOB]);
    let err = bot(&server).send_card(&to, &card).await.unwrap_err();
    assert_eq!(err.name(), "Teams.UserNotFound");
    let text = err.to_string();
    assert!(
        text.contains(BOB)
            && text.contains(&format!("is not a member of conversation {CHANNEL}"))
            && text.contains("add them to it, or ask them elsewhere"),
        "{text}"
    );
    assert_eq!(
        server.calls().len(),
        3,
        "nothing posted: {:?}",
        server.calls()
    );

    // The conversation itself not there: as a post to it would say.
    let gone = r#"{"error":{"code":"ConversationNotFound","message":"x"}}"#;
    let server = record(vec![(200, TOKEN_OK), (404, gone)]).await;
    let err = bot(&server).send_card(&to, &card).await.unwrap_err();
    assert_eq!(err.name(), "Teams.ChannelNotFound");
    assert_eq!(server.calls().len(), 2, "nothing posted");
}

#[tokio::test]
async fn in_a_1_1_chat_the_person_is_looked_up_in_it() {
    let gone = r#"{"error":{"code":"ConversationNotFound","message":"x"}}"#;
    let server = record(vec![
        (200, TOKEN_OK),
        (201, r#"{"id":"a:1chat"}"#),
        (200, r#"{"id":"29:1alice"}"#),
        (201, ACTIVITY),
        // The next card: the chat kept is gone, so it is opened again.
        (404, gone),
        (201, r#"{"id":"a:1new"}"#),
        (200, r#"{"id":"29:1alice"}"#),
        (201, ACTIVITY),
    ])
    .await;
    let (bot, to) = (bot(&server), BotConversation::User(alice()));
    let card = card_refreshed_for(&[OID]);
    bot.send_card(&to, &card).await.unwrap();
    assert_eq!(server.calls()[2], member_path("a:1chat", OID));
    let posted = server.seen()[3].json();
    let ids = &posted["attachments"][0]["content"]["refresh"]["userIds"];
    assert_eq!(ids, &json!(["29:1alice"]));

    let sent = bot.send_card(&to, &card).await.unwrap();
    assert_eq!(sent.message.channel, "a:1new");
    let calls = server.calls();
    assert_eq!(calls[5], "POST /connector/v3/conversations");
    assert_eq!(calls[6], member_path("a:1new", OID));
    assert_eq!(calls.len(), 8, "one post per card: {calls:?}");
}
