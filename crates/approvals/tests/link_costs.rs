//! Bad requests cost little: a forged, tampered or expired link is answered before the store
//! is touched (no DynamoDB read), and a genuine one still reads and decides.

use approvals::ports::FinalDelivery;
use approvals::ports::{ApprovalStore, DecisionWrite, DeliveryClaim, DeliveryStore};
use approvals::testing::{FakeResumer, FakeStore};
use approvals::use_cases::{decide, view_link, ClientInfo, LinkView};
use approvals::{
    ApprovalId, ApprovalRecord, Channel, Decision, HitlError, LinkSigner, RecordedDecision,
    TaskToken,
};
use async_trait::async_trait;

const NOW: i64 = 1_800_000_000;
const KEYS: &str = "k1:0123456789abcdef0123456789abcdef";

/// A store that must never be reached: every call fails the test.
struct Untouchable;

fn touched<T>(what: &str) -> T {
    panic!("the store was touched ({what}) for a request that should cost nothing")
}

#[async_trait]
impl ApprovalStore for Untouchable {
    async fn create(&self, _: &ApprovalRecord) -> Result<(), HitlError> {
        touched("create")
    }
    async fn get(&self, _: &ApprovalId) -> Result<Option<ApprovalRecord>, HitlError> {
        touched("get")
    }
    async fn attach_task_token(
        &self,
        _: &ApprovalId,
        _: &approvals::TaskToken,
        _: i64,
    ) -> Result<Option<ApprovalRecord>, HitlError> {
        touched("attach_task_token")
    }
    async fn record_decision(
        &self,
        _: &ApprovalId,
        _: &RecordedDecision,
        _: i64,
    ) -> Result<DecisionWrite, HitlError> {
        touched("record_decision")
    }
}

#[async_trait]
impl DeliveryStore for Untouchable {
    async fn claim_delivery(
        &self,
        _: &ApprovalId,
        _: &TaskToken,
        _: i64,
        _: i64,
    ) -> Result<Option<DeliveryClaim>, HitlError> {
        touched("claim_delivery")
    }
    async fn finish_delivery(
        &self,
        _: &ApprovalId,
        _: &TaskToken,
        _: FinalDelivery,
        _: i64,
    ) -> Result<(), HitlError> {
        touched("finish_delivery")
    }
    async fn release_lease(&self, _: &ApprovalId, _: &TaskToken, _: i64) -> Result<(), HitlError> {
        touched("release_lease")
    }
    async fn give_up_delivery(
        &self,
        _: &ApprovalId,
        _: &TaskToken,
        _: &str,
        _: i64,
    ) -> Result<bool, HitlError> {
        touched("give_up_delivery")
    }
    async fn claim_expiry(
        &self,
        _: &ApprovalId,
        _: &TaskToken,
        _: i64,
        _: i64,
    ) -> Result<bool, HitlError> {
        touched("claim_expiry")
    }
    async fn finish_expiry(&self, _: &ApprovalId, _: &TaskToken, _: i64) -> Result<(), HitlError> {
        touched("finish_expiry")
    }
    async fn message_update_failed(&self, _: &ApprovalId, _: i64) -> Result<(), HitlError> {
        touched("message_update_failed")
    }
    async fn give_up_message_update(
        &self,
        _: &ApprovalId,
        _: &str,
        _: i64,
    ) -> Result<bool, HitlError> {
        touched("give_up_message_update")
    }
    async fn message_updated(&self, _: &ApprovalId, _: i64) -> Result<(), HitlError> {
        touched("message_updated")
    }
    async fn settle(&self, _: &ApprovalId) -> Result<bool, HitlError> {
        touched("settle")
    }
    async fn reschedule(&self, _: &ApprovalId, _: i64) -> Result<(), HitlError> {
        touched("reschedule")
    }
    async fn due_for_relay(&self, _: i64, _: usize) -> Result<Vec<ApprovalId>, HitlError> {
        touched("due_for_relay")
    }
}

fn query_of(url: &str) -> String {
    url.split_once('?').unwrap().1.to_string()
}

