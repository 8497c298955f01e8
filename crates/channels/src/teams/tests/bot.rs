use super::*;
use crate::teams::run::{request_action, send_message, ApproverMail};
use crate::teams::TeamsRequestActionOutput;
use crate::teams::{TeamsRequestActionInput, TeamsSendMessageInput};
use approvals::ports::{PostedMessage, TeamsMessage, TeamsMessenger, Via};
use approvals::testing::{FakeEmailSender, FakeResumer, FakeStore, FakeTeams};
use approvals::use_cases::LinkSettings;
use approvals::use_cases::{decide, ClientInfo, LinkView};
use approvals::{Channel, LinkSigner, Retry};

const NOW: i64 = 1_800_000_000;

type Fixture = (FakeStore, FakeTeams, FakeEmailSender);

fn signer() -> LinkSigner {
    LinkSigner::from_config("k1:0123456789abcdef0123456789abcdef").unwrap()
}

async fn ask(
    input: Value,
    store: &FakeStore,
    teams: &FakeTeams,
    sender: &FakeEmailSender,
) -> Result<TeamsRequestActionOutput, HitlError> {
    let signer = signer();
    let settings = LinkSettings {
        signer: &signer,
        base_url: "https://api.example.com",
        retention_days: 30,
        origin: Channel::Email,
    };
    let mail = ApproverMail {
        sender,
        from: "approvals@example.com",
    };
    let input: TeamsRequestActionInput = serde_json::from_value(input).unwrap();
    request_action(input, &settings, store, teams, &mail, "a-1".into(), NOW).await
}

fn link_of(card: &Value, title: &str) -> String {
    let actions = card["actions"].as_array().unwrap();
    let action = actions.iter().find(|a| a["title"] == title).unwrap();
    assert_eq!(action["type"], "Action.OpenUrl");
    action["url"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_request_to_a_user_goes_to_their_chat_with_links_bound_to_them() {
    let (store, teams, sender): Fixture = Default::default();
    let input = json!({"title": "Stop db-1?", "user": " Alice@Corp.com ", "taskToken": "token-1"});
    ask(input, &store, &teams, &sender).await.unwrap();
    assert!(teams.posted.lock().unwrap().is_empty(), "not the webhook");
    assert!(sender.sent.lock().unwrap().is_empty(), "no email");
    let sent = teams.to_users.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "alice@corp.com");
    let TeamsMessage::Card(card) = &sent[0].1 else {
        panic!("a card")
    };
    let approve = link_of(card, "Approve");
    assert!(approve.contains("a=0"), "personal: {approve}");
    assert!(card.to_string().contains("decide as you"), "{card}");

    // The click is recorded as that person, verified.
    let query = approve.split_once('?').unwrap().1;
    let resumer = FakeResumer::default();
    let signer = signer();
    let client = ClientInfo::default();
    let view = decide("a-1", query, client, &signer, &store, &resumer, NOW + 5).await;
    assert!(matches!(view, LinkView::Recorded { .. }), "{view:?}");
    let output = serde_json::to_value(&resumer.resumed.lock().unwrap()[0].1).unwrap();
    assert_eq!(output["decidedBy"]["id"], "alice@corp.com", "{output}");
    assert_eq!(output["decidedBy"]["verified"], true, "{output}");
    assert_eq!(output["decidedBy"]["channel"], "teams", "{output}");
}

#[tokio::test]
async fn a_request_to_a_user_with_buttons_offers_them_bound_to_that_person() {
    let (store, teams, sender): Fixture = Default::default();
    let buttons = json!([
        {"label": "Scale to 2", "value": "scale-2", "style": "primary"},
        {"label": "Keep", "value": "keep"}
    ]);
    let input = json!({"title": "Scale db-1?", "user": "alice@corp.com", "buttons": buttons, "taskToken": "t"});
    ask(input, &store, &teams, &sender).await.unwrap();
    let sent = teams.to_users.lock().unwrap().clone();
    let TeamsMessage::Card(card) = &sent[0].1 else {
        panic!("a card")
    };
    let titles: Vec<&str> = card["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Scale to 2", "Keep"], "{card}");
    assert_eq!(card["actions"][0]["style"], "positive", "{card}");
    let scale = link_of(card, "Scale to 2");
    assert!(
        scale.contains("a=0") && scale.contains("d=scale-2"),
        "{scale}"
    );

    let query = scale.split_once('?').unwrap().1;
    let resumer = FakeResumer::default();
    let client = ClientInfo::default();
    let view = decide("a-1", query, client, &signer(), &store, &resumer, NOW + 5).await;
    assert!(matches!(view, LinkView::Recorded { .. }), "{view:?}");
    let output = serde_json::to_value(&resumer.resumed.lock().unwrap()[0].1).unwrap();
    assert_eq!(output["decision"], "scale-2", "{output}");
    assert_eq!(output["value"], "scale-2", "{output}");
    assert_eq!(output["decidedBy"]["id"], "alice@corp.com", "{output}");
    assert_eq!(output["decidedBy"]["verified"], true, "{output}");
}

