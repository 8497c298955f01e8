//! A decision is never lost or misreported: leases that run out, new tokens, late decisions,
//! expiries, and stores whose writes fail, over in-memory ports with a fixed clock.

use approvals::approval::LEASE_SECONDS;
use approvals::delivery::{relay, EXPIRED_ERROR};
use approvals::ports::{ApprovalStore, DecisionWrite, DeliveryClaim, DeliveryStore, FinalDelivery};
use approvals::testing::{FakeResumer, FakeStore};
use approvals::use_cases::TaskStatus;
use approvals::use_cases::{self, ClientInfo, LinkSettings, LinkView, WaitInput};
use approvals::{
    ApprovalId, ApprovalRecord, Channel, CreateLinksInput, CreateLinksOutput, DecidedBy, Decision,
    HitlError, LinkSigner, RecordedDecision, TaskToken,
};
use async_trait::async_trait;
use channels::pages::render;

const NOW: i64 = 1_800_000_000;
const LIFETIME: i64 = 3600;

struct World<S> {
    signer: LinkSigner,
    store: S,
    resumer: FakeResumer,
}

fn world() -> World<FakeStore> {
    World::with(FakeStore::default())
}

impl<S: ApprovalStore + DeliveryStore> World<S> {
    fn with(store: S) -> Self {
        World {
            signer: LinkSigner::from_config("k1:0123456789abcdef0123456789abcdef").unwrap(),
            store,
            resumer: FakeResumer::default(),
        }
    }

    async fn create(&self) -> CreateLinksOutput {
        let settings = LinkSettings {
            signer: &self.signer,
            base_url: "https://api.example.com",
            retention_days: 30,
            origin: approvals::Channel::Email,
        };
        let input: CreateLinksInput = serde_json::from_value(
            serde_json::json!({"title": "Stop db-1", "expiresInSeconds": LIFETIME}),
        )
        .unwrap();
        use_cases::create_approval_links(input, &settings, &self.store, "a-1".into(), NOW)
            .await
            .unwrap()
    }

    async fn wait(&self, token: &str, now: i64) -> Result<TaskStatus, HitlError> {
        let input = WaitInput {
            approval_id: Some("a-1".into()),
            task_token: Some(token.into()),
            execution_arn: None,
        };
        use_cases::wait_for_approval(input, &self.store, &self.resumer, now)
            .await
            .map(|o| o.status)
    }

    async fn post(&self, url: &str, now: i64) -> LinkView {
        let (_, query) = url.split_once('?').unwrap();
        let client = ClientInfo::default();
        use_cases::decide(
            "a-1",
            query,
            client,
            &self.signer,
            &self.store,
            &self.resumer,
            now,
        )
        .await
    }

    async fn record(&self) -> ApprovalRecord {
        self.store.get(&"a-1".into()).await.unwrap().unwrap()
    }

    fn resumed(&self) -> usize {
        self.resumer.resumed.lock().unwrap().len()
    }
}

#[tokio::test]
async fn a_click_after_expiry_changes_nothing_and_stores_nothing() {
    let w = world();
    let links = w.create().await;
    w.wait("token-1", NOW + 1).await.unwrap();
    let view = w
        .post(links.approve_url.as_deref().unwrap(), NOW + LIFETIME + 1)
        .await;
    let page = render(&view);
    assert_eq!(page.status, 410);
    assert!(
        page.html.contains(
            "Too late: the workflow stopped waiting at 2027-01-15T09:00:00Z; nothing was changed"
        ),
        "{}",
        page.html
    );
    let record = w.record().await;
    assert!(record.decision.is_none(), "never effective");
    // The link's own expiry has passed: answered without a write (nothing kept, nothing paid).
    assert!(
        record.late_decisions.is_empty(),
        "an expired link's POST stores nothing"
    );
    assert_eq!(w.resumed(), 0);
    // A scanner's GET after expiry says the same and records nothing.
    let (_, query) = links
        .reject_url
        .as_deref()
        .unwrap()
        .split_once('?')
        .unwrap();
    let get = use_cases::view_link("a-1", query, &w.signer, &w.store, NOW + LIFETIME + 2).await;
    assert!(
        matches!(get, LinkView::TooLate { kept: false, .. }),
        "{get:?}"
    );
    assert!(w.record().await.late_decisions.is_empty());
}

#[tokio::test]
async fn a_decision_the_task_stopped_waiting_for_is_late_never_shown_as_effective() {
    let w = world();
    let links = w.create().await;
    w.wait("token-1", NOW + 1).await.unwrap();
    // The execution was stopped: Step Functions no longer accepts the token.
    w.resumer
        .failed
        .lock()
        .unwrap()
        .push(("token-1".into(), "States.Aborted".into()));
    let view = w
        .post(links.approve_url.as_deref().unwrap(), NOW + 10)
        .await;
    let page = render(&view);
    assert_eq!(page.status, 410, "{view:?}");
    assert!(page
        .html
        .contains("Too late: the workflow had already stopped waiting"));
    let record = w.record().await;
    assert_eq!(record.delivery.late_at, Some(NOW + 10));
    assert_eq!(record.delivery.delivered_at, None);
    // Everyone who opens a link later reads it as late too.
    let (_, query) = links
        .reject_url
        .as_deref()
        .unwrap()
        .split_once('?')
        .unwrap();
    let later = use_cases::view_link("a-1", query, &w.signer, &w.store, NOW + 20).await;
    assert!(render(&later).html.contains("id=\"late\""));
}

