//! A bot card whose request expires undecided: once the Task is told (or cannot be), the
//! Decision Relay replaces the card for everyone with the expired line, and the record stays in
//! the relay index until it has. A Slack message's expiry stays the expiry sweep's.

use super::*;
use crate::delivery::relay;
use crate::ports::DeliveryStore;
use crate::{HitlError, Retry};

const LATER: i64 = EXPIRES_AT + 1;

fn notifier(bot: &FakeTeamsBot) -> TeamsCardOutcome<'_> {
    TeamsCardOutcome {
        bot,
        format: &FakeTeamsBotFormat,
    }
}

async fn due(store: &FakeStore, at: i64) -> Vec<crate::ApprovalId> {
    store.due_for_relay(at, 10).await.unwrap()
}

/// The one card update the bot made: it is the card sent, with the expired line.
fn assert_shows_expired(bot: &FakeTeamsBot) {
    let updated = bot.updated.lock().unwrap().clone();
    assert_eq!(updated.len(), 1, "{updated:?}");
    let (at, card) = &updated[0];
    assert_eq!(
        (at.channel.as_str(), at.ts.as_str()),
        (CONVERSATION, ACTIVITY)
    );
    assert_eq!(card["outcomeOf"], shown_card());
    let line = card["line"].as_str().unwrap();
    assert!(
        line.starts_with("Expired at ") && line.ends_with("without a decision."),
        "{line}"
    );
}

#[tokio::test]
async fn an_expired_card_loses_its_buttons_for_everyone_once_the_task_is_told() {
    let (store, resumer, bot) = (
        FakeStore::default(),
        FakeResumer::default(),
        FakeTeamsBot::default(),
    );
    bot_request(&store, vec![alice()]).await;

    let pass = relay(&store, &resumer, Some(&notifier(&bot)), LATER, 10)
        .await
        .unwrap();

    assert_eq!(
        resumer.failed.lock().unwrap().len(),
        1,
        "the Task is told it expired"
    );
    assert_eq!(pass.messages_updated, vec![crate::ApprovalId::from("a1")]);
    assert_shows_expired(&bot);
    let record = stored(&store).await;
    assert!(record.message_updated_at.is_some() && record.is_settled());
    assert!(
        due(&store, LATER + 3600).await.is_empty(),
        "out of the relay index"
    );
}

#[tokio::test]
async fn an_expired_card_that_cannot_be_updated_now_stays_due_until_it_is() {
    let (store, resumer, bot) = (
        FakeStore::default(),
        FakeResumer::default(),
        FakeTeamsBot::default(),
    );
    bot_request(&store, vec![alice()]).await;
    *bot.fail_with.lock().unwrap() = Some(HitlError::Dependency {
        name: "Teams.Throttled",
        message: "429".into(),
        retry: Retry::Later,
    });
    relay(&store, &resumer, Some(&notifier(&bot)), LATER, 10)
        .await
        .unwrap();
    let record = stored(&store).await;
    assert!(record.delivery.expiry_sent_at.is_some() && !record.is_settled());
    assert!(due(&store, LATER).await.is_empty(), "backs off");
    assert_eq!(
        due(&store, LATER + 3600).await.len(),
        1,
        "still in the relay index"
    );

    *bot.fail_with.lock().unwrap() = None;
    relay(&store, &resumer, Some(&notifier(&bot)), LATER + 3600, 10)
        .await
        .unwrap();
    assert_eq!(
        resumer.failed.lock().unwrap().len(),
        1,
        "the Task is told once"
    );
    assert_shows_expired(&bot);
    assert!(due(&store, LATER + 7200).await.is_empty());
}

#[tokio::test]
async fn an_expiry_step_functions_refuses_for_good_still_shows_on_the_card() {
    let (store, resumer, bot) = (
        FakeStore::default(),
        FakeResumer::default(),
        FakeTeamsBot::default(),
    );
    bot_request(&store, vec![alice()]).await;
    *resumer.fail_with.lock().unwrap() = Some(HitlError::DependencyFailed {
        dependency: "Step Functions".into(),
        message: "AccessDenied".into(),
    });
    relay(&store, &resumer, Some(&notifier(&bot)), LATER, 10)
        .await
        .unwrap();
    assert!(stored(&store).await.delivery.failed.is_some());
    assert_shows_expired(&bot);
    assert!(due(&store, LATER + 3600).await.is_empty());
}

#[tokio::test]
async fn an_open_card_and_a_slack_message_are_left_alone_by_the_relay() {
    let (store, resumer, bot) = (
        FakeStore::default(),
        FakeResumer::default(),
        FakeTeamsBot::default(),
    );
    bot_request(&store, vec![alice()]).await;
    // The same request asked in Slack: its expired message is the expiry sweep's.
    let mut slack = ApprovalRecord::new("s1", "Stop db-2".into(), Channel::Slack, 0, EXPIRES_AT, 1);
    slack.task_token = Some("tok-s".into());
    slack.message = Some(MessageRef {
        channel: "C1".into(),
        ts: "1.2".into(),
    });
    slack.message_shown = Some("[]".into());
    store.create(&slack).await.unwrap();

    relay(&store, &resumer, Some(&notifier(&bot)), NOW, 10)
        .await
        .unwrap();
    assert!(
        bot.updated.lock().unwrap().is_empty(),
        "open: nothing to show yet"
    );

    let pass = relay(&store, &resumer, Some(&notifier(&bot)), LATER, 10)
        .await
        .unwrap();
    let slack = store.get(&"s1".into()).await.unwrap().unwrap();
    assert!(slack.delivery.expiry_sent_at.is_some() && slack.is_settled());
    assert!(!slack.needs_message_update(LATER) && slack.message_updated_at.is_none());
    assert_eq!(
        pass.messages_updated,
        vec![crate::ApprovalId::from("a1")],
        "only the card"
    );
}
