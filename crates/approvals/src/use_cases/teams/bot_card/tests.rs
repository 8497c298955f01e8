//! Request Action through the bot: who is resolved, where the card goes, what is kept, and
//! what a retry and a failure leave behind.

use super::*;
use crate::ports::{ApprovalStore, SentCard, TeamsBot};
use crate::testing::{FakeStore, FakeTeamsBot, FakeTeamsBotFormat};
use crate::use_cases::teams::request_action;
use crate::use_cases::teams_card::{answer_card_action, CardAction, CardVerb};
use crate::{ApproverAddress, LinkSigner, MessageRef};

const NOW: i64 = 1_800_000_000;
const CHANNEL: &str = "19:ops@thread.tacv2";

fn person(oid: &str, upn: &str) -> TeamsUser {
    TeamsUser {
        object_id: oid.into(),
        name: upn.split('@').next().unwrap().into(),
        user_principal_name: Some(upn.into()),
        tenant_id: "tid".into(),
    }
}

fn tenant() -> FakeTeamsBot {
    FakeTeamsBot::with_people(&[
        person("0b7e8c2a-0000-4000-8000-00000000000a", "alice@corp.example"),
        person("0b7e8c2a-0000-4000-8000-00000000000b", "bob@corp.example"),
    ])
}

fn request(approvers: &[&str], ids: &[&str]) -> TeamsRequest {
    TeamsRequest {
        title: "Stop db-1?".into(),
        text: None,
        facts: Vec::new(),
        expires_in_seconds: Some(3600),
        task_token: "tok".into(),
        request_key: Some("exec-1/Ask".into()),
        execution_arn: None,
        approvers: approvers
            .iter()
            .map(|a| ApproverAddress::parse(a).unwrap())
            .collect(),
        user: None,
        conversation_id: Some(CHANNEL.into()),
        approver_ids: ids.iter().map(|i| i.to_string()).collect(),
        follow_up: None,
        buttons: Vec::new(),
        team: Default::default(),
    }
}

async fn ask(
    request: TeamsRequest,
    store: &FakeStore,
    bot: &dyn TeamsBot,
) -> Result<TeamsRequestActionOutput, HitlError> {
    let signer = LinkSigner::from_config("k1:0123456789abcdef0123456789abcdef").unwrap();
    let settings = LinkSettings {
        signer: &signer,
        base_url: "https://api.example.com",
        retention_days: 30,
        origin: Channel::Email,
    };
    let chat = BotChat {
        bot,
        format: &FakeTeamsBotFormat,
    };
    request_action_via_bot(request, &settings, store, chat, "a-1".into(), NOW).await
}

#[tokio::test]
async fn approvers_are_resolved_and_the_card_is_sent_once_to_the_conversation() {
    let (store, bot) = (FakeStore::default(), tenant());
    let alice_by_id = "0B7E8C2A-0000-4000-8000-00000000000A";
    let asked = request(&["alice@corp.example", "bob@corp.example"], &[alice_by_id]);
    let out = ask(asked.clone(), &store, &bot).await.unwrap();

    let record = store
        .get(&out.approval_id.as_str().into())
        .await
        .unwrap()
        .unwrap();
    let oids: Vec<&str> = record
        .teams_approvers
        .iter()
        .map(|a| a.object_id.as_str())
        .collect();
    assert_eq!(
        oids,
        [
            "0b7e8c2a-0000-4000-8000-00000000000a",
            "0b7e8c2a-0000-4000-8000-00000000000b"
        ],
        "resolved to object ids, Alice once"
    );
    let sent = bot.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, BotConversation::Conversation(CHANNEL.into()));
    assert_eq!(sent[0].1["refresh"]["userIds"], serde_json::json!(oids));
    let message = record.message.clone().unwrap();
    assert_eq!(
        (message.channel.as_str(), message.ts.as_str()),
        (CHANNEL, "activity-1")
    );
    // Kept as posted: the refresh names the approvers as the conversation's members.
    let shown: serde_json::Value =
        serde_json::from_str(record.message_shown.as_deref().unwrap()).unwrap();
    let members: Vec<String> = oids.iter().map(|oid| format!("29:{oid}")).collect();
    assert_eq!(shown["refresh"]["userIds"], serde_json::json!(members));
    assert_eq!(shown["title"], sent[0].1["title"]);
    assert!(record.task_token.is_some() && record.origin == Channel::Teams);

    // A retry of the state (same requestKey) resolves and sends nothing again.
    let resolved_before = bot.resolved.lock().unwrap().len();
    let again = ask(asked, &store, &bot).await.unwrap();
    assert_eq!(again.approval_id, out.approval_id);
    assert_eq!(bot.sent.lock().unwrap().len(), 1);
    assert_eq!(bot.resolved.lock().unwrap().len(), resolved_before);
}

