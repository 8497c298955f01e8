//! Votes on a bot card of a request with a quorum, as the approvers live them in Teams: the
//! voter sees their vote and the progress, everyone else the progress with the buttons (the
//! shared card updated by the bot), a second vote or a voter without a slot is told why nothing
//! changed, and the vote that settles it resumes the Task once and lists the votes.

use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use serde_json::Value;

use super::*;
use crate::ports::{BotConversation, SentCard, TeamsBot};
use crate::quorum::Quorum;
use crate::use_cases::teams_card::{answer_and_share, decide};
use crate::{Decision, HitlError};

fn carol() -> TeamsUser {
    person("oid-carol", "Carol")
}

/// Alice, Bob and Carol are asked; two approvals approve (one reject vetoes). `requested_by`
/// is an object id, as Teams Request Action keeps it (so are escalation targets).
async fn team_request(store: &FakeStore, requested_by: Option<&str>) {
    bot_request(store, vec![alice(), bob(), carol()]).await;
    let mut records = store.records.lock().unwrap();
    let record = records.get_mut(&crate::ApprovalId::from("a1")).unwrap();
    record.quorum = Some(Quorum {
        approvals: 2,
        rejections: 1,
    });
    record.requested_by = requested_by.map(str::to_string);
}

/// A card action as the Decision API answers it, with the bot at hand.
async fn vote(
    store: &FakeStore,
    resumer: &FakeResumer,
    bot: &FakeTeamsBot,
    action: CardAction,
) -> Value {
    answer_and_share(action, store, resumer, &FakeTeamsBotFormat, Some(bot), NOW)
        .await
        .unwrap()
}

fn line(card: &Value) -> &str {
    card["line"].as_str().unwrap_or("")
}

const WAITING: &str = "1 of 2 approved; waiting for bob@corp.example, carol@corp.example.";

#[tokio::test]
async fn a_counted_vote_shows_the_voter_their_vote_and_everyone_the_progress() {
    let (store, resumer, bot) = (
        FakeStore::default(),
        FakeResumer::default(),
        FakeTeamsBot::default(),
    );
    team_request(&store, None).await;

    let card = vote(&store, &resumer, &bot, click(alice(), "approve")).await;

    // Alice: no buttons (a second vote would change nothing), her vote and the progress.
    assert_eq!(card["outcomeOf"], shown_card(), "{card}");
    assert!(
        line(&card).starts_with("You approved at 1970-01-01T00:08:20Z. "),
        "{card}"
    );
    assert!(line(&card).ends_with(WAITING), "{card}");
    // Everyone: the card as sent, buttons kept, with the progress.
    let updated = bot.updated.lock().unwrap().clone();
    assert_eq!(updated.len(), 1, "{updated:?}");
    assert_eq!(updated[0].0.ts, ACTIVITY);
    assert_eq!(updated[0].1["progressOf"], shown_card());
    assert_eq!(line(&updated[0].1), WAITING);
    assert!(resumer.resumed.lock().unwrap().is_empty(), "still open");
    assert_eq!(stored(&store).await.votes.len(), 1);

    // Bob opening the conversation sees the progress with the buttons; Alice, her vote.
    let bobs = answer(&store, &resumer, refresh(bob()), NOW + 1).await;
    assert_eq!(
        (bobs["progressOf"].clone(), line(&bobs)),
        (shown_card(), WAITING)
    );
    let alices = answer(&store, &resumer, refresh(alice()), NOW + 1).await;
    assert!(line(&alices).starts_with("You approved at "), "{alices}");
}

#[tokio::test]
async fn a_second_vote_is_told_so_and_the_same_click_again_is_just_their_vote() {
    let (store, resumer, bot) = (
        FakeStore::default(),
        FakeResumer::default(),
        FakeTeamsBot::default(),
    );
    team_request(&store, None).await;
    let first = vote(&store, &resumer, &bot, click(alice(), "approve")).await;

    let again = vote(&store, &resumer, &bot, click(alice(), "approve")).await;
    assert_eq!(again, first, "Teams resending the invoke");
    let other = vote(&store, &resumer, &bot, click(alice(), "reject")).await;
    assert_eq!(refused(&other), "AlreadyVoted", "{other}");
    assert_eq!(other["shown"], first);

    let record = stored(&store).await;
    assert_eq!((record.votes.len(), record.decision), (1, None));
    assert_eq!(bot.updated.lock().unwrap().len(), 1, "nothing new to show");
}

#[tokio::test]
async fn the_settling_vote_resumes_once_and_the_card_lists_every_vote() {
    let (store, resumer, bot) = (
        FakeStore::default(),
        FakeResumer::default(),
        FakeTeamsBot::default(),
    );
    team_request(&store, None).await;
    vote(&store, &resumer, &bot, click(alice(), "approve")).await;

    let card = vote(&store, &resumer, &bot, click(bob(), "approve")).await;

    assert_eq!(line(&card), "Approved: 2 of 2 approved.", "{card}");
    let votes: Vec<&str> = card["votes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(votes.len(), 2, "{votes:?}");
    for (v, who) in votes.iter().zip(["Alice", "Bob"]) {
        assert!(
            v.starts_with(&format!("Approved by {who} at ")) && v.ends_with(" (in Teams)"),
            "{v}"
        );
    }
    let resumed = resumer.resumed.lock().unwrap().clone();
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0].1.decided_by.id, "oid-bob");
    // Alice's vote, counted before Bob settled it, is hers: the outcome, no "not recorded".
    let alices = answer(&store, &resumer, click(alice(), "approve"), NOW + 1).await;
    assert_eq!(alices.get("refused"), None, "{alices}");
    let carols = answer(&store, &resumer, click(carol(), "reject"), NOW + 1).await;
    assert_eq!(refused(&carols), "AlreadyDecided");
}