#[tokio::test]
async fn a_dead_deliverers_claim_is_taken_over_once_its_lease_runs_out() {
    let w = world();
    w.create().await;
    w.wait("token-1", NOW + 1).await.unwrap();
    // The clicker's process dies right after its decision write and its claim.
    let recorded = RecordedDecision {
        decision: Decision::Approve,
        decided_by: DecidedBy {
            id: "link".into(),
            name: "Dana".into(),
            channel: Channel::Email,
        },
        decided_at: NOW + 2,
        comment: None,
        source_ip: None,
        user_agent: None,
        slack_user: None,
        teams_user: None,
        action: None,
        submission_id: None,
        follow_up: None,
    };
    assert!(matches!(
        w.store
            .record_decision(&"a-1".into(), &recorded, NOW + 2)
            .await
            .unwrap(),
        DecisionWrite::Recorded(_)
    ));
    w.store
        .claim_delivery(
            &"a-1".into(),
            &TaskToken::from("token-1"),
            NOW + 2,
            NOW + 2 + LEASE_SECONDS,
        )
        .await
        .unwrap()
        .unwrap();
    let early = relay(&w.store, &w.resumer, None, NOW + 3, 10)
        .await
        .unwrap();
    assert!(early.delivered.is_empty(), "not due while the lease lives");
    let report = relay(&w.store, &w.resumer, None, NOW + 2 + LEASE_SECONDS, 10)
        .await
        .unwrap();
    assert_eq!(report.delivered, vec!["a-1"]);
    assert_eq!(w.resumed(), 1);
}

#[tokio::test]
async fn a_new_token_makes_an_undelivered_decision_deliverable_at_once() {
    let w = world();
    let links = w.create().await;
    w.wait("token-1", NOW + 1).await.unwrap();
    *w.resumer.fail_with.lock().unwrap() = Some(HitlError::transient("Step Functions", "5xx"));
    w.post(links.approve_url.as_deref().unwrap(), NOW + 2).await;
    // The old token's deliverer is stuck inside its lease; the wait is retried with a new token.
    w.store
        .claim_delivery(
            &"a-1".into(),
            &TaskToken::from("token-1"),
            NOW + 3,
            NOW + 3 + LEASE_SECONDS,
        )
        .await
        .unwrap()
        .unwrap();
    *w.resumer.fail_with.lock().unwrap() = None;
    assert_eq!(
        w.wait("token-2", NOW + 4).await.unwrap(),
        TaskStatus::Resumed
    );
    let resumed = w.resumer.resumed.lock().unwrap().clone();
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0].0, "token-2");
}

#[tokio::test]
async fn a_task_still_waiting_when_its_request_expires_fails_with_hitl_expired() {
    let w = world();
    w.create().await;
    w.wait("token-1", NOW + 1).await.unwrap();
    let before = relay(&w.store, &w.resumer, None, NOW + LIFETIME - 1, 10)
        .await
        .unwrap();
    assert!(before.is_idle());
    let report = relay(&w.store, &w.resumer, None, NOW + LIFETIME, 10)
        .await
        .unwrap();
    assert_eq!(report.expired, vec!["a-1"]);
    assert_eq!(
        w.resumer.failed.lock().unwrap().clone(),
        vec![("token-1".to_string(), EXPIRED_ERROR.to_string())]
    );
    let again = relay(&w.store, &w.resumer, None, NOW + LIFETIME + 60, 10)
        .await
        .unwrap();
    assert!(again.is_idle(), "told once: {again:?}");
}

/// A store whose lease releases always fail (DynamoDB down at the worst moment).
struct ReleaseFails(FakeStore);

#[async_trait]
impl ApprovalStore for ReleaseFails {
    async fn create(&self, r: &ApprovalRecord) -> Result<(), HitlError> {
        self.0.create(r).await
    }
    async fn get(&self, id: &ApprovalId) -> Result<Option<ApprovalRecord>, HitlError> {
        self.0.get(id).await
    }
    async fn attach_task_token(
        &self,
        id: &ApprovalId,
        token: &approvals::TaskToken,
        now: i64,
    ) -> Result<Option<ApprovalRecord>, HitlError> {
        self.0.attach_task_token(id, token, now).await
    }
    async fn record_decision(
        &self,
        id: &ApprovalId,
        d: &RecordedDecision,
        now: i64,
    ) -> Result<DecisionWrite, HitlError> {
        self.0.record_decision(id, d, now).await
    }
}

