//! Card actions as a person in Teams lives them: what each click and refresh answers, what is
//! recorded (once, as the verified clicker), and what is left alone.

use serde_json::{json, Map, Value};

use super::{answer_card_action, CardAction, CardVerb, TeamsCardOutcome};
use crate::ports::{ApprovalStore, DeliveryStore};
use crate::testing::{FakeResumer, FakeStore, FakeTeamsBot, FakeTeamsBotFormat};
use crate::{ApprovalRecord, Channel, FollowUp, MessageRef, TeamsUser};

mod delivery;
mod expiry;
mod quorum;
mod races;

const CONVERSATION: &str = "19:abc@thread.tacv2";
const ACTIVITY: &str = "1700000000001";
const EXPIRES_AT: i64 = 1_000;
const NOW: i64 = 500;

pub(super) fn person(oid: &str, name: &str) -> TeamsUser {
    TeamsUser {
        object_id: oid.into(),
        name: name.into(),
        user_principal_name: Some(format!("{}@corp.example", name.to_lowercase())),
        tenant_id: "tid".into(),
    }
}

pub(super) fn alice() -> TeamsUser {
    person("oid-alice", "Alice")
}

pub(super) fn bob() -> TeamsUser {
    person("oid-bob", "Bob")
}

/// Someone in the conversation who is not an approver (as Teams names a clicker: no UPN).
fn mallory() -> TeamsUser {
    TeamsUser {
        user_principal_name: None,
        ..person("oid-mallory", "Mallory")
    }
}

pub(super) fn shown_card() -> Value {
    json!({"type": "AdaptiveCard", "title": "Stop db-1"})
}

/// A bot card's request for Alice and Bob, waiting on Task `tok`.
pub(super) async fn bot_request(store: &FakeStore, approvers: Vec<TeamsUser>) -> ApprovalRecord {
    let mut record =
        ApprovalRecord::new("a1", "Stop db-1".into(), Channel::Teams, 0, EXPIRES_AT, 1);
    record.teams_approvers = approvers;
    record.message = Some(MessageRef {
        channel: CONVERSATION.into(),
        ts: ACTIVITY.into(),
    });
    record.message_shown = Some(shown_card().to_string());
    store.create(&record).await.unwrap();
    store
        .attach_task_token(&"a1".into(), &"tok".into(), 1)
        .await
        .unwrap()
        .unwrap()
}

pub(super) fn click(user: TeamsUser, value: &str) -> CardAction {
    CardAction {
        approval_id: "a1".into(),
        verb: CardVerb::Decide {
            value: value.into(),
        },
        inputs: Map::new(),
        user,
        conversation_id: CONVERSATION.into(),
        card_activity_id: Some(ACTIVITY.into()),
    }
}

fn refresh(user: TeamsUser) -> CardAction {
    CardAction {
        verb: CardVerb::Refresh,
        ..click(user, "")
    }
}

async fn answer(store: &FakeStore, resumer: &FakeResumer, action: CardAction, now: i64) -> Value {
    answer_card_action(action, store, resumer, &FakeTeamsBotFormat, now)
        .await
        .unwrap()
}

fn refused(card: &Value) -> &str {
    card["refused"].as_str().unwrap_or("")
}

async fn stored(store: &FakeStore) -> ApprovalRecord {
    store.get(&"a1".into()).await.unwrap().unwrap()
}

#[tokio::test]
async fn an_approver_decides_as_themselves_verified_and_the_task_resumes_once() {
    let (store, resumer) = (FakeStore::default(), FakeResumer::default());
    bot_request(&store, vec![alice(), bob()]).await;
    let mut as_alice = alice();
    as_alice.user_principal_name = None; // Teams does not send it: it comes from the request.
    let card = answer(&store, &resumer, click(as_alice.clone(), "approve"), NOW).await;

    assert_eq!(card["outcomeOf"], shown_card(), "{card}");
    let line = card["line"].as_str().unwrap();
    assert!(line.starts_with("Approved by Alice at "), "{line}");
    let decision = stored(&store).await.decision.unwrap();
    assert_eq!(decision.decided_by.id, "oid-alice");
    assert_eq!(decision.decided_by.name, "Alice");
    assert_eq!(decision.decided_by.channel, Channel::Teams);
    assert!(decision.decided_by.verified());
    assert_eq!(
        decision.teams_user,
        Some(alice()),
        "the UPN resolved with the request"
    );
    let resumed = resumer.resumed.lock().unwrap().clone();
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0].1.teams_user, Some(alice()));
    assert!(resumed[0].1.decided_by.verified());

    // The same click again (Teams sending it again after a slow answer) is her recorded
    // decision: the outcome, no "not recorded".
    let same = answer(
        &store,
        &resumer,
        click(as_alice.clone(), "approve"),
        NOW + 1,
    )
    .await;
    assert_eq!(
        (&same["line"], same.get("refused")),
        (&json!(line), None),
        "{same}"
    );
    // Another choice of hers (and Bob's click) changes nothing and says so, with the outcome.
    for who in [as_alice, bob()] {
        let again = answer(&store, &resumer, click(who, "reject"), NOW + 1).await;
        assert_eq!(refused(&again), "AlreadyDecided", "{again}");
        assert_eq!(again["shown"]["line"], line);
    }
    assert_eq!(resumer.resumed.lock().unwrap().len(), 1);
    assert_eq!(stored(&store).await.decision, Some(decision));
}