#[tokio::test]
async fn a_retry_of_a_request_to_a_user_posts_nothing_twice() {
    let (store, teams, sender): Fixture = Default::default();
    let input = |t: &str| json!({"title": "x", "user": "bob@corp.com", "taskToken": t, "requestKey": "e/1"});
    let first = ask(input("t1"), &store, &teams, &sender).await.unwrap();
    let again = ask(input("t2"), &store, &teams, &sender).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(teams.to_users.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn user_is_checked_before_anything_is_stored() {
    let cases = [
        json!({"title": "x", "taskToken": "t", "user": "alice"}),
        json!({"title": "x", "taskToken": "t", "user": ["alice@corp.com"]}),
        json!({"title": "x", "taskToken": "t", "user": "alice@corp.com", "approvers": ["bob@corp.com"]}),
        json!({"title": "x", "taskToken": "t", "user": "alice@corp.com", "approvers": ["alice@corp.com"]}),
    ];
    for input in cases {
        let (store, teams, sender): Fixture = Default::default();
        let err = ask(input.clone(), &store, &teams, &sender)
            .await
            .unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput", "{input}");
        assert!(err.to_string().contains("user"), "{err}");
        assert!(store.records.lock().unwrap().is_empty(), "{input}");
        assert!(teams.to_users.lock().unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_failed_delivery_leaves_the_card_unsent_and_names_the_error() {
    let (store, teams, sender): Fixture = Default::default();
    let not_installed = HitlError::failed_dependency("Teams.BotNotInstalled", "x", Retry::Never);
    *teams.fail_with.lock().unwrap() = Some(not_installed);
    let input = json!({"title": "x", "user": "carol@corp.com", "taskToken": "t"});
    let err = ask(input, &store, &teams, &sender).await.unwrap_err();
    assert_eq!(err.name(), "Teams.BotNotInstalled");
    assert!(store.records.lock().unwrap()["a-1"].message.is_none());
}

#[tokio::test]
async fn send_message_to_a_user_goes_through_the_bot() {
    let teams = FakeTeams::default();
    let input: TeamsSendMessageInput =
        serde_json::from_value(json!({"text": "hello", "user": "Dana@Corp.com"})).unwrap();
    let out = send_message(input, &teams).await.unwrap();
    assert_eq!(out.via, Via::Bot);
    assert_eq!(
        serde_json::to_value(&out).unwrap(),
        json!({"delivered": true, "via": "bot"})
    );
    let sent = teams.to_users.lock().unwrap().clone();
    assert_eq!(sent[0].0, "dana@corp.com");
    assert!(teams.posted.lock().unwrap().is_empty());

    let bad: TeamsSendMessageInput =
        serde_json::from_value(json!({"text": "x", "user": "dana"})).unwrap();
    let err = send_message(bad, &teams).await.unwrap_err();
    assert_eq!(err.name(), "Hitl.InvalidInput");
}

/// A messenger without a bot (the port's default) refuses a user with a configuration error.
struct WebhookOnly;

#[async_trait::async_trait]
impl TeamsMessenger for WebhookOnly {
    async fn post(&self, _: &TeamsMessage) -> Result<PostedMessage, HitlError> {
        unreachable!("a user is never sent to the webhook")
    }
}

#[tokio::test]
async fn without_a_bot_a_user_is_a_configuration_error() {
    let input: TeamsSendMessageInput =
        serde_json::from_value(json!({"text": "x", "user": "dana@corp.com"})).unwrap();
    let err = send_message(input, &WebhookOnly).await.unwrap_err();
    assert_eq!(err.name(), "Hitl.Config");
    assert!(err.to_string().contains("TeamsBotAppId"), "{err}");
}
