//! Actions on a Teams companion card, as the approvers live them: a card vote fills the same
//! slot as that person's email link, the requester has no say, the first answer decides a
//! request without a quorum, and the relay then shows the outcome on the companion card.

use serde_json::{json, Map, Value};

use super::*;
use crate::delivery::relay;
use crate::ports::{ApprovalStore, DecisionWrite};
use crate::testing::FakeResumer;
use crate::use_cases::teams_card::{answer_and_share, CardAction, CardVerb, TeamsCardOutcome};
use crate::{DecidedBy, Decision, RecordedDecision};

/// Ann, Bob and Cat asked by Dan; all three must approve.
async fn quorum_request(store: &FakeStore, bot: &FakeTeamsBot) {
    email_request(store, json!({"quorum": {"approvals": "all"}})).await;
    post(store, bot, NOW + 5).await.unwrap();
}

fn action(who: &str, verb: CardVerb) -> CardAction {
    CardAction {
        approval_id: "a-1".into(),
        verb,
        inputs: Map::new(),
        // As Teams names a clicker: no user principal name.
        user: TeamsUser {
            user_principal_name: None,
            ..person(who)
        },
        conversation_id: format!("{CHANNEL};messageid=activity-1"),
        card_activity_id: None,
    }
}

fn click(who: &str, value: &str) -> CardAction {
    let value = value.into();
    action(who, CardVerb::Decide { value })
}

async fn answer(store: &FakeStore, bot: &FakeTeamsBot, action: CardAction) -> Value {
    let resumer = FakeResumer::default();
    let format = &FakeTeamsBotFormat;
    answer_and_share(action, store, &resumer, format, Some(bot), NOW + 10)
        .await
        .unwrap()
}

