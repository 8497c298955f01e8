//! A click is told the truth about its decision: each confirmation page carries a submission
//! id stored with the decision, so a write whose answer was lost, or the same form submitted
//! again, is answered "recorded" when it was; only a click known not to be recorded is told to
//! try again. And a name typed on a shared link is refused when it holds control characters.

use approvals::ports::{ApprovalStore, DecisionWrite};
use approvals::testing::{FakeResumer, InstrumentedStore, WriteFault};
use approvals::use_cases::{decide, view_link, ClientInfo, Delivery, FormField, LinkView};
use approvals::{ApprovalRecord, Channel, Decision, LinkSigner};

const NOW: i64 = 1_800_000_000;
const KEYS: &str = "k1:0123456789abcdef0123456789abcdef";

struct World {
    signer: LinkSigner,
    store: InstrumentedStore,
    resumer: FakeResumer,
    link: String,
}

/// An open shared-link request whose workflow waits (token `tok`).
async fn world() -> World {
    let signer = LinkSigner::from_config(KEYS).unwrap();
    let store = InstrumentedStore::default();
    let record = ApprovalRecord::new("a-1", "t".into(), Channel::Email, NOW, NOW + 60, 1);
    store.create(&record).await.unwrap();
    store
        .attach_task_token(&"a-1".into(), &"tok".into(), NOW)
        .await
        .unwrap();
    let url = signer.link_url("h", "a-1", Decision::Approve, NOW + 60, None);
    let link = url.split_once('?').unwrap().1.to_string();
    World {
        signer,
        store,
        resumer: FakeResumer::default(),
        link,
    }
}

impl World {
    /// The form of a freshly opened confirmation page, as its button posts it.
    async fn page_form(&self, typed: &str) -> String {
        let view = view_link("a-1", &self.link, &self.signer, &self.store, NOW).await;
        let LinkView::Confirm { submission, .. } = view else {
            panic!("a confirmation page: {view:?}")
        };
        format!("{}&submission={submission}&{typed}", self.link)
    }

    async fn post(&self, form: &str) -> LinkView {
        let client = ClientInfo::default();
        let (signer, store, resumer) = (&self.signer, &self.store, &self.resumer);
        decide("a-1", form, client, signer, store, resumer, NOW + 1).await
    }

    fn fail_writes(&self, fault: WriteFault) {
        *self.store.write_fault.lock().unwrap() = fault;
    }

    fn resumed(&self) -> usize {
        self.resumer.resumed.lock().unwrap().len()
    }
}

#[tokio::test]
async fn every_confirmation_page_has_a_submission_id_of_its_own() {
    let w = world().await;
    let (a, b) = (w.page_form("").await, w.page_form("").await);
    assert_ne!(a, b, "two pages, two submissions");
}

#[tokio::test]
async fn a_recorded_decision_whose_answer_was_lost_is_answered_as_recorded() {
    let w = world().await;
    let form = w.page_form("name=Dana").await;
    w.fail_writes(WriteFault::LostAnswer);
    let view = w.post(&form).await;
    assert!(
        matches!(
            &view,
            LinkView::Recorded {
                delivery: Delivery::Delivered,
                ..
            }
        ),
        "never 'try again' for a recorded click: {view:?}"
    );
    assert_eq!(w.resumed(), 1, "and the workflow is told now");
}

#[tokio::test]
async fn the_same_form_submitted_again_is_answered_as_that_same_decision() {
    let w = world().await;
    let form = w.page_form("name=Dana").await;
    let first = w.post(&form).await;
    assert!(matches!(first, LinkView::Recorded { .. }), "{first:?}");
    let again = w.post(&form).await;
    let LinkView::Recorded { record, .. } = &again else {
        panic!("the same form again is told its decision was recorded: {again:?}")
    };
    assert_eq!(record.decision.as_ref().unwrap().decided_by.name, "Dana");
    assert_eq!(w.resumed(), 1, "told once");
    // Another page (another person holding the shared link) is told who decided first.
    let other = w
        .post(&format!("{}&submission=0ther&name=Eve", w.link))
        .await;
    assert!(
        matches!(other, LinkView::AlreadyDecided { .. }),
        "{other:?}"
    );
    // A form without a submission id (an old page) is never taken for somebody else's.
    let bare = w.post(&format!("{}&name=Dana", w.link)).await;
    assert!(matches!(bare, LinkView::AlreadyDecided { .. }), "{bare:?}");
}

