//! The relay and a message that cannot be updated: a permanent refusal settles the record
//! with its reason at once; transient failures back off and end too.

use std::sync::Mutex;

use async_trait::async_trait;

use super::{relay, MAX_MESSAGE_UPDATE_ATTEMPTS};
use crate::ports::{ApprovalStore, DeliveryStore, FinalDelivery, OutcomeNotifier};
use crate::testing::{FakeResumer, FakeStore};
use crate::{
    ApprovalRecord, Channel, DecidedBy, Decision, HitlError, MessageRef, RecordedDecision, Retry,
    TaskToken,
};

/// Slack refusing every `chat.update` with one error (named as its adapter names it).
struct Refusing {
    error: (&'static str, Retry),
    calls: Mutex<u32>,
}

#[async_trait]
impl OutcomeNotifier for Refusing {
    async fn show_outcome(&self, _: &ApprovalRecord) -> Result<(), HitlError> {
        *self.calls.lock().unwrap() += 1;
        let (name, retry) = self.error;
        Err(HitlError::failed_dependency(name, "refused", retry))
    }
}

/// A Slack request whose decision was delivered; only its message is left to update.
async fn delivered_slack_request(store: &FakeStore) {
    let mut record = ApprovalRecord::new("a", "t".into(), Channel::Slack, 0, 1000, 1);
    record.task_token = Some("tok".into());
    record.message = Some(MessageRef {
        channel: "C1".into(),
        ts: "1.1".into(),
    });
    store.create(&record).await.unwrap();
    let decision = RecordedDecision {
        decision: Decision::Approve,
        decided_by: DecidedBy {
            id: "u".into(),
            name: "u".into(),
            channel: Channel::Slack,
        },
        decided_at: 1,
        comment: None,
        source_ip: None,
        user_agent: None,
        slack_user: None,
        teams_user: None,
        action: None,
        submission_id: None,
        follow_up: None,
    };
    store
        .record_decision(&"a".into(), &decision, 1)
        .await
        .unwrap();
    store
        .claim_delivery(&"a".into(), &TaskToken::from("tok"), 1, 11)
        .await
        .unwrap();
    store
        .finish_delivery(
            &"a".into(),
            &TaskToken::from("tok"),
            FinalDelivery::Delivered,
            2,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_permanent_refusal_settles_the_record_with_its_reason_once() {
    let store = FakeStore::default();
    delivered_slack_request(&store).await;
    let slack = Refusing {
        error: ("Slack.ChannelNotFound", Retry::Gone),
        calls: Mutex::new(0),
    };
    let resumer = FakeResumer::default();
    let report = relay(&store, &resumer, Some(&slack), 100, 10)
        .await
        .unwrap();
    assert_eq!(report.gave_up, vec!["a".to_string()]);
    assert!(report.retry_later.is_empty(), "{report:?}");
    let record = store.get(&"a".into()).await.unwrap().unwrap();
    let failure = record
        .message_update_failed
        .clone()
        .expect("given up, with why");
    assert!(
        failure.reason.contains("Slack.ChannelNotFound"),
        "{failure:?}"
    );
    assert_eq!(failure.at, 100);
    assert!(record.is_settled());
    assert_eq!(record.delivery.relay_at, None, "out of the relay index");
    for later in [200, 10_000] {
        relay(&store, &resumer, Some(&slack), later, 10)
            .await
            .unwrap();
    }
    assert_eq!(*slack.calls.lock().unwrap(), 1, "never tried again");
}

#[tokio::test]
async fn transient_failures_back_off_then_settle_with_their_reason() {
    let store = FakeStore::default();
    delivered_slack_request(&store).await;
    let slack = Refusing {
        error: ("Slack.Unavailable", Retry::Soon),
        calls: Mutex::new(0),
    };
    let resumer = FakeResumer::default();
    let (mut now, mut pauses) = (100, Vec::new());
    while let Some(due) = store
        .get(&"a".into())
        .await
        .unwrap()
        .unwrap()
        .delivery
        .relay_at
    {
        assert!(pauses.len() < 50, "the relay never gives up: {pauses:?}");
        pauses.push(due.max(now) - now);
        now = due.max(now);
        relay(&store, &resumer, Some(&slack), now, 10)
            .await
            .unwrap();
    }
    assert_eq!(*slack.calls.lock().unwrap(), MAX_MESSAGE_UPDATE_ATTEMPTS);
    assert!(
        pauses.windows(2).skip(1).all(|w| w[1] >= w[0]),
        "backs off: {pauses:?}"
    );
    assert!(pauses.iter().any(|p| *p > 60), "{pauses:?}");
    let record = store.get(&"a".into()).await.unwrap().unwrap();
    let reason = record
        .message_update_failed
        .clone()
        .expect("given up")
        .reason;
    assert!(reason.contains("Slack.Unavailable"), "{reason}");
    assert!(record.is_settled());
}

#[test]
fn pauses_double_up_to_their_cap() {
    let deliveries: Vec<i64> = (0..7).map(super::retry_delay).collect();
    assert_eq!(deliveries, [1, 2, 4, 8, 16, 20, 20]);
    let updates: Vec<i64> = (1..10).map(super::message::message_retry_delay).collect();
    assert_eq!(updates, [20, 40, 80, 160, 320, 640, 900, 900, 900]);
    assert_eq!(super::retry_delay(u32::MAX - 1), 20);
}

/// A decided email request whose Task waits on `tok-<id>`, decided at `decided_at` (expires at
/// 10,000; also the relay run's tests).
pub(super) async fn decided_request(store: &FakeStore, id: &str, decided_at: i64) {
    let mut record = ApprovalRecord::new(id, "t".into(), Channel::Email, 0, 10_000, 1);
    record.task_token = Some(format!("tok-{id}").into());
    store.create(&record).await.unwrap();
    let decision = approval(decided_at);
    store
        .record_decision(&id.into(), &decision, decided_at)
        .await
        .unwrap();
}

/// An approval by email, decided at `decided_at`.
pub(super) fn approval(decided_at: i64) -> RecordedDecision {
    RecordedDecision {
        decision: Decision::Approve,
        decided_by: DecidedBy {
            id: "x@example.com".into(),
            name: "x@example.com".into(),
            channel: Channel::Email,
        },
        decided_at,
        comment: None,
        source_ip: None,
        user_agent: None,
        slack_user: None,
        teams_user: None,
        action: None,
        submission_id: None,
        follow_up: None,
    }
}

#[tokio::test]
async fn a_pass_reports_when_the_oldest_decision_it_found_undelivered_was_made() {
    let store = FakeStore::default();
    decided_request(&store, "new", 300).await;
    decided_request(&store, "old", 100).await;
    let resumer = FakeResumer::default();
    *resumer.fail_with.lock().unwrap() = Some(HitlError::transient("Step Functions", "down"));
    let failing = relay(&store, &resumer, None, 1000, 10).await.unwrap();
    assert_eq!(failing.oldest_undelivered_decided_at, Some(100));
    *resumer.fail_with.lock().unwrap() = None;
    let delivering = relay(&store, &resumer, None, 2000, 10).await.unwrap();
    assert_eq!(delivering.delivered.len(), 2, "{delivering:?}");
    assert_eq!(
        delivering.oldest_undelivered_decided_at, None,
        "delivered by this very pass"
    );
    let idle = relay(&store, &resumer, None, 3000, 10).await.unwrap();
    assert_eq!(idle.oldest_undelivered_decided_at, None, "none left");
}