async fn post(store_is_untouchable: bool, query: &str, store: &FakeStore) -> LinkView {
    let signer = LinkSigner::from_config(KEYS).unwrap();
    let resumer = FakeResumer::default();
    let client = ClientInfo::default();
    if store_is_untouchable {
        decide(
            "appr-1",
            query,
            client,
            &signer,
            &Untouchable,
            &resumer,
            NOW,
        )
        .await
    } else {
        decide("appr-1", query, client, &signer, store, &resumer, NOW).await
    }
}

#[tokio::test]
async fn forged_tampered_and_expired_links_are_answered_without_a_read() {
    let signer = LinkSigner::from_config(KEYS).unwrap();
    let other = LinkSigner::from_config("k1:ffffffffffffffffffffffffffffffff").unwrap();
    let good = query_of(&signer.link_url("h", "appr-1", Decision::Reject, NOW + 60, None));
    let forged = [
        query_of(&other.link_url("h", "appr-1", Decision::Approve, NOW + 60, None)),
        good.replace("d=reject", "d=approve"),
        good.replace(&format!("exp={}", NOW + 60), &format!("exp={}", NOW + 6000)),
        format!("{good}&a=0"),
        good.replace("kid=k1", "kid=k9"),
        good.split("&sig=").next().unwrap().to_string(),
        String::new(),
    ];
    for query in &forged {
        let view = view_link("appr-1", query, &signer, &Untouchable, NOW).await;
        assert!(
            matches!(view, LinkView::Invalid { .. }),
            "{query}: {view:?}"
        );
        let view = post(true, query, &FakeStore::default()).await;
        assert!(
            matches!(view, LinkView::Invalid { .. }),
            "{query}: {view:?}"
        );
    }
    // A genuine link for another id is forged for this one.
    let elsewhere = query_of(&signer.link_url("h", "appr-2", Decision::Approve, NOW + 60, None));
    let view = view_link("appr-1", &elsewhere, &signer, &Untouchable, NOW).await;
    assert!(matches!(view, LinkView::Invalid { .. }), "{view:?}");

    // An expired (genuine) link decides nothing: its GET reads nothing either.
    let expired = query_of(&signer.link_url("h", "appr-1", Decision::Approve, NOW - 1, None));
    let view = view_link("appr-1", &expired, &signer, &Untouchable, NOW).await;
    assert!(
        matches!(view, LinkView::TooLate { kept: false, stopped_at: Some(at), .. } if at == NOW - 1),
        "{view:?}"
    );
}

#[tokio::test]
async fn a_genuine_link_still_reads_and_decides() {
    let signer = LinkSigner::from_config(KEYS).unwrap();
    let store = FakeStore::default();
    let record = ApprovalRecord::new("appr-1", "t".into(), Channel::Email, NOW, NOW + 60, 1);
    store.create(&record).await.unwrap();
    let good = query_of(&signer.link_url("h", "appr-1", Decision::Approve, NOW + 60, None));
    let view = view_link("appr-1", &good, &signer, &store, NOW).await;
    assert!(matches!(view, LinkView::Confirm { .. }), "{view:?}");
    let view = post(false, &good, &store).await;
    assert!(matches!(view, LinkView::Recorded { .. }), "{view:?}");
}

/// A shared-link request open until `NOW + 60`, asking why after either choice.
async fn open_request<S: ApprovalStore + ?Sized>(store: &S) {
    let mut record =
        ApprovalRecord::new("appr-1", "t".into(), Channel::Email, NOW - 10, NOW + 60, 1);
    record.follow_up = Some(approvals::FollowUp {
        question: "Why?".into(),
        kind: approvals::AnswerKind::Text,
        after: vec![],
        required: true,
    });
    store.create(&record).await.unwrap();
}

/// The longest form the page lets anyone send: a name, a comment and an answer at their
/// longest, in a script of 3-byte characters.
fn longest_form(link_query: &str) -> String {
    let cjk = |n: usize| "\u{6c7a}".repeat(n);
    form_urlencoded::Serializer::new(link_query.to_string())
        .append_pair("name", &cjk(100))
        .append_pair("comment", &cjk(approvals::use_cases::MAX_COMMENT_CHARS))
        .append_pair("answer", &cjk(approvals::follow_up::MAX_TEXT_ANSWER_CHARS))
        .append_pair("submission", "0123456789abcdef")
        .finish()
}