#[tokio::test]
async fn a_decision_that_lost_its_race_while_the_write_failed_is_already_decided() {
    let w = world().await;
    let mine = w.page_form("name=Dana").await;
    let theirs = w.page_form("name=Eve").await;
    assert!(matches!(w.post(&theirs).await, LinkView::Recorded { .. }));
    // Dana's page was opened before; her write fails: the read back shows Eve's decision.
    w.fail_writes(WriteFault::NotWritten);
    let view = w.post(&mine).await;
    assert!(matches!(view, LinkView::AlreadyDecided { .. }), "{view:?}");
}

#[tokio::test]
async fn only_a_click_known_not_recorded_is_told_to_try_again() {
    let w = world().await;
    let form = w.page_form("name=Dana").await;
    w.fail_writes(WriteFault::NotWritten);
    let view = w.post(&form).await;
    assert!(matches!(view, LinkView::Unavailable { .. }), "{view:?}");
    assert!(w
        .store
        .get(&"a-1".into())
        .await
        .unwrap()
        .unwrap()
        .decision
        .is_none());

    // The store cannot say whether it landed: not "try again", but "not confirmed".
    w.fail_writes(WriteFault::Unreachable);
    let view = w.post(&form).await;
    assert!(matches!(view, LinkView::Unconfirmed { .. }), "{view:?}");
    assert_eq!(view.status(), 503);
}

#[tokio::test]
async fn a_click_whose_write_lands_later_is_never_told_not_taken_and_its_form_again_is_that_decision(
) {
    let w = world().await;
    let form = w.page_form("name=Dana&comment=ok").await;
    // The write times out; the read right after it does not see it; it lands later.
    w.fail_writes(WriteFault::LandsLater);
    let view = w.post(&form).await;
    let LinkView::Unconfirmed { resubmit, .. } = &view else {
        panic!("never 'not taken' for a write that may still land: {view:?}")
    };
    let resubmit = resubmit.clone().expect("the same form, to submit again");
    assert_eq!(resubmit.approval_id, "a-1");
    let landed = w.store.land_late_write().await.unwrap();
    assert!(matches!(landed, DecisionWrite::Recorded(_)), "{landed:?}");
    // The person submits the form the page gave back: the same decision, not "already decided".
    w.fail_writes(WriteFault::None);
    let again: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&resubmit.fields)
        .finish();
    let view = w.post(&again).await;
    let LinkView::Recorded { record, delivery } = &view else {
        panic!("the same form again is that same decision: {view:?}")
    };
    let decided = record.decision.as_ref().unwrap();
    assert_eq!(decided.decided_by.name, "Dana");
    assert_eq!(decided.comment.as_deref(), Some("ok"));
    assert_eq!(
        *delivery,
        Delivery::Delivered,
        "and the workflow is told now"
    );
    assert_eq!(w.resumed(), 1);
    // Going back and submitting the page as it was is the same decision too.
    let view = w.post(&form).await;
    assert!(matches!(view, LinkView::Recorded { .. }), "{view:?}");
}

#[tokio::test]
async fn a_typed_name_with_control_characters_is_refused_and_nothing_recorded() {
    let w = world().await;
    for name in [
        "Dana%0AApproved+by+the+CEO",
        "Dana%1B%5B31m",
        "%E2%80%AEanaD",
    ] {
        let view = w.post(&w.page_form(&format!("name={name}")).await).await;
        let LinkView::AnswerRefused { field, reason, .. } = &view else {
            panic!("{name}: refused: {view:?}")
        };
        assert_eq!(*field, FormField::Name);
        assert!(reason.contains("control characters"), "{reason}");
    }
    let record = w.store.get(&"a-1".into()).await.unwrap().unwrap();
    assert!(record.decision.is_none());
    // Markup is not refused (names may hold `*` or `_`): it is shown inertly wherever shown.
    let view = w.post(&w.page_form("name=*Dana*+%3C!here%3E").await).await;
    assert!(matches!(view, LinkView::Recorded { .. }), "{view:?}");
}