#[tokio::test]
async fn a_click_on_the_card_sent_decides_as_the_approver() {
    let (store, bot) = (FakeStore::default(), tenant());
    let out = ask(request(&["bob@corp.example"], &[]), &store, &bot)
        .await
        .unwrap();
    let bob = bot.resolve_user("bob@corp.example").await.unwrap();
    let action = CardAction {
        approval_id: out.approval_id.as_str().into(),
        verb: CardVerb::Decide {
            value: "approve".into(),
        },
        inputs: Default::default(),
        user: TeamsUser {
            user_principal_name: None,
            ..bob.clone()
        },
        conversation_id: format!("{CHANNEL};messageid=activity-1"),
        card_activity_id: None,
    };
    let resumer = crate::testing::FakeResumer::default();
    answer_card_action(action, &store, &resumer, &FakeTeamsBotFormat, NOW + 5)
        .await
        .unwrap();
    let resumed = resumer.resumed.lock().unwrap().clone();
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0].1.teams_user, Some(bob));
}

#[tokio::test]
async fn a_request_to_a_user_goes_to_their_1_1_chat_with_them_as_approver() {
    let (store, bot) = (FakeStore::default(), tenant());
    let mut asked = request(&["alice@corp.example"], &[]);
    asked.conversation_id = None;
    asked.user = Some("alice@corp.example".into());
    ask(asked, &store, &bot).await.unwrap();
    let sent = bot.sent.lock().unwrap().clone();
    let alice = person("0b7e8c2a-0000-4000-8000-00000000000a", "alice@corp.example");
    assert_eq!(sent[0].0, BotConversation::User(alice));
}

#[tokio::test]
async fn someone_the_bot_cannot_resolve_fails_the_task_and_nothing_is_stored() {
    let (store, bot) = (FakeStore::default(), tenant());
    let asked = request(&["alice@corp.example", "carol@corp.example"], &[]);
    let err = ask(asked.clone(), &store, &bot).await.unwrap_err();
    assert_eq!(err.name(), "Teams.UserNotFound");
    assert!(
        store.records.lock().unwrap().is_empty(),
        "nothing half-done"
    );
    assert!(bot.sent.lock().unwrap().is_empty());

    // The bot down: its error, nothing stored; once it is back a retry asks afresh.
    *bot.fail_with.lock().unwrap() = Some(HitlError::transient("Teams", "503"));
    let fixed = request(&["alice@corp.example"], &[]);
    assert!(ask(fixed.clone(), &store, &bot)
        .await
        .unwrap_err()
        .is_transient());
    assert!(store.records.lock().unwrap().is_empty());
    *bot.fail_with.lock().unwrap() = None;
    ask(fixed, &store, &bot).await.unwrap();
    assert_eq!(bot.sent.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_card_that_could_not_be_sent_is_sent_by_the_retry() {
    let (store, bot) = (FakeStore::default(), tenant());
    let asked = request(&["alice@corp.example"], &[]);
    let bot_down = FakeTeamsBot::with_people(&[person(
        "0b7e8c2a-0000-4000-8000-00000000000a",
        "alice@corp.example",
    )]);
    // Resolved, stored, then the send fails: the Task fails, the retry sends the card.
    let failing = SendFails(&bot_down);
    let chat = BotChat {
        bot: &failing,
        format: &FakeTeamsBotFormat,
    };
    let signer = LinkSigner::from_config("k1:0123456789abcdef0123456789abcdef").unwrap();
    let settings = LinkSettings {
        signer: &signer,
        base_url: "https://x.example",
        retention_days: 1,
        origin: Channel::Teams,
    };
    let err =
        request_action_via_bot(asked.clone(), &settings, &store, chat, "a-1".into(), NOW).await;
    assert!(err.is_err());
    ask(asked, &store, &bot).await.unwrap();
    assert_eq!(bot.sent.lock().unwrap().len(), 1);
    let record = store
        .records
        .lock()
        .unwrap()
        .values()
        .next()
        .cloned()
        .unwrap();
    assert!(record.message.is_some());
}

/// A bot that resolves people and fails to send.
struct SendFails<'a>(&'a FakeTeamsBot);

#[async_trait::async_trait]
impl TeamsBot for SendFails<'_> {
    async fn resolve_user(&self, who: &str) -> Result<TeamsUser, HitlError> {
        self.0.resolve_user(who).await
    }
    async fn send_card(
        &self,
        _: &BotConversation,
        _: &serde_json::Value,
    ) -> Result<SentCard, HitlError> {
        Err(HitlError::transient("Teams", "503"))
    }
    async fn update_card(&self, _: &MessageRef, _: &serde_json::Value) -> Result<(), HitlError> {
        Ok(())
    }
}

