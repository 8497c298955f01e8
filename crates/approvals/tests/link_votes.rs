//! The email link pages of a request with a quorum: each named approver's personal link shows
//! the progress and their own vote once cast; a vote is counted, or settles the request; a
//! second vote, on any channel, is told so and changes nothing, while the same form submitted
//! again (a lost answer) is that same vote; the requester, an escalation target before the
//! escalation, and an approver whose slot an escalation target filled have no vote.

use approvals::ports::{ApprovalStore, DecisionWrite};
use approvals::quorum::{Quorum, Reminders, Vote};
use approvals::testing::{FakeResumer, InstrumentedStore, WriteFault};
use approvals::use_cases::{decide, view_link, ClientInfo, Delivery, LinkView, NoSlotReason};
use approvals::{
    ApprovalId, ApprovalRecord, Channel, DecidedBy, Decision, LinkSigner, RecordedDecision,
    TeamsUser,
};

const NOW: i64 = 1_800_000_000;
const KEYS: &str = "k1:0123456789abcdef0123456789abcdef";
/// Link indexes: the approvers in order, then the escalation target.
const ALICE: usize = 0;
const BOB: usize = 1;
const CAROL: usize = 2;
const DAVE: usize = 3;
const LEAD: usize = 4;

struct World {
    signer: LinkSigner,
    store: InstrumentedStore,
    resumer: FakeResumer,
}

/// Alice, Bob, Carol and Dave named; Dave asked (so three slots); two approvals approve, one
/// reject rejects; lead@corp.com is the escalation target. A workflow waits (token `tok`).
async fn world() -> World {
    let mut record = ApprovalRecord::new(
        "a-1",
        "Drop the db".into(),
        Channel::Email,
        NOW,
        NOW + 600,
        1,
    );
    record.approvers = ["alice", "bob", "carol", "dave"]
        .map(|n| format!("{n}@corp.com"))
        .to_vec();
    record.quorum = Some(Quorum {
        approvals: 2,
        rejections: 1,
    });
    record.requested_by = Some("dave@corp.com".into());
    record.reminders = Some(Reminders {
        every_seconds: 86_400,
        escalate_after: Some(3),
        escalate_to: vec!["lead@corp.com".into()],
    });
    let store = InstrumentedStore::default();
    store.create(&record).await.unwrap();
    store
        .attach_task_token(&"a-1".into(), &"tok".into(), NOW)
        .await
        .unwrap();
    World {
        signer: LinkSigner::from_config(KEYS).unwrap(),
        store,
        resumer: FakeResumer::default(),
    }
}

impl World {
    fn link(&self, index: usize, decision: Decision) -> String {
        let url = self
            .signer
            .link_url("h", "a-1", decision, NOW + 600, Some(index));
        url.split_once('?').unwrap().1.to_string()
    }

    async fn get(&self, index: usize, decision: Decision) -> LinkView {
        let link = self.link(index, decision);
        view_link("a-1", &link, &self.signer, &self.store, NOW + 1).await
    }

    /// The form of a freshly opened confirmation page, as its button posts it.
    async fn page_form(&self, index: usize, decision: Decision, typed: &str) -> String {
        let link = self.link(index, decision);
        let view = view_link("a-1", &link, &self.signer, &self.store, NOW + 1).await;
        let LinkView::Confirm { submission, .. } = view else {
            panic!("a confirmation page: {view:?}")
        };
        format!("{link}&submission={submission}&{typed}")
    }

    async fn post(&self, form: &str) -> LinkView {
        let client = ClientInfo::default();
        let (signer, store, resumer) = (&self.signer, &self.store, &self.resumer);
        decide("a-1", form, client, signer, store, resumer, NOW + 2).await
    }

    async fn vote(&self, index: usize, decision: Decision) -> LinkView {
        self.post(&self.page_form(index, decision, "").await).await
    }

    async fn record(&self) -> ApprovalRecord {
        self.store.get(&"a-1".into()).await.unwrap().unwrap()
    }

    fn edit(&self, f: impl FnOnce(&mut ApprovalRecord)) {
        let mut records = self.store.inner.records.lock().unwrap();
        f(records.get_mut(&ApprovalId::from("a-1")).unwrap());
    }

    /// Decision writes since the last call.
    fn writes(&self) -> usize {
        self.store.take_counts().1
    }

    fn resumed(&self) -> usize {
        self.resumer.resumed.lock().unwrap().len()
    }
}

