//! A request made by Create Approval Links, posted to Teams as the bot's card: who is resolved,
//! what is kept, and what is refused with nothing posted.

use serde_json::{json, Value};

use super::*;
use crate::ports::ApprovalStore;
use crate::testing::{FakeStore, FakeTeamsBot, FakeTeamsBotFormat};
use crate::use_cases::{create_approval_links, TaskStatus};
use crate::{CreateLinksInput, LinkSigner, MessageRef, TeamsUser};

mod cards;

pub(super) const NOW: i64 = 1_800_000_000;
pub(super) const CHANNEL: &str = "19:ops@thread.tacv2";

pub(super) fn person(who: &str) -> TeamsUser {
    TeamsUser {
        object_id: format!("oid-{who}"),
        name: who.into(),
        user_principal_name: Some(format!("{who}@x.io")),
        tenant_id: "tid".into(),
    }
}

/// Ann, Bob, Cat and Dan (the requester) in the bot's tenant, findable by address.
pub(super) fn tenant() -> FakeTeamsBot {
    FakeTeamsBot::with_people(&["ann", "bob", "cat", "dan"].map(person))
}

fn signer() -> LinkSigner {
    LinkSigner::from_config("k1:0123456789abcdef0123456789abcdef").unwrap()
}

fn settings(signer: &LinkSigner) -> LinkSettings<'_> {
    LinkSettings {
        signer,
        base_url: "https://approvals.example.com",
        retention_days: 30,
        origin: Channel::Email,
    }
}

/// Create Approval Links for Ann, Bob and Cat, asked by Dan (`extra` adds to the input).
pub(super) async fn email_request(store: &FakeStore, extra: Value) {
    let mut input = json!({
        "title": "Stop db-1?",
        "description": "Idle for 30 days.",
        "approvers": ["ann@x.io", "bob@x.io", "cat@x.io"],
        "requestedBy": "dan@x.io",
        "expiresInSeconds": 3600,
    });
    input
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let input: CreateLinksInput = crate::input::from_json(input).unwrap();
    let signer = signer();
    create_approval_links(input, &settings(&signer), store, "a-1".into(), NOW)
        .await
        .unwrap();
}

/// Teams Request Action with `approvalId: a-1` and `conversationId`, at `now`.
pub(super) async fn post(
    store: &FakeStore,
    bot: &FakeTeamsBot,
    now: i64,
) -> Result<TeamsRequestActionOutput, HitlError> {
    let request = TeamsCompanionRequest {
        approval_id: "a-1".into(),
        to: CompanionDestination::Conversation(CHANNEL.into()),
        facts: Vec::new(),
    };
    let signer = signer();
    let chat = BotChat {
        bot,
        format: &FakeTeamsBotFormat,
    };
    post_to_request(request, &settings(&signer), store, chat, now).await
}

pub(super) async fn stored(store: &FakeStore) -> ApprovalRecord {
    store.get(&"a-1".into()).await.unwrap().unwrap()
}

#[tokio::test]
async fn an_email_request_is_posted_as_the_bot_s_card_and_kept_as_its_companion() {
    let (store, bot) = (FakeStore::default(), tenant());
    email_request(&store, json!({})).await;
    let out = post(&store, &bot, NOW + 5).await.unwrap();
    assert_eq!(out.approval_id, "a-1");
    assert_eq!(out.status, TaskStatus::Waiting);

    let sent = bot.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, BotConversation::Conversation(CHANNEL.into()));
    assert_eq!(sent[0].1["title"], "Stop db-1?", "the request's own title");
    assert_eq!(sent[0].1["approvalId"], "a-1");
    assert_eq!(
        sent[0].1["refresh"]["userIds"],
        json!(["oid-ann", "oid-bob", "oid-cat"]),
        "each approver sees the card as it is for them"
    );

    let record = stored(&store).await;
    assert_eq!(record.origin, Channel::Email, "still the email request");
    assert_eq!(record.companions.len(), 1);
    let companion = &record.companions[0];
    assert_eq!(companion.channel, Channel::Teams);
    assert_eq!(
        companion.message,
        MessageRef {
            channel: CHANNEL.into(),
            ts: "activity-1".into()
        }
    );
    // Kept as posted (the bot names the refresh's users as members).
    let shown: Value = serde_json::from_str(companion.shown.as_deref().unwrap()).unwrap();
    assert_eq!(shown["refresh"]["userIds"][0], "29:oid-ann");
    let oids: Vec<&str> = record
        .teams_approvers
        .iter()
        .map(|u| u.object_id.as_str())
        .collect();
    assert_eq!(
        oids,
        ["oid-ann", "oid-bob", "oid-cat"],
        "in the order named"
    );
    assert_eq!(record.requester_ids, ["oid-dan"]);
    assert!(
        record.task_token.is_none(),
        "Wait For Approval holds the wait"
    );
}

#[tokio::test]
async fn an_approver_the_tenant_does_not_have_fails_the_post_with_nothing_sent() {
    let (store, bot) = (FakeStore::default(), tenant());
    email_request(&store, json!({"approvers": ["ann@x.io", "zed@x.io"]})).await;
    let err = post(&store, &bot, NOW + 5).await.unwrap_err();
    assert_eq!(err.name(), "Teams.UserNotFound");
    assert!(bot.sent.lock().unwrap().is_empty());
    let record = stored(&store).await;
    assert!(record.companions.is_empty() && record.teams_approvers.is_empty());
}

#[tokio::test]
async fn a_requester_outside_the_tenant_is_no_teams_identity_and_no_failure() {
    let (store, bot) = (FakeStore::default(), tenant());
    email_request(&store, json!({"requestedBy": "boss@elsewhere.io"})).await;
    post(&store, &bot, NOW + 5).await.unwrap();
    let record = stored(&store).await;
    assert_eq!(record.companions.len(), 1);
    assert!(record.requester_ids.is_empty());
}

#[tokio::test]
async fn an_unknown_an_expired_or_a_chat_made_request_is_refused_with_nothing_sent() {
    let (store, bot) = (FakeStore::default(), tenant());
    let err = post(&store, &bot, NOW).await.unwrap_err();
    assert_eq!(err.name(), "Hitl.NotFound");

    email_request(&store, json!({})).await;
    let err = post(&store, &bot, NOW + 3600 + 1).await.unwrap_err();
    assert_eq!(err.name(), "Hitl.Expired");

    store
        .records
        .lock()
        .unwrap()
        .get_mut(&crate::ApprovalId::from("a-1"))
        .unwrap()
        .origin = Channel::Slack;
    let err = post(&store, &bot, NOW + 5).await.unwrap_err();
    assert_eq!(err.name(), "Hitl.InvalidInput");
    assert!(err.to_string().contains("Create Approval Links"), "{err}");
    assert!(bot.sent.lock().unwrap().is_empty());
    assert!(bot.resolved.lock().unwrap().is_empty(), "nobody looked up");
}