#[tokio::test]
async fn the_relay_replaces_the_shared_card_with_the_votes() {
    let (store, resumer) = (FakeStore::default(), FakeResumer::default());
    team_request(&store, None).await;
    answer(&store, &resumer, click(alice(), "approve"), NOW).await;
    answer(&store, &resumer, click(carol(), "reject"), NOW).await;

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
    assert_eq!(line(&updated[0].1), "Rejected: 1 of 1 rejected.");
    assert_eq!(updated[0].1["votes"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_requester_and_people_without_a_slot_change_nothing_and_are_told_why() {
    let (store, resumer, bot) = (
        FakeStore::default(),
        FakeResumer::default(),
        FakeTeamsBot::default(),
    );
    team_request(&store, Some("oid-carol")).await;
    let before = stored(&store).await;

    let carols = vote(&store, &resumer, &bot, click(carol(), "approve")).await;
    assert_eq!(refused(&carols), "Requester", "{carols}");
    let mallorys = vote(&store, &resumer, &bot, click(mallory(), "approve")).await;
    assert_eq!(refused(&mallorys), "NotAllowed", "{mallorys}");
    assert_eq!(stored(&store).await, before);
    assert!(bot.updated.lock().unwrap().is_empty());
    let refreshed = answer(&store, &resumer, refresh(carol()), NOW).await;
    assert_eq!(refused(&refreshed), "Requester", "{refreshed}");

    // Without Carol, Alice and Bob are the two slots.
    let alices = vote(&store, &resumer, &bot, click(alice(), "approve")).await;
    assert!(
        line(&alices).ends_with("1 of 2 approved; waiting for bob@corp.example."),
        "{alices}"
    );
}

/// Bob's vote settles the request while Alice's progress update is on its way: the shared card
/// must end with the outcome, not the buttons.
#[tokio::test]
async fn a_progress_update_never_leaves_a_settled_card_with_buttons() {
    let (store, resumer) = (FakeStore::default(), FakeResumer::default());
    team_request(&store, None).await;
    let bot = BobVotesDuringUpdate {
        inner: FakeTeamsBot::default(),
        store: &store,
        voted: AtomicBool::new(false),
    };
    let alices = answer_and_share(
        click(alice(), "approve"),
        &store,
        &resumer,
        &FakeTeamsBotFormat,
        Some(&bot),
        NOW,
    )
    .await
    .unwrap();

    assert!(line(&alices).starts_with("You approved"), "{alices}");
    let updated = bot.inner.updated.lock().unwrap().clone();
    assert_eq!(updated.len(), 2, "{updated:?}");
    let last = &updated[1].1;
    assert_eq!(line(last), "Approved: 2 of 2 approved.", "{updated:?}");
    assert_eq!(last["votes"].as_array().unwrap().len(), 2);
}

/// The bot, with Bob's vote landing in the store during the first card update.
struct BobVotesDuringUpdate<'a> {
    inner: FakeTeamsBot,
    store: &'a FakeStore,
    voted: AtomicBool,
}

#[async_trait]
impl TeamsBot for BobVotesDuringUpdate<'_> {
    async fn resolve_user(&self, who: &str) -> Result<TeamsUser, HitlError> {
        self.inner.resolve_user(who).await
    }

    async fn send_card(&self, to: &BotConversation, card: &Value) -> Result<SentCard, HitlError> {
        self.inner.send_card(to, card).await
    }

    async fn update_card(&self, message: &MessageRef, card: &Value) -> Result<(), HitlError> {
        self.inner.update_card(message, card).await?;
        if !self.voted.swap(true, Ordering::SeqCst) {
            let bobs = decide::clicked(
                &stored(self.store).await,
                &bob(),
                Decision::Approve,
                None,
                NOW,
            );
            self.store.record_decision(&"a1".into(), &bobs, NOW).await?;
        }
        Ok(())
    }
}

/// Once the request escalated, an escalation target (not among the approvers) fills the first
/// unfilled slot; before, they are not allowed; the approver whose slot they filled is told so.
#[tokio::test]
async fn an_escalation_target_votes_only_once_escalated_and_fills_a_slot() {
    let (store, resumer, bot) = (
        FakeStore::default(),
        FakeResumer::default(),
        FakeTeamsBot::default(),
    );
    team_request(&store, None).await;
    let dave = person("oid-dave", "Dave");
    set(&store, |r| {
        r.reminders = Some(crate::quorum::Reminders {
            every_seconds: 86_400,
            escalate_after: Some(1),
            escalate_to: vec!["oid-dave".into()],
        })
    });

    let early = vote(&store, &resumer, &bot, click(dave.clone(), "approve")).await;
    assert_eq!(refused(&early), "NotAllowed", "{early}");
    assert!(stored(&store).await.votes.is_empty());

    set(&store, |r| r.reminder_state.escalated_at = Some(NOW - 1));
    let card = vote(&store, &resumer, &bot, click(dave, "approve")).await;
    assert!(line(&card).ends_with(WAITING), "{card}");
    let alices = vote(&store, &resumer, &bot, click(alice(), "approve")).await;
    assert_eq!(refused(&alices), "SlotFilled", "{alices}");
    assert_eq!(stored(&store).await.votes.len(), 1);
}

fn set(store: &FakeStore, change: impl FnOnce(&mut ApprovalRecord)) {
    let mut records = store.records.lock().unwrap();
    change(records.get_mut(&crate::ApprovalId::from("a1")).unwrap());
}