#[tokio::test]
async fn an_approver_gets_the_form_and_the_requester_is_told_they_cannot_vote() {
    let w = world().await;
    let view = w.get(ALICE, Decision::Approve).await;
    let LinkView::Confirm { approver, .. } = &view else {
        panic!("the form: {view:?}")
    };
    assert_eq!(approver.as_deref(), Some("alice@corp.com"));

    for decision in [Decision::Approve, Decision::Reject] {
        let view = w.get(DAVE, decision).await;
        assert!(
            matches!(
                &view,
                LinkView::NoSlot {
                    reason: NoSlotReason::Requester,
                    ..
                }
            ),
            "no form for the requester: {view:?}"
        );
    }
    // A form posted all the same (an old page) is refused without a write.
    w.writes();
    let form = format!("{}&submission=0ld", w.link(DAVE, Decision::Approve));
    let view = w.post(&form).await;
    assert!(
        matches!(
            &view,
            LinkView::NoSlot {
                reason: NoSlotReason::Requester,
                ..
            }
        ),
        "{view:?}"
    );
    assert_eq!(w.writes(), 0);
    assert!(w.record().await.votes.is_empty());
}

#[tokio::test]
async fn a_counted_vote_is_told_so_and_the_same_form_again_is_that_same_vote() {
    let w = world().await;
    let form = w.page_form(ALICE, Decision::Approve, "comment=fine").await;
    let view = w.post(&form).await;
    let LinkView::Counted { record, vote } = &view else {
        panic!("counted: {view:?}")
    };
    assert_eq!(vote.slot, "alice@corp.com");
    assert_eq!(vote.decision.comment.as_deref(), Some("fine"));
    assert!(record.decision.is_none(), "one of two: still open");
    assert_eq!(w.resumed(), 0, "the workflow waits for the outcome");

    // The same form again (its answer was lost, or a double click): the same vote, counted.
    let again = w.post(&form).await;
    assert!(
        matches!(&again, LinkView::Counted { vote: v, .. } if v == vote),
        "{again:?}"
    );
    assert_eq!(w.record().await.votes.len(), 1, "counted once");

    // Another page of Alice's (her reject link): she voted already; nothing changes.
    let reject = format!("{}&submission=an0ther", w.link(ALICE, Decision::Reject));
    let view = w.post(&reject).await;
    let LinkView::AlreadyVoted { vote: first, .. } = &view else {
        panic!("voted already: {view:?}")
    };
    assert_eq!(first.decision.decision, Decision::Approve);
    assert_eq!(w.record().await.votes.len(), 1);
    assert!(
        w.record().await.decision.is_none(),
        "her reject vetoed nothing"
    );
    // And her link, opened again, shows her vote instead of the form.
    let view = w.get(ALICE, Decision::Reject).await;
    assert!(matches!(view, LinkView::AlreadyVoted { .. }), "{view:?}");
}

#[tokio::test]
async fn the_vote_that_settles_is_recorded_with_every_vote_and_the_workflow_told_once() {
    let w = world().await;
    assert!(matches!(
        w.vote(ALICE, Decision::Approve).await,
        LinkView::Counted { .. }
    ));
    let form = w.page_form(CAROL, Decision::Approve, "").await;
    let view = w.post(&form).await;
    let LinkView::Recorded { record, delivery } = &view else {
        panic!("settled: {view:?}")
    };
    assert_eq!(*delivery, Delivery::Delivered);
    let decision = record.decision.as_ref().unwrap();
    assert_eq!(
        decision.decided_by.id, "carol@corp.com",
        "the settling vote"
    );
    let slots: Vec<&str> = record.votes.iter().map(|v| v.slot.as_str()).collect();
    assert_eq!(slots, ["alice@corp.com", "carol@corp.com"]);
    assert_eq!(w.resumed(), 1);
    // The same form again: that same decision, told once.
    assert!(matches!(w.post(&form).await, LinkView::Recorded { .. }));
    assert_eq!(w.resumed(), 1);
    // Bob comes late: the request is settled, on GET and on POST.
    let view = w.get(BOB, Decision::Reject).await;
    assert!(matches!(view, LinkView::AlreadyDecided { .. }), "{view:?}");
    let late = format!("{}&submission=l8", w.link(BOB, Decision::Reject));
    assert!(matches!(
        w.post(&late).await,
        LinkView::AlreadyDecided { .. }
    ));
    assert_eq!(w.record().await.votes.len(), 2);
}

#[tokio::test]
async fn a_counted_vote_whose_answer_was_lost_is_answered_as_counted() {
    let w = world().await;
    let form = w.page_form(BOB, Decision::Approve, "").await;
    *w.store.write_fault.lock().unwrap() = WriteFault::LostAnswer;
    let view = w.post(&form).await;
    assert!(
        matches!(&view, LinkView::Counted { vote, .. } if vote.slot == "bob@corp.com"),
        "never 'try again' for a counted vote: {view:?}"
    );
}

#[tokio::test]
async fn a_vote_whose_write_lands_later_is_never_told_not_taken_and_its_form_again_is_that_vote() {
    let w = world().await;
    let form = w.page_form(BOB, Decision::Approve, "").await;
    *w.store.write_fault.lock().unwrap() = WriteFault::LandsLater;
    let view = w.post(&form).await;
    assert!(
        matches!(
            view,
            LinkView::Unconfirmed {
                resubmit: Some(_),
                ..
            }
        ),
        "{view:?}"
    );
    let landed = w.store.land_late_write().await.unwrap();
    assert!(matches!(landed, DecisionWrite::Counted(_)), "{landed:?}");
    *w.store.write_fault.lock().unwrap() = WriteFault::None;
    let view = w.post(&form).await;
    assert!(
        matches!(view, LinkView::Counted { .. }),
        "the same vote, counted: {view:?}"
    );
    assert_eq!(w.record().await.votes.len(), 1);
}

