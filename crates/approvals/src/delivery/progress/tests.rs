//! Votes on a Teams bot card as everyone in the channel sees them: the Decision API counts a
//! vote and hands the card to the relay (it holds no bot secret), the relay shows the progress
//! to everyone once, and once the request settles the card shows the outcome, never a progress
//! after it.

use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use serde_json::{json, Map, Value};

use super::PROGRESS_RETRY_SECONDS;
use crate::delivery::{relay, RelayReport, MAX_RETRY_DELAY_SECONDS};
use crate::ports::{ApprovalStore, DeliveryStore, OutcomeNotifier};
use crate::quorum::Quorum;
use crate::testing::{FakeResumer, FakeStore, FakeTeamsBot, FakeTeamsBotFormat};
use crate::use_cases::teams_card::{answer_card_action, CardAction, CardVerb, TeamsCardOutcome};
use crate::{ApprovalId, ApprovalRecord, Channel, HitlError, MessageRef, TeamsUser};

const NOW: i64 = 500;
const EXPIRES_AT: i64 = 10_000;
const ACTIVITY: &str = "1700000000001";
const CONVERSATION: &str = "19:abc@thread.tacv2";
const WAITING: &str = "1 of 3 approved; waiting for bob@corp.example, carol@corp.example.";
const SETTLED: &str = "outcome: Approved: 3 of 3 approved.";

fn person(name: &str) -> TeamsUser {
    TeamsUser {
        object_id: format!("oid-{}", name.to_lowercase()),
        name: name.into(),
        user_principal_name: Some(format!("{}@corp.example", name.to_lowercase())),
        tenant_id: "tid".into(),
    }
}

fn shown_card() -> Value {
    json!({"type": "AdaptiveCard", "title": "Stop db-1"})
}

fn id() -> ApprovalId {
    "a1".into()
}

/// Alice, Bob and Carol asked on the bot's card; all three must approve, one reject rejects.
async fn team_request(store: &FakeStore) {
    let mut record =
        ApprovalRecord::new("a1", "Stop db-1".into(), Channel::Teams, 0, EXPIRES_AT, 1);
    record.teams_approvers = vec![person("Alice"), person("Bob"), person("Carol")];
    record.quorum = Some(Quorum {
        approvals: 3,
        rejections: 1,
    });
    record.message = Some(MessageRef {
        channel: CONVERSATION.into(),
        ts: ACTIVITY.into(),
    });
    record.message_shown = Some(shown_card().to_string());
    store.create(&record).await.unwrap();
    store
        .attach_task_token(&id(), &"tok".into(), 1)
        .await
        .unwrap();
}

/// A click as the Decision API answers it: the vote, then the card handed to the relay.
async fn click(store: &FakeStore, resumer: &FakeResumer, who: &str, value: &str, now: i64) -> bool {
    let action = CardAction {
        approval_id: id(),
        verb: CardVerb::Decide {
            value: value.into(),
        },
        inputs: Map::new(),
        user: person(who),
        conversation_id: CONVERSATION.into(),
        card_activity_id: Some(ACTIVITY.into()),
    };
    answer_card_action(action, store, resumer, &FakeTeamsBotFormat, now)
        .await
        .unwrap();
    store.progress_due(&id(), now).await.unwrap()
}

async fn pass(
    store: &FakeStore,
    resumer: &FakeResumer,
    bot: &dyn OutcomeNotifier,
    now: i64,
) -> RelayReport {
    relay(store, resumer, Some(bot), now, 10).await.unwrap()
}

async fn stored(store: &FakeStore) -> ApprovalRecord {
    store.get(&id()).await.unwrap().unwrap()
}

/// What the shared card showed, update after update: "progress: <line>" or "outcome: <line>".
fn shown(bot: &FakeTeamsBot) -> Vec<String> {
    bot.updated
        .lock()
        .unwrap()
        .iter()
        .map(|(at, card)| {
            assert_eq!(
                (at.channel.as_str(), at.ts.as_str()),
                (CONVERSATION, ACTIVITY)
            );
            let kind = match card.get("progressOf") {
                Some(of) => {
                    assert_eq!(*of, shown_card(), "the card as sent, buttons kept");
                    "progress"
                }
                None => "outcome",
            };
            format!("{kind}: {}", card["line"].as_str().unwrap_or_default())
        })
        .collect()
}