#[async_trait]
impl DeliveryStore for ReleaseFails {
    async fn claim_delivery(
        &self,
        id: &ApprovalId,
        token: &TaskToken,
        now: i64,
        until: i64,
    ) -> Result<Option<DeliveryClaim>, HitlError> {
        self.0.claim_delivery(id, token, now, until).await
    }
    async fn finish_delivery(
        &self,
        id: &ApprovalId,
        token: &TaskToken,
        outcome: FinalDelivery,
        now: i64,
    ) -> Result<(), HitlError> {
        self.0.finish_delivery(id, token, outcome, now).await
    }
    async fn release_lease(&self, _: &ApprovalId, _: &TaskToken, _: i64) -> Result<(), HitlError> {
        Err(HitlError::transient("DynamoDB", "throttled"))
    }
    async fn give_up_delivery(
        &self,
        id: &ApprovalId,
        t: &TaskToken,
        why: &str,
        now: i64,
    ) -> Result<bool, HitlError> {
        self.0.give_up_delivery(id, t, why, now).await
    }
    async fn claim_expiry(
        &self,
        id: &ApprovalId,
        t: &TaskToken,
        now: i64,
        u: i64,
    ) -> Result<bool, HitlError> {
        self.0.claim_expiry(id, t, now, u).await
    }
    async fn finish_expiry(
        &self,
        id: &ApprovalId,
        t: &TaskToken,
        now: i64,
    ) -> Result<(), HitlError> {
        self.0.finish_expiry(id, t, now).await
    }
    async fn message_update_failed(&self, id: &ApprovalId, at: i64) -> Result<(), HitlError> {
        self.0.message_update_failed(id, at).await
    }
    async fn give_up_message_update(
        &self,
        id: &ApprovalId,
        why: &str,
        now: i64,
    ) -> Result<bool, HitlError> {
        self.0.give_up_message_update(id, why, now).await
    }
    async fn message_updated(&self, id: &ApprovalId, now: i64) -> Result<(), HitlError> {
        self.0.message_updated(id, now).await
    }
    async fn settle(&self, id: &ApprovalId) -> Result<bool, HitlError> {
        self.0.settle(id).await
    }
    async fn reschedule(&self, id: &ApprovalId, at: i64) -> Result<(), HitlError> {
        self.0.reschedule(id, at).await
    }
    async fn due_for_relay(&self, now: i64, limit: usize) -> Result<Vec<ApprovalId>, HitlError> {
        self.0.due_for_relay(now, limit).await
    }
}

#[tokio::test]
async fn a_failed_release_cannot_wedge_a_record() {
    let w = World::with(ReleaseFails(FakeStore::default()));
    let links = w.create().await;
    w.wait("token-1", NOW + 1).await.unwrap();
    *w.resumer.fail_with.lock().unwrap() = Some(HitlError::transient("Step Functions", "5xx"));
    let view = w.post(links.approve_url.as_deref().unwrap(), NOW + 2).await;
    assert!(matches!(view, LinkView::Recorded { .. }), "{view:?}");
    *w.resumer.fail_with.lock().unwrap() = None;
    let stuck = relay(&w.store, &w.resumer, None, NOW + 3, 10)
        .await
        .unwrap();
    assert!(
        stuck.delivered.is_empty(),
        "the unreleased lease still holds"
    );
    let report = relay(&w.store, &w.resumer, None, NOW + 2 + LEASE_SECONDS, 10)
        .await
        .unwrap();
    assert_eq!(
        report.delivered,
        vec!["a-1"],
        "the lease ran out: delivered"
    );
    assert_eq!(w.resumed(), 1);
}

#[tokio::test]
async fn a_decision_delivered_by_its_click_leaves_the_relay_index_at_once() {
    let w = world();
    let links = w.create().await;
    w.wait("token-1", NOW + 1).await.unwrap();
    assert_eq!(w.record().await.delivery.relay_at, Some(NOW + LIFETIME));
    w.post(links.approve_url.as_deref().unwrap(), NOW + 2).await;
    let record = w.record().await;
    assert_eq!(record.delivery.delivered_at, Some(NOW + 2));
    assert_eq!(record.delivery.relay_at, None, "nothing left for the relay");
    let due = w.store.due_for_relay(NOW + LIFETIME * 2, 10).await.unwrap();
    assert!(due.is_empty(), "{due:?}");
}

#[tokio::test]
async fn a_delivery_whose_answer_was_lost_is_not_misread_as_late() {
    let w = world();
    let links = w.create().await;
    w.wait("token-1", NOW + 1).await.unwrap();
    // SendTaskSuccess reaches the Task, but its answer times out on the way back.
    *w.resumer.lose_next_answer.lock().unwrap() = true;
    let view = w.post(links.approve_url.as_deref().unwrap(), NOW + 2).await;
    assert!(matches!(view, LinkView::Recorded { .. }), "{view:?}");
    assert_eq!(w.resumed(), 1, "the Task has it");
    // The relay's next attempt hears "no longer waiting": a takeover, so delivered.
    let report = relay(&w.store, &w.resumer, None, NOW + 2 + LEASE_SECONDS, 10)
        .await
        .unwrap();
    assert_eq!(report.delivered, vec!["a-1"], "{report:?}");
    let record = w.record().await;
    assert!(record.delivery.late_at.is_none(), "never shown as late");
    assert!(record.delivery.delivered_at.is_some());
}