/// A vote Bob cast in Teams (his UPN is his address).
fn teams_vote() -> Vote {
    Vote {
        slot: "bob@corp.com".into(),
        decision: RecordedDecision {
            decision: Decision::Reject,
            decided_by: DecidedBy {
                id: "6f2c0d1e-0000-4000-8000-000000000001".into(),
                name: "Bob B".into(),
                channel: Channel::Teams,
            },
            decided_at: NOW + 1,
            comment: None,
            source_ip: None,
            user_agent: None,
            slack_user: None,
            teams_user: Some(TeamsUser {
                object_id: "6f2c0d1e-0000-4000-8000-000000000001".into(),
                name: "Bob B".into(),
                user_principal_name: Some("bob@corp.com".into()),
                tenant_id: "t".into(),
            }),
            action: None,
            follow_up: None,
            submission_id: None,
        },
    }
}

#[tokio::test]
async fn a_vote_cast_on_another_channel_is_shown_on_the_email_link() {
    let w = world().await;
    w.edit(|r| r.votes.push(teams_vote()));
    let view = w.get(BOB, Decision::Approve).await;
    let LinkView::AlreadyVoted { vote, .. } = &view else {
        panic!("his vote, not the form: {view:?}")
    };
    assert_eq!(vote.decision.decided_by.channel, Channel::Teams);
    assert_eq!(vote.decision.decision, Decision::Reject);
}

#[tokio::test]
async fn an_escalation_targets_link_counts_once_escalated_and_fills_the_first_open_slot() {
    let w = world().await;
    let view = w.get(LEAD, Decision::Approve).await;
    assert!(
        matches!(
            &view,
            LinkView::NoSlot {
                reason: NoSlotReason::NotEscalated,
                ..
            }
        ),
        "not before the escalation: {view:?}"
    );
    // Past the escalation targets: nobody's link.
    let view = w.get(LEAD + 1, Decision::Approve).await;
    assert!(matches!(view, LinkView::Invalid { .. }), "{view:?}");

    w.edit(|r| r.reminder_state.escalated_at = Some(NOW + 1));
    let view = w.get(LEAD, Decision::Approve).await;
    let LinkView::Confirm { approver, .. } = &view else {
        panic!("the form, once escalated: {view:?}")
    };
    assert_eq!(approver.as_deref(), Some("lead@corp.com"));
    let view = w.vote(LEAD, Decision::Approve).await;
    let LinkView::Counted { vote, .. } = &view else {
        panic!("counted: {view:?}")
    };
    assert_eq!(vote.slot, "alice@corp.com", "the first open slot");
    // Alice's link now says who filled her slot, where and when.
    let view = w.get(ALICE, Decision::Approve).await;
    let LinkView::NoSlot {
        reason: NoSlotReason::FilledBy(by),
        ..
    } = &view
    else {
        panic!("her slot is filled: {view:?}")
    };
    assert_eq!(by.decision.decided_by.id, "lead@corp.com");
}

/// A link vote on a request also posted to Slack: the relay, which holds Slack's token, is to
/// show the progress on that message, so the vote makes the record due for it at once (not at
/// the request's expiry); a request with no chat message is left where it was.
#[tokio::test]
async fn a_link_vote_on_a_request_posted_to_slack_makes_its_progress_due_for_the_relay() {
    use approvals::approval::{ChannelIdentities, Companion};
    use approvals::ports::{DeliveryStore, MessageStore};
    use approvals::MessageRef;
    let plain = world().await;
    assert!(matches!(
        plain.vote(ALICE, Decision::Approve).await,
        LinkView::Counted { .. }
    ));
    let due = plain.store.due_for_relay(NOW + 3, 10).await.unwrap();
    assert!(due.is_empty(), "no chat message: due at its expiry only");

    let w = world().await;
    let posted = Companion {
        channel: Channel::Slack,
        message: MessageRef {
            channel: "C0APPROVALS".into(),
            ts: "1.1".into(),
        },
        shown: Some("[]".into()),
    };
    let ids = ChannelIdentities::Slack {
        approvers: vec!["U0A".into(), "U0B".into(), "U0C".into(), "U0D".into()],
        requester: Some("U0D".into()),
    };
    w.store
        .inner
        .attach_companion(&"a-1".into(), &posted, &ids, NOW)
        .await
        .unwrap();
    assert!(matches!(
        w.vote(ALICE, Decision::Approve).await,
        LinkView::Counted { .. }
    ));
    let due = w.store.due_for_relay(NOW + 3, 10).await.unwrap();
    assert_eq!(
        due,
        [ApprovalId::from("a-1")],
        "the Slack message's progress"
    );
}