#[tokio::test]
async fn a_post_on_an_expired_link_costs_no_store_call_and_keeps_nothing() {
    let signer = LinkSigner::from_config(KEYS).unwrap();
    let expired = query_of(&signer.link_url("h", "appr-1", Decision::Approve, NOW - 1, None));
    let client = ClientInfo {
        source_ip: Some("10.0.0.1".into()),
        user_agent: Some("scanner".repeat(40)),
    };
    let resumer = FakeResumer::default();
    let form = longest_form(&expired);
    let view = decide(
        "appr-1",
        &form,
        client,
        &signer,
        &Untouchable,
        &resumer,
        NOW,
    )
    .await;
    assert!(
        matches!(view, LinkView::TooLate { kept: false, stopped_at: Some(at), .. } if at == NOW - 1),
        "{view:?}"
    );
}

#[tokio::test]
async fn a_late_decision_keeps_a_small_audit_and_a_record_stays_bounded() {
    let store = FakeStore::default();
    open_request(&store).await;
    let bulky = |i: i64| RecordedDecision {
        decision: Decision::Approve,
        decided_by: approvals::DecidedBy {
            id: "link".into(),
            name: format!("late {i}"),
            channel: Channel::Email,
        },
        decided_at: NOW + 61 + i,
        comment: Some("\u{6c7a}".repeat(1000)),
        source_ip: Some("10.0.0.1".into()),
        user_agent: Some("ua".repeat(150)),
        slack_user: None,
        teams_user: None,
        action: None,
        follow_up: Some(approvals::FollowUpAnswer {
            question: "Why?".into(),
            answer: Some(approvals::Answer::Text("\u{6c7a}".repeat(3000))),
        }),
        submission_id: Some(format!("s{i}")),
    };
    for i in 0..30 {
        let write = store
            .record_decision(&"appr-1".into(), &bulky(i), NOW + 61 + i)
            .await;
        assert!(matches!(write, Ok(DecisionWrite::TooLate(_))), "{write:?}");
    }
    let late = store
        .get(&"appr-1".into())
        .await
        .unwrap()
        .unwrap()
        .late_decisions;
    assert_eq!(late.len(), approvals::approval::MAX_LATE_DECISIONS);
    assert!(late.len() <= 5, "{}", late.len());
    for kept in &late {
        assert!(kept.decided_by.name.chars().count() <= 100);
        let typed = (&kept.comment, &kept.follow_up, &kept.user_agent);
        assert_eq!(typed, (&None, &None, &None), "who and when only: {kept:?}");
    }
    assert_eq!(
        late[0].decided_at,
        NOW + 61,
        "the first late clicks are kept"
    );
}

#[tokio::test]
async fn a_click_costs_one_read_and_one_write_and_the_same_form_again_no_write() {
    use approvals::testing::InstrumentedStore;
    let signer = LinkSigner::from_config(KEYS).unwrap();
    let store = InstrumentedStore::default();
    open_request(&store).await;
    store.take_counts();
    let good = query_of(&signer.link_url("h", "appr-1", Decision::Approve, NOW + 60, None));
    let view = view_link("appr-1", &good, &signer, &store, NOW).await;
    assert!(matches!(view, LinkView::Confirm { .. }), "{view:?}");
    assert_eq!(store.take_counts(), (1, 0), "a GET reads once");

    let resumer = FakeResumer::default();
    let form = longest_form(&good);
    let client = || ClientInfo::default();
    let view = decide("appr-1", &form, client(), &signer, &store, &resumer, NOW).await;
    assert!(matches!(view, LinkView::Recorded { .. }), "{view:?}");
    assert_eq!(
        store.take_counts(),
        (1, 1),
        "a POST reads once and writes once"
    );

    // The same form again (a double click, a reload): its own decision, read, not written.
    let view = decide("appr-1", &form, client(), &signer, &store, &resumer, NOW).await;
    assert!(matches!(view, LinkView::Recorded { .. }), "{view:?}");
    assert_eq!(store.take_counts(), (1, 0));
}