#[tokio::test]
async fn without_the_bot_conversation_id_is_a_configuration_error() {
    let store = FakeStore::default();
    let teams = crate::testing::FakeTeams::default();
    let sender = crate::testing::FakeEmailSender::default();
    let signer = LinkSigner::from_config("k1:0123456789abcdef0123456789abcdef").unwrap();
    let settings = LinkSettings {
        signer: &signer,
        base_url: "https://x.example",
        retention_days: 1,
        origin: Channel::Teams,
    };
    let chat = super::super::TeamsChat {
        messenger: &teams,
        format: &NoFormat,
    };
    let mail = super::super::ApproverMail {
        sender: &sender,
        from: "a@corp.example",
    };
    let err = request_action(
        request(&[], &[]),
        &settings,
        &store,
        chat,
        &mail,
        "a-1".into(),
        NOW,
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "Hitl.Config");
    assert!(store.records.lock().unwrap().is_empty());
}

/// The webhook's format is never reached when `conversationId` is refused.
struct NoFormat;

impl crate::ports::TeamsFormat for NoFormat {
    fn request_card(
        &self,
        _: &crate::CreateLinksOutput,
        _: &[crate::ports::Fact],
    ) -> Result<crate::ports::TeamsMessage, HitlError> {
        unreachable!()
    }
    fn personal_card(
        &self,
        _: &crate::CreateLinksOutput,
        _: &[crate::ports::Fact],
        _: &crate::RecipientLinks,
    ) -> Result<crate::ports::TeamsMessage, HitlError> {
        unreachable!()
    }
    fn approver_emails(
        &self,
        _: &crate::CreateLinksOutput,
        _: &str,
    ) -> Result<Vec<crate::ports::OutgoingEmail>, HitlError> {
        unreachable!()
    }
}

/// A directory that answers after a pause, counting how many lookups are under way at once.
#[derive(Default)]
struct SlowDirectory {
    inner: FakeTeamsBot,
    in_flight: std::sync::atomic::AtomicUsize,
    most_at_once: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl TeamsBot for SlowDirectory {
    async fn resolve_user(&self, who: &str) -> Result<TeamsUser, HitlError> {
        use std::sync::atomic::Ordering::SeqCst;
        let now = self.in_flight.fetch_add(1, SeqCst) + 1;
        self.most_at_once.fetch_max(now, SeqCst);
        // Graph's round trip: the others start meanwhile, if they may.
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        self.in_flight.fetch_sub(1, SeqCst);
        self.inner.resolve_user(who).await
    }
    async fn send_card(
        &self,
        to: &BotConversation,
        card: &serde_json::Value,
    ) -> Result<SentCard, HitlError> {
        self.inner.send_card(to, card).await
    }
    async fn update_card(&self, m: &MessageRef, card: &serde_json::Value) -> Result<(), HitlError> {
        self.inner.update_card(m, card).await
    }
}

#[tokio::test]
async fn fifty_approvers_are_looked_up_ten_at_a_time_in_the_order_named() {
    let people: Vec<TeamsUser> = (0..50)
        .map(|i| {
            person(
                &format!("0b7e8c2a-0000-4000-8000-0000000001{i:02}"),
                &format!("p{i}@corp.example"),
            )
        })
        .collect();
    let slow = SlowDirectory {
        inner: FakeTeamsBot::with_people(&people),
        ..SlowDirectory::default()
    };
    let emails: Vec<String> = people
        .iter()
        .map(|p| p.user_principal_name.clone().unwrap())
        .collect();
    let emails: Vec<&str> = emails.iter().map(String::as_str).collect();
    // The last approver named again by object id: kept once.
    let asked = request(&emails, &[people[49].object_id.as_str()]);
    let store = FakeStore::default();
    ask(asked, &store, &slow).await.unwrap();

    let most = slow.most_at_once.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(most, MAX_PARALLEL_LOOKUPS, "looked up {most} at once");
    let record = store
        .records
        .lock()
        .unwrap()
        .values()
        .next()
        .cloned()
        .unwrap();
    assert_eq!(
        record.teams_approvers, people,
        "in the order named, each once"
    );
}

#[tokio::test]
async fn of_several_approvers_not_found_the_first_named_is_the_tasks_error() {
    let slow = SlowDirectory {
        inner: tenant(),
        ..SlowDirectory::default()
    };
    let asked = request(
        &[
            "alice@corp.example",
            "carol@corp.example",
            "dave@corp.example",
        ],
        &[],
    );
    let err = ask(asked, &FakeStore::default(), &slow).await.unwrap_err();
    assert!(err.to_string().contains("carol@corp.example"), "{err}");
}