/// What the link page records for `who`'s personal email link.
async fn email_vote(store: &FakeStore, who: &str, decision: Decision) -> DecisionWrite {
    let recorded = RecordedDecision {
        decision,
        decided_by: DecidedBy {
            id: who.into(),
            name: who.into(),
            channel: Channel::Email,
        },
        decided_at: NOW + 7,
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
        .record_decision(&"a-1".into(), &recorded, NOW + 7)
        .await
        .unwrap()
}

#[tokio::test]
async fn cat_s_card_vote_fills_her_slot_and_ann_s_second_vote_is_already_voted() {
    let (store, bot) = (FakeStore::default(), tenant());
    quorum_request(&store, &bot).await;
    let write = email_vote(&store, "ann@x.io", Decision::Approve).await;
    assert!(matches!(write, DecisionWrite::Counted(_)));

    let card = answer(&store, &bot, click("cat", "approve")).await;
    assert_eq!(card["refused"], Value::Null, "{card}");
    let record = stored(&store).await;
    let slots: Vec<&str> = record.votes.iter().map(|v| v.slot.as_str()).collect();
    assert_eq!(
        slots,
        ["ann@x.io", "cat@x.io"],
        "Cat's address keys her slot"
    );
    assert_eq!(record.votes[1].decision.decided_by.id, "oid-cat");
    assert!(card["line"]
        .as_str()
        .unwrap()
        .contains("2 of 3 approved; waiting for bob@x.io"));
    // The shared card (the companion's own) shows the progress to everyone.
    let updated = bot.updated.lock().unwrap().clone();
    let (at, progress) = updated.last().unwrap();
    assert_eq!(
        (at.channel.as_str(), at.ts.as_str()),
        (CHANNEL, "activity-1")
    );
    assert_eq!(progress["line"], "2 of 3 approved; waiting for bob@x.io.");
    assert_eq!(
        progress["progressOf"]["approvalId"], "a-1",
        "over the card posted"
    );

    // Ann voted by email: her card click changes nothing.
    let again = answer(&store, &bot, click("ann", "reject")).await;
    assert_eq!(again["refused"], "AlreadyVoted");
    assert!(again["shown"]["line"]
        .as_str()
        .unwrap()
        .contains("by email"));
    assert_eq!(stored(&store).await.votes.len(), 2);
    assert!(stored(&store).await.decision.is_none());
}

#[tokio::test]
async fn the_requester_s_card_action_is_refused_and_counts_nothing() {
    let (store, bot) = (FakeStore::default(), tenant());
    quorum_request(&store, &bot).await;
    let card = answer(&store, &bot, click("dan", "approve")).await;
    assert_eq!(card["refused"], "Requester");
    assert!(stored(&store).await.votes.is_empty());
    let card = answer(&store, &bot, click("mallory", "approve")).await;
    assert_eq!(card["refused"], "NotAllowed");
}

#[tokio::test]
async fn a_refresh_shows_an_approver_their_email_vote_and_the_others_the_progress() {
    let (store, bot) = (FakeStore::default(), tenant());
    quorum_request(&store, &bot).await;
    email_vote(&store, "ann@x.io", Decision::Approve).await;
    let ann = answer(&store, &bot, action("ann", CardVerb::Refresh)).await;
    let line = ann["line"].as_str().unwrap();
    assert!(line.starts_with("You approved by email"), "{line}");
    assert!(
        ann["outcomeOf"]["refresh"].is_object(),
        "over the companion's card"
    );
    let bob = answer(&store, &bot, action("bob", CardVerb::Refresh)).await;
    assert_eq!(
        bob["line"],
        "1 of 3 approved; waiting for bob@x.io, cat@x.io."
    );
}

#[tokio::test]
async fn the_first_card_answer_decides_and_the_relay_shows_the_outcome_on_the_card() {
    let (store, bot) = (FakeStore::default(), tenant());
    email_request(&store, json!({})).await;
    post(&store, &bot, NOW + 5).await.unwrap();
    // Wait For Approval began waiting.
    store
        .attach_task_token(&"a-1".into(), &"tok".into(), NOW + 6)
        .await
        .unwrap();
    let resumer = FakeResumer::default();
    let format = &FakeTeamsBotFormat;
    let card = answer_and_share(
        click("bob", "approve"),
        &store,
        &resumer,
        format,
        Some(&bot),
        NOW + 10,
    )
    .await
    .unwrap();
    assert!(
        card["line"]
            .as_str()
            .unwrap()
            .starts_with("Approved by bob"),
        "{card}"
    );
    let record = stored(&store).await;
    let decision = record.decision.as_ref().unwrap();
    assert_eq!(
        (decision.decided_by.id.as_str(), decision.decided_by.channel),
        ("oid-bob", Channel::Teams)
    );
    assert_eq!(
        resumer.resumed.lock().unwrap().len(),
        1,
        "the waiting Task resumed"
    );

    // Another approver's card action, afterwards: the outcome, nothing changed.
    let late = answer(&store, &bot, click("cat", "reject")).await;
    assert_eq!(late["refused"], "AlreadyDecided");

    let notifier = TeamsCardOutcome { bot: &bot, format };
    bot.updated.lock().unwrap().clear();
    relay(&store, &resumer, Some(&notifier), NOW + 20, 10)
        .await
        .unwrap();
    let updated = bot.updated.lock().unwrap().clone();
    assert_eq!(updated.len(), 1, "the companion card, once");
    let (at, outcome) = &updated[0];
    assert_eq!(
        (at.channel.as_str(), at.ts.as_str()),
        (CHANNEL, "activity-1")
    );
    assert!(outcome["line"]
        .as_str()
        .unwrap()
        .starts_with("Approved by bob"));
    assert_eq!(
        outcome["outcomeOf"]["title"], "Stop db-1?",
        "made from the card posted"
    );
    assert!(stored(&store).await.message_updated_at.is_some());
}

#[tokio::test]
async fn a_request_decided_by_email_before_the_post_shows_its_outcome_on_the_new_card() {
    let (store, bot) = (FakeStore::default(), tenant());
    email_request(&store, json!({})).await;
    email_vote(&store, "ann@x.io", Decision::Reject).await;
    post(&store, &bot, NOW + 8).await.unwrap();
    let resumer = FakeResumer::default();
    let notifier = TeamsCardOutcome {
        bot: &bot,
        format: &FakeTeamsBotFormat,
    };
    relay(&store, &resumer, Some(&notifier), NOW + 9, 10)
        .await
        .unwrap();
    let updated = bot.updated.lock().unwrap().clone();
    assert_eq!(updated.len(), 1);
    assert!(updated[0].1["line"]
        .as_str()
        .unwrap()
        .starts_with("Rejected by ann@x.io"));
}
