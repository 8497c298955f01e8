//! The relay and a callback Step Functions refuses for good (access denied, an output it will
//! not take): the record settles at once with the reason and is never tried again; a refusal
//! for now is still tried again.

use std::sync::Mutex;

use async_trait::async_trait;

use super::tests::decided_request;
use super::{deliver_decision, relay, DeliveryOutcome};
use crate::ports::{ApprovalStore, OutcomeNotifier, ResumeOutcome, WorkflowResumer};
use crate::testing::FakeStore;
use crate::{ApprovalRecord, Channel, DecisionOutput, HitlError, MessageRef, TaskToken};

/// Step Functions refusing every callback with one error; counts the calls.
struct Refusing {
    error: HitlError,
    calls: Mutex<u32>,
}

impl Refusing {
    fn new(error: HitlError) -> Self {
        Refusing {
            error,
            calls: Mutex::new(0),
        }
    }
    fn calls(&self) -> u32 {
        *self.calls.lock().unwrap()
    }
}

#[async_trait]
impl WorkflowResumer for Refusing {
    async fn resume(&self, _: &TaskToken, _: &DecisionOutput) -> Result<ResumeOutcome, HitlError> {
        *self.calls.lock().unwrap() += 1;
        Err(self.error.clone())
    }
    async fn fail(&self, _: &TaskToken, _: &str, _: &str) -> Result<ResumeOutcome, HitlError> {
        *self.calls.lock().unwrap() += 1;
        Err(self.error.clone())
    }
}

fn access_denied() -> HitlError {
    HitlError::dependency("Step Functions", "AccessDeniedException: not authorized")
}

async fn record(store: &FakeStore, id: &str) -> ApprovalRecord {
    store.get(&id.into()).await.unwrap().unwrap()
}

/// Relay passes every 20 s for ten minutes.
async fn relay_for_ten_minutes(
    store: &FakeStore,
    resumer: &Refusing,
    notifier: Option<&dyn OutcomeNotifier>,
) {
    for now in (1000..1600).step_by(20) {
        relay(store, resumer, notifier, now, 10).await.unwrap();
    }
}

#[tokio::test]
async fn a_decision_refused_for_good_settles_with_its_reason_and_is_never_tried_again() {
    let store = FakeStore::default();
    decided_request(&store, "a", 100).await;
    let resumer = Refusing::new(access_denied());
    let report = relay(&store, &resumer, None, 1000, 10).await.unwrap();
    assert_eq!(report.delivery_gave_up, vec!["a".to_string()]);
    assert!(report.retry_later.is_empty(), "{report:?}");
    let r = record(&store, "a").await;
    let failed = r.delivery.failed.clone().expect("given up, with why");
    assert!(
        failed.reason.contains("AccessDeniedException"),
        "{failed:?}"
    );
    assert_eq!(failed.at, 1000);
    assert!(r.is_settled() && !r.needs_delivery());
    assert_eq!(r.delivery.relay_at, None, "out of the relay index");
    assert_eq!(r.delivery.lease, None, "no lease left behind");
    relay_for_ten_minutes(&store, &resumer, None).await;
    assert_eq!(resumer.calls(), 1, "never tried again");
    // A click that delivers it again is told it was given up, never "delivered".
    let outcome = deliver_decision(&r, &store, &resumer, 2000).await;
    assert_ne!(outcome, DeliveryOutcome::Delivered);
}

#[tokio::test]
async fn a_deliverer_told_a_refusal_for_good_says_so_and_the_record_settles() {
    let store = FakeStore::default();
    decided_request(&store, "a", 100).await;
    let resumer = Refusing::new(access_denied());
    let r = record(&store, "a").await;
    let outcome = deliver_decision(&r, &store, &resumer, 101).await;
    assert_eq!(outcome, DeliveryOutcome::GaveUp);
    let r = record(&store, "a").await;
    assert!(r.delivery.failed.is_some() && r.is_settled());
    assert_eq!(r.delivery.relay_at, None, "nothing left for the relay");
}

#[tokio::test]
async fn a_refusal_for_now_is_still_tried_again() {
    let store = FakeStore::default();
    decided_request(&store, "a", 100).await;
    let resumer = Refusing::new(HitlError::transient(
        "Step Functions",
        "ThrottlingException",
    ));
    relay_for_ten_minutes(&store, &resumer, None).await;
    let r = record(&store, "a").await;
    assert_eq!(r.delivery.failed, None, "not given up");
    assert!(r.needs_delivery() && r.delivery.relay_at.is_some());
    assert!(resumer.calls() > 10, "tried again: {}", resumer.calls());
}

#[tokio::test]
async fn an_expiry_refused_for_good_settles_with_its_reason() {
    let store = FakeStore::default();
    let mut waiting = ApprovalRecord::new("e", "t".into(), Channel::Email, 0, 500, 1);
    waiting.task_token = Some("tok-e".into());
    store.create(&waiting).await.unwrap();
    let resumer = Refusing::new(access_denied());
    let report = relay(&store, &resumer, None, 1000, 10).await.unwrap();
    assert_eq!(report.delivery_gave_up, vec!["e".to_string()]);
    let r = record(&store, "e").await;
    assert!(r.delivery.failed.is_some() && r.is_settled(), "{r:?}");
    assert!(!r.needs_expiry(2000));
    relay_for_ten_minutes(&store, &resumer, None).await;
    assert_eq!(resumer.calls(), 1, "never tried again");
}

/// The chat message as the relay brings it up to date: whether it said the decision counted.
#[derive(Default)]
struct Shown(Mutex<Vec<bool>>);

#[async_trait]
impl OutcomeNotifier for Shown {
    async fn show_outcome(&self, record: &ApprovalRecord) -> Result<(), HitlError> {
        self.0
            .lock()
            .unwrap()
            .push(!record.delivery.took_no_effect());
        Ok(())
    }
}

#[tokio::test]
async fn the_message_of_a_decision_refused_for_good_never_says_it_took_effect() {
    let store = FakeStore::default();
    let mut slack = ApprovalRecord::new("s", "t".into(), Channel::Slack, 0, 10_000, 1);
    slack.message = Some(MessageRef {
        channel: "C1".into(),
        ts: "1.1".into(),
    });
    store.create(&slack).await.unwrap();
    store
        .attach_task_token(&"s".into(), &"tok-s".into(), 1)
        .await
        .unwrap();
    let decision = super::tests::approval(100);
    store
        .record_decision(&"s".into(), &decision, 100)
        .await
        .unwrap();
    let (resumer, shown) = (Refusing::new(access_denied()), Shown::default());
    let report = relay(&store, &resumer, Some(&shown), 1000, 10)
        .await
        .unwrap();
    assert_eq!(report.delivery_gave_up, vec!["s".to_string()]);
    assert_eq!(
        *shown.0.lock().unwrap(),
        vec![false],
        "updated once, as not effective"
    );
    let r = record(&store, "s").await;
    assert!(r.message_updated_at.is_some() && r.is_settled());
    assert_eq!(r.delivery.relay_at, None);
}