#[tokio::test]
async fn a_counted_vote_reaches_everyones_card_through_the_relay_once() {
    let (store, resumer, bot) = (
        FakeStore::default(),
        FakeResumer::default(),
        FakeTeamsBot::default(),
    );
    let notifier = TeamsCardOutcome {
        bot: &bot,
        format: &FakeTeamsBotFormat,
    };
    team_request(&store).await;
    assert!(
        click(&store, &resumer, "Alice", "approve", NOW).await,
        "due for the relay"
    );

    let report = pass(&store, &resumer, &notifier, NOW + 1).await;
    assert_eq!(report.progress_shown, [id()]);
    assert_eq!(shown(&bot), [format!("progress: {WAITING}")]);
    let record = stored(&store).await;
    assert_eq!(record.message_progress_votes, 1);
    assert_eq!(
        record.delivery.relay_at,
        Some(EXPIRES_AT),
        "back at its expiry, not settled"
    );

    // Nothing new to show: the next pass finds nothing due, and a pass it is due for (any
    // reason) shows nothing and puts it back at its expiry.
    assert!(pass(&store, &resumer, &notifier, NOW + 2).await.is_idle());
    store.reschedule(&id(), NOW + 3).await.unwrap();
    assert!(pass(&store, &resumer, &notifier, NOW + 3).await.is_idle());
    assert_eq!(stored(&store).await.delivery.relay_at, Some(EXPIRES_AT));
    // Alice clicking again counts nothing: nothing is handed to the relay.
    assert!(!click(&store, &resumer, "Alice", "approve", NOW + 4).await);
    assert_eq!(shown(&bot).len(), 1, "{:?}", shown(&bot));
}

#[tokio::test]
async fn the_vote_that_settles_shows_the_outcome_and_never_a_progress_after_it() {
    let (store, resumer, bot) = (
        FakeStore::default(),
        FakeResumer::default(),
        FakeTeamsBot::default(),
    );
    let notifier = TeamsCardOutcome {
        bot: &bot,
        format: &FakeTeamsBotFormat,
    };
    team_request(&store).await;
    click(&store, &resumer, "Alice", "approve", NOW).await;
    pass(&store, &resumer, &notifier, NOW + 1).await;

    assert!(click(&store, &resumer, "Bob", "approve", NOW + 2).await);
    pass(&store, &resumer, &notifier, NOW + 3).await;
    // Carol settles it: nothing for the progress; Alice clicking after it, nothing either.
    assert!(!click(&store, &resumer, "Carol", "approve", NOW + 4).await);
    assert!(!click(&store, &resumer, "Alice", "reject", NOW + 5).await);
    assert_eq!(resumer.resumed.lock().unwrap().len(), 1);
    let report = pass(&store, &resumer, &notifier, NOW + 20).await;
    assert_eq!(
        (report.messages_updated, report.progress_shown),
        (vec![id()], vec![])
    );
    assert_eq!(
        shown(&bot),
        [
            format!("progress: {WAITING}"),
            "progress: 2 of 3 approved; waiting for carol@corp.example.".into(),
            SETTLED.into(),
        ]
    );
    let record = stored(&store).await;
    assert!(
        record.is_settled() && record.delivery.relay_at.is_none(),
        "out of the index"
    );
    // Made due by hand, the settled card is left alone.
    assert!(!store.progress_due(&id(), NOW + 30).await.unwrap());
    assert!(!store.progress_shown(&id(), 3, NOW + 30).await.unwrap());
    assert!(pass(&store, &resumer, &notifier, NOW + 3600)
        .await
        .is_idle());
    assert_eq!(shown(&bot).len(), 3);
}

#[tokio::test]
async fn votes_that_settle_before_a_pass_show_the_outcome_only() {
    let (store, resumer, bot) = (
        FakeStore::default(),
        FakeResumer::default(),
        FakeTeamsBot::default(),
    );
    let notifier = TeamsCardOutcome {
        bot: &bot,
        format: &FakeTeamsBotFormat,
    };
    team_request(&store).await;
    for who in ["Alice", "Bob", "Carol"] {
        click(&store, &resumer, who, "approve", NOW).await;
    }
    pass(&store, &resumer, &notifier, NOW + 20).await;
    assert_eq!(shown(&bot), [SETTLED]);
}

