//! The bot's calls in order, what it caches, and the named error for each refusal, against a
//! scripted identity platform, Graph and Bot Connector on loopback.

use super::*;
use crate::testing::{answer, rate_limited, serve, Scripted, Step};

const TOKEN_OK: &str = r#"{"token_type":"Bearer","expires_in":3599,"access_token":"t-1"}"#;
const USER: &str = r#"{"id":"00000000-0000-0000-0000-0000000000a1"}"#;
const CONVERSATION: &str = r#"{"id":"a:1conversation"}"#;
const ACTIVITY: &str = r#"{"id":"1700000000000"}"#;

fn bot(server: &Scripted) -> TeamsBot {
    TeamsBot::at_test_server(&server.url, Duration::from_millis(50))
}

fn card() -> TeamsMessage {
    TeamsMessage::Card(channels::teams::text_card(Some("Title"), "Body"))
}

/// The steps of a first message: both tokens, the lookup, the conversation, the post.
fn first_message(last: Step) -> Vec<Step> {
    vec![
        answer(200, TOKEN_OK),
        answer(200, USER),
        answer(200, TOKEN_OK),
        answer(201, CONVERSATION),
        last,
    ]
}

#[tokio::test]
async fn a_first_message_looks_the_user_up_opens_the_chat_and_posts_then_reuses_all_that() {
    let server = serve(first_message(answer(201, ACTIVITY))).await;
    let bot = bot(&server);
    let posted = bot.send_to_user("alice@corp.com", &card()).await.unwrap();
    assert_eq!(posted.via, Via::Bot);
    assert_eq!(
        server.paths(),
        [
            "/login/tenant-1/oauth2/v2.0/token",
            "/graph/v1.0/users/alice@corp.com",
            "/login/tenant-1/oauth2/v2.0/token",
            "/connector/v3/conversations",
            "/connector/v3/conversations/a:1conversation/activities",
        ]
    );
    // Tokens and the conversation are kept: the next message is one post.
    bot.send_to_user("alice@corp.com", &card()).await.unwrap();
    assert_eq!(server.calls(), 6);
    assert_eq!(
        server.paths()[5],
        "/connector/v3/conversations/a:1conversation/activities"
    );
}

#[tokio::test]
async fn an_address_that_is_not_a_sign_in_name_is_looked_up_as_mail() {
    let server = serve(vec![
        answer(200, TOKEN_OK),
        answer(
            404,
            r#"{"error":{"code":"Request_ResourceNotFound","message":"not found"}}"#,
        ),
        answer(200, r#"{"value":[{"id":"oid-2"}]}"#),
        answer(200, TOKEN_OK),
        answer(201, CONVERSATION),
        answer(201, ACTIVITY),
    ])
    .await;
    bot(&server)
        .send_to_user("bob@corp.com", &card())
        .await
        .unwrap();
    assert_eq!(server.paths()[2], "/graph/v1.0/users");
}

#[tokio::test]
async fn nobody_with_the_address_is_teams_user_not_found() {
    let server = serve(vec![
        answer(200, TOKEN_OK),
        answer(
            404,
            r#"{"error":{"code":"Request_ResourceNotFound","message":"x"}}"#,
        ),
        answer(200, r#"{"value":[]}"#),
    ])
    .await;
    let err = bot(&server)
        .send_to_user("nobody@corp.com", &card())
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Teams.UserNotFound");
    assert!(err.to_string().contains("nobody@corp.com"), "{err}");
    assert_eq!(server.calls(), 3, "no conversation is opened");
}

#[tokio::test]
async fn a_bot_connector_403_is_bot_not_installed_and_says_what_to_do() {
    let forbidden = r#"{"error":{"code":"Forbidden","message":"ForbiddenOperationException: the bot is not installed for the user"}}"#;
    let server = serve(
        first_message(answer(201, ACTIVITY))[..3]
            .iter()
            .copied()
            .chain([answer(403, forbidden)])
            .collect(),
    )
    .await;
    let err = bot(&server)
        .send_to_user("carol@corp.com", &card())
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Teams.BotNotInstalled");
    let text = err.to_string();
    assert!(
        text.contains("carol@corp.com") && text.contains("install"),
        "{text}"
    );

    // A person who blocked the bot: the post itself is refused.
    let blocked = r#"{"errorCode":209,"message":"{\r\n  \"subCode\": \"MessageWritesBlocked\"}"}"#;
    let server = serve(first_message(answer(403, blocked))).await;
    let err = bot(&server)
        .send_to_user("carol@corp.com", &card())
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Teams.BotNotInstalled");
    assert!(err.to_string().contains("MessageWritesBlocked"), "{err}");
}

#[tokio::test]
async fn a_refused_secret_is_teams_unauthorized_without_the_secret() {
    let refused = r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}"#;
    let server = serve(vec![answer(401, refused)]).await;
    let err = bot(&server)
        .send_to_user("alice@corp.com", &card())
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Teams.Unauthorized");
    let text = err.to_string();
    assert!(
        text.contains("invalid_client") && !text.contains("s3cret"),
        "{text}"
    );
}

#[tokio::test]
async fn a_refused_token_is_renewed_once() {
    let server = serve(vec![
        answer(200, TOKEN_OK),
        answer(
            401,
            r#"{"error":{"code":"InvalidAuthenticationToken","message":"expired"}}"#,
        ),
        answer(200, TOKEN_OK),
        answer(200, USER),
        answer(200, TOKEN_OK),
        answer(201, CONVERSATION),
        answer(201, ACTIVITY),
    ])
    .await;
    bot(&server)
        .send_to_user("alice@corp.com", &card())
        .await
        .unwrap();
    assert_eq!(server.calls(), 7);
}

#[tokio::test]
async fn throttling_and_ambiguous_failures_keep_their_names() {
    let server = serve(first_message(rate_limited("30"))).await;
    let err = bot(&server)
        .send_to_user("alice@corp.com", &card())
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Teams.RateLimited");

    // A 5xx after the post went out: it may be in the chat, so it is not sent again.
    let server = serve(first_message(answer(502, "{}"))).await;
    let err = bot(&server)
        .send_to_user("alice@corp.com", &card())
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Teams.Unconfirmed");
    assert_eq!(server.calls(), 5);
}

#[test]
fn text_goes_as_plain_text_and_a_card_as_its_attachment() {
    let text = activity(&TeamsMessage::Text("*hi*".into()));
    assert_eq!(
        text,
        json!({"type": "message", "text": "*hi*", "textFormat": "plain"})
    );
    let card = activity(&card());
    assert_eq!(
        card["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
}

#[test]
fn the_budget_is_the_one_the_function_budgets_count_on() {
    assert_eq!(SEND_BUDGET, aws_adapters::timeouts::TEAMS_BOT_SEND);
}