#[tokio::test]
async fn without_approvers_anyone_in_the_conversation_decides_verified() {
    let (store, resumer) = (FakeStore::default(), FakeResumer::default());
    bot_request(&store, vec![]).await;
    answer(&store, &resumer, click(mallory(), "reject"), NOW).await;
    let decision = stored(&store).await.decision.unwrap();
    assert_eq!(decision.decided_by.id, "oid-mallory");
    assert!(decision.decided_by.verified());
    assert_eq!(decision.teams_user, Some(mallory()));
}

#[tokio::test]
async fn someone_not_among_the_approvers_changes_nothing() {
    let (store, resumer) = (FakeStore::default(), FakeResumer::default());
    let before = bot_request(&store, vec![alice()]).await;
    let card = answer(&store, &resumer, click(mallory(), "approve"), NOW).await;
    assert_eq!(refused(&card), "NotAllowed");
    assert_eq!(card["shown"], shown_card());
    assert_eq!(stored(&store).await, before);
    assert!(resumer.resumed.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_click_after_expiry_changes_nothing_and_keeps_only_a_small_audit() {
    let (store, resumer) = (FakeStore::default(), FakeResumer::default());
    bot_request(&store, vec![alice()]).await;
    let mut late = click(alice(), "approve");
    late.inputs.insert("followUp".into(), json!("typed late"));
    let card = answer(&store, &resumer, late, EXPIRES_AT).await;

    assert_eq!(refused(&card), "Expired", "{card}");
    let line = card["shown"]["line"].as_str().unwrap();
    assert!(
        line.starts_with("Expired at 1970-01-01T00:16:40Z"),
        "{line}"
    );
    let record = stored(&store).await;
    assert_eq!(record.decision, None);
    assert_eq!(record.late_decisions.len(), 1);
    let audit = &record.late_decisions[0];
    assert_eq!(audit.decided_by.id, "oid-alice");
    assert_eq!(
        (audit.follow_up.as_ref(), audit.teams_user.as_ref()),
        (None, None)
    );
    assert!(resumer.resumed.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_value_none_of_the_buttons_has_is_an_unknown_card() {
    let (store, resumer) = (FakeStore::default(), FakeResumer::default());
    let before = bot_request(&store, vec![alice()]).await;
    let card = answer(&store, &resumer, click(alice(), "defer"), NOW).await;
    assert_eq!(refused(&card), "UnknownCard");
    assert_eq!(
        card["shown"],
        Value::Null,
        "nothing of the request is shown"
    );
    assert_eq!(stored(&store).await, before);
}

#[tokio::test]
async fn a_card_the_bot_did_not_send_there_is_unknown_and_changes_nothing() {
    let (store, resumer) = (FakeStore::default(), FakeResumer::default());
    let before = bot_request(&store, vec![alice()]).await;
    let mut other_conversation = click(alice(), "approve");
    other_conversation.conversation_id = "19:other@thread.v2".into();
    let mut other_activity = click(alice(), "approve");
    other_activity.card_activity_id = Some("999".into());
    let mut other_thread = click(alice(), "approve");
    other_thread.conversation_id = format!("{CONVERSATION};messageid=999");
    let mut other_request = click(alice(), "approve");
    other_request.approval_id = "nope".into();
    for action in [
        other_conversation,
        other_activity,
        other_thread,
        other_request,
    ] {
        let card = answer(&store, &resumer, action.clone(), NOW).await;
        assert_eq!(refused(&card), "UnknownCard", "{action:?}");
        assert_eq!(card["shown"], Value::Null);
    }
    assert_eq!(stored(&store).await, before);
    assert!(resumer.resumed.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_channel_post_is_known_by_its_thread_id() {
    let (store, resumer) = (FakeStore::default(), FakeResumer::default());
    bot_request(&store, vec![alice()]).await;
    let mut in_channel = click(alice(), "approve");
    in_channel.conversation_id = format!("{CONVERSATION};messageid={ACTIVITY}");
    in_channel.card_activity_id = None;
    let card = answer(&store, &resumer, in_channel, NOW).await;
    assert_eq!(refused(&card), "", "{card}");
    assert!(stored(&store).await.decision.is_some());
}

#[tokio::test]
async fn a_webhook_or_personal_link_card_is_no_bot_card() {
    for ts in ["webhook", "bot"] {
        let (store, resumer) = (FakeStore::default(), FakeResumer::default());
        let mut record = ApprovalRecord::new("a1", "t".into(), Channel::Teams, 0, EXPIRES_AT, 1);
        record.message = Some(MessageRef {
            channel: CONVERSATION.into(),
            ts: ts.into(),
        });
        store.create(&record).await.unwrap();
        let mut action = click(alice(), "approve");
        action.card_activity_id = Some(ts.into());
        let card = answer(&store, &resumer, action, NOW).await;
        assert_eq!(refused(&card), "UnknownCard");
        assert!(!record.has_updatable_message());
    }
}

#[tokio::test]
async fn refresh_shows_each_person_the_card_as_it_is_for_them() {
    let (store, resumer) = (FakeStore::default(), FakeResumer::default());
    let before = bot_request(&store, vec![alice(), bob()]).await;

    let card = answer(&store, &resumer, refresh(alice()), NOW).await;
    assert_eq!(card, shown_card(), "an approver sees the buttons");
    let card = answer(&store, &resumer, refresh(mallory()), NOW).await;
    assert_eq!(refused(&card), "NotAllowed");
    assert_eq!(card["shown"], shown_card());
    let card = answer(&store, &resumer, refresh(alice()), EXPIRES_AT).await;
    assert!(
        card["line"].as_str().unwrap().starts_with("Expired at"),
        "{card}"
    );
    assert_eq!(stored(&store).await, before, "a refresh writes nothing");

    answer(&store, &resumer, click(bob(), "reject"), NOW).await;
    for who in [alice(), bob(), mallory()] {
        let card = answer(&store, &resumer, refresh(who), NOW + 1).await;
        let line = card["line"].as_str().unwrap();
        assert!(line.starts_with("Rejected by Bob at"), "{line}");
    }
}

fn asks_why(record: &mut ApprovalRecord) {
    record.follow_up = Some(FollowUp {
        question: "Why?".into(),
        kind: crate::AnswerKind::Text,
        after: vec!["reject".into()],
        required: true,
    });
}

#[tokio::test]
async fn the_follow_up_answer_is_checked_and_recorded() {
    let (store, resumer) = (FakeStore::default(), FakeResumer::default());
    let mut record = bot_request(&store, vec![alice()]).await;
    asks_why(&mut record);
    store
        .records
        .lock()
        .unwrap()
        .insert("a1".into(), record.clone());

    let err = answer_card_action(
        click(alice(), "reject"),
        &store,
        &resumer,
        &FakeTeamsBotFormat,
        NOW,
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "Hitl.InvalidInput");
    assert_eq!(err.to_string(), "Please answer the question.");
    assert_eq!(stored(&store).await, record, "nothing recorded");

    let mut answered = click(alice(), "reject");
    answered
        .inputs
        .insert("followUp".into(), json!("  idle since May "));
    let card = answer(&store, &resumer, answered, NOW).await;
    assert!(
        card["line"]
            .as_str()
            .unwrap()
            .ends_with("Why? idle since May"),
        "{card}"
    );
    let answer = stored(&store).await.decision.unwrap().follow_up.unwrap();
    assert_eq!(answer.answer_text(), "idle since May");
}

#[tokio::test]
async fn the_relay_updates_the_card_for_everyone_after_a_decision_by_email() {
    let (store, resumer) = (FakeStore::default(), FakeResumer::default());
    bot_request(&store, vec![alice()]).await;
    // Alice decides with her emailed personal link: recorded as her address.
    let by_email = crate::RecordedDecision {
        decision: crate::Decision::Approve,
        decided_by: crate::DecidedBy {
            id: "alice@corp.example".into(),
            name: "alice@corp.example".into(),
            channel: Channel::Teams,
        },
        decided_at: NOW,
        comment: None,
        source_ip: None,
        user_agent: None,
        slack_user: None,
        teams_user: None,
        action: None,
        follow_up: None,
        submission_id: None,
    };
    store
        .record_decision(&"a1".into(), &by_email, NOW)
        .await
        .unwrap();
    crate::delivery::deliver_decision(&stored(&store).await, &store, &resumer, NOW).await;
    assert!(
        !stored(&store).await.is_settled(),
        "the card still shows its buttons"
    );

    let bot = FakeTeamsBot::default();
    let notifier = TeamsCardOutcome {
        bot: &bot,
        format: &FakeTeamsBotFormat,
    };
    let later = NOW + crate::approval::LEASE_SECONDS;
    crate::delivery::relay(&store, &resumer, Some(&notifier), later, 10)
        .await
        .unwrap();
    let updated = bot.updated.lock().unwrap().clone();
    assert_eq!(updated.len(), 1, "{updated:?}");
    let (at, card) = &updated[0];
    assert_eq!(
        (at.channel.as_str(), at.ts.as_str()),
        (CONVERSATION, ACTIVITY)
    );
    assert_eq!(card["outcomeOf"], shown_card());
    assert!(card["line"]
        .as_str()
        .unwrap()
        .starts_with("Approved by alice@corp.example at"));
    let record = stored(&store).await;
    assert!(record.message_updated_at.is_some() && record.is_settled());
    assert!(store
        .due_for_relay(later + 3600, 10)
        .await
        .unwrap()
        .is_empty());
}