#[tokio::test]
async fn a_card_failing_for_now_is_tried_again_while_the_vote_is_recent() {
    let (store, resumer, bot) = (
        FakeStore::default(),
        FakeResumer::default(),
        FakeTeamsBot::default(),
    );
    let notifier = TeamsCardOutcome {
        bot: &bot,
        format: &FakeTeamsBotFormat,
    };
    team_request(&store).await;
    click(&store, &resumer, "Alice", "approve", NOW).await;
    *bot.fail_with.lock().unwrap() = Some(HitlError::transient("Teams", "429"));

    let report = pass(&store, &resumer, &notifier, NOW + 1).await;
    assert_eq!(report.retry_later, [id()]);
    let record = stored(&store).await;
    assert_eq!(record.message_progress_votes, 0);
    assert_eq!(
        record.delivery.relay_at,
        Some(NOW + 1 + MAX_RETRY_DELAY_SECONDS)
    );

    *bot.fail_with.lock().unwrap() = None;
    pass(
        &store,
        &resumer,
        &notifier,
        NOW + 1 + MAX_RETRY_DELAY_SECONDS,
    )
    .await;
    assert_eq!(shown(&bot), [format!("progress: {WAITING}")]);

    // Failing long after the latest vote: given up until the next vote, back at its expiry.
    click(&store, &resumer, "Carol", "approve", NOW + 100).await;
    *bot.fail_with.lock().unwrap() = Some(HitlError::transient("Teams", "429"));
    let late = NOW + 100 + PROGRESS_RETRY_SECONDS;
    assert!(pass(&store, &resumer, &notifier, late)
        .await
        .retry_later
        .is_empty());
    let record = stored(&store).await;
    assert_eq!(
        (record.message_progress_votes, record.delivery.relay_at),
        (2, Some(EXPIRES_AT))
    );
}

/// Another relay run (overlapping this one) shows the outcome of Carol's settling vote while this
/// run's progress of Alice's vote is on its way, and lands after it.
struct SlowerThanTheOutcome<'a> {
    inner: TeamsCardOutcome<'a>,
    store: &'a FakeStore,
    resumer: &'a FakeResumer,
    once: AtomicBool,
}

#[async_trait]
impl OutcomeNotifier for SlowerThanTheOutcome<'_> {
    async fn show_outcome(&self, record: &ApprovalRecord) -> Result<(), HitlError> {
        self.inner.show_outcome(record).await
    }

    async fn show_progress(&self, record: &ApprovalRecord) -> Result<bool, HitlError> {
        if !self.once.swap(true, Ordering::SeqCst) {
            for who in ["Bob", "Carol"] {
                click(self.store, self.resumer, who, "approve", NOW + 2).await;
            }
            let other = relay(self.store, self.resumer, Some(&self.inner), NOW + 20, 10).await;
            assert_eq!(other.unwrap().messages_updated, [id()]);
        }
        self.inner.show_progress(record).await
    }
}

#[tokio::test]
async fn a_slower_relays_progress_never_stays_over_the_outcome() {
    let (store, resumer, bot) = (
        FakeStore::default(),
        FakeResumer::default(),
        FakeTeamsBot::default(),
    );
    let notifier = SlowerThanTheOutcome {
        inner: TeamsCardOutcome {
            bot: &bot,
            format: &FakeTeamsBotFormat,
        },
        store: &store,
        resumer: &resumer,
        once: AtomicBool::new(false),
    };
    team_request(&store).await;
    click(&store, &resumer, "Alice", "approve", NOW).await;

    pass(&store, &resumer, &notifier, NOW + 1).await;
    assert_eq!(
        shown(&bot),
        [
            SETTLED.into(),
            format!("progress: {WAITING}"),
            SETTLED.to_string()
        ],
        "the card ends with the outcome"
    );
    let record = stored(&store).await;
    assert_eq!(
        record.message_progress_votes, 0,
        "no progress recorded after the outcome"
    );
    assert!(record.is_settled());
}
