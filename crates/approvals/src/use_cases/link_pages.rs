//! The link use cases: show a link (GET, never decides) and decide (the confirmation page's
//! POST). The signature and expiry are checked before any read, so a forged or expired link
//! costs no store call. Each confirmation page carries a random submission id, stored with
//! the decision, so a second submission of the same form (after a lost answer) is told that
//! its decision was recorded, not that somebody decided first. On a request with a quorum the
//! same holds for a vote (`votes`): counted, voted already, or no slot to fill.

use super::*;
use crate::approval_links::LinkParams;
use crate::ports::{Approvals, DecisionWrite};
use crate::{ApprovalId, SignedLink};

mod form;
mod view;
mod votes;
pub use form::{new_submission_id, FormField, MAX_FORM_BYTES, MAX_NAME_CHARS, SUBMISSION_FIELD};
pub use view::{Delivery, LinkView, NoSlotReason, Resubmit, TypedForm};

/// Who is making a request on a link, for the audit trail.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A link whose signature checks out, with its record and the approver it is bound to.
struct OpenedLink {
    link: SignedLink,
    record: ApprovalRecord,
    approver: Option<String>,
}

impl OpenedLink {
    /// Who votes through this link, for `quorum::cast`.
    fn voter(&self) -> &str {
        votes::voter(self.approver.as_deref())
    }
}

/// The signature check, before anything is read: a forged or tampered link costs no read.
fn verified_link(
    approval_id: &str,
    params: &LinkParams,
    signer: &LinkSigner,
) -> Result<SignedLink, Box<LinkView>> {
    signer.verify_signature(approval_id, params).map_err(|err| {
        Box::new(LinkView::Invalid {
            reason: err.to_string(),
        })
    })
}

/// Loads the record of a verified link and the approver the link is bound to; the shared
/// second half of GET and POST.
async fn open_link(link: SignedLink, store: &dyn ApprovalStore) -> Result<OpenedLink, LinkView> {
    let record = match store
        .get(&ApprovalId::from(link.approval_id.as_str()))
        .await
    {
        Ok(Some(record)) => record,
        // Only a genuine link gets here: "unknown" tells a forger nothing.
        Ok(None) => return Err(LinkView::NotFound),
        Err(err) => {
            return Err(LinkView::Unavailable {
                reason: err.to_string(),
            })
        }
    };
    let invalid = |reason: &str| LinkView::Invalid {
        reason: reason.into(),
    };
    // Signed by us for this request, yet offered by none of its buttons: refused all the same.
    if !crate::buttons::allows(&record.buttons, &link.decision) {
        return Err(invalid(&format!(
            "the link's choice {:?} is not one of this request's buttons",
            link.decision.as_str()
        )));
    }
    let approver = match (link.approver_index, record.approvers.is_empty()) {
        // An approver, or once the request escalated, an escalation target.
        (Some(i), _) => match record.link_approver(i) {
            Some(approver) => Some(approver.to_string()),
            None => {
                return Err(votes::before_escalation(&record, i)
                    .unwrap_or_else(|| invalid("the link names no approver of this request")))
            }
        },
        (None, true) => None,
        (None, false) => {
            return Err(invalid(
                "this approval is restricted to named approvers; use the link sent to you",
            ))
        }
    };
    Ok(OpenedLink {
        link,
        record,
        approver,
    })
}

/// GET on a link: shows what would be decided. Never decides (mail scanners pre-fetch links).
pub async fn view_link(
    approval_id: &str,
    query: &str,
    signer: &LinkSigner,
    store: &dyn ApprovalStore,
    now: i64,
) -> LinkView {
    let params = LinkParams::from_urlencoded(query);
    let link = match verified_link(approval_id, &params, signer) {
        Ok(link) => link,
        Err(view) => return *view,
    };
    if now >= link.expires_at {
        // Nothing to show but that it is too late: no read for a link that decides nothing.
        return LinkView::TooLate {
            title: None,
            stopped_at: Some(link.expires_at),
            kept: false,
        };
    }
    let opened = match open_link(link, store).await {
        Ok(opened) => opened,
        Err(view) => return view,
    };
    if opened.record.decision.is_some() {
        return LinkView::AlreadyDecided {
            record: opened.record,
        };
    }
    // A request with a quorum: their vote, or why they have none, instead of the form.
    if let Some(view) = votes::before_vote(&opened.record, opened.voter(), None) {
        return view;
    }
    LinkView::Confirm {
        record: opened.record,
        link: opened.link,
        params,
        approver: opened.approver,
        submission: new_submission_id(),
    }
}

/// The page for a link whose signed expiry has passed: it decides nothing, so it is answered
/// without a read or a write (the title would cost a read; the expiry is in the link).
fn expired(link: &SignedLink) -> LinkView {
    LinkView::TooLate {
        title: None,
        stopped_at: Some(link.expires_at),
        kept: false,
    }
}

/// Whether the record's decision came from the very form submitted now (the same page's
/// submission id): then this submission is answered as recorded, whatever happened to the
/// answer to an earlier one.
fn same_submission(record: &ApprovalRecord, submission: Option<&str>) -> bool {
    let recorded = record.decision.as_ref();
    submission.is_some() && recorded.and_then(|d| d.submission_id.as_deref()) == submission
}

/// A decided record, as the person submitting sees it: their decision when `theirs` (recorded,
/// and told to the workflow now if it was not yet), or somebody else's.
async fn decided(
    record: ApprovalRecord,
    theirs: bool,
    store: &dyn Approvals,
    resumer: &dyn WorkflowResumer,
    now: i64,
) -> LinkView {
    if !theirs {
        return LinkView::AlreadyDecided { record };
    }
    let delivery = match deliver_decision(&record, store, resumer, now).await {
        DeliveryOutcome::Delivered => Delivery::Delivered,
        DeliveryOutcome::NotYetWaiting => Delivery::NotWaiting,
        DeliveryOutcome::InProgress | DeliveryOutcome::Pending => Delivery::Pending,
        DeliveryOutcome::GaveUp => Delivery::Refused,
        DeliveryOutcome::Late => {
            return LinkView::TooLate {
                title: Some(record.title),
                stopped_at: None,
                kept: true,
            }
        }
    };
    LinkView::Recorded { record, delivery }
}

/// The decision write failed, perhaps after it landed, or to land later (a timeout: DynamoDB
/// may still apply a write whose caller gave up on it): one consistent read says whether this
/// submission was recorded. Only a click known not to be recorded (a refusal, not a timeout)
/// is told it was not taken; one that may still land is told we could not confirm it, with the
/// same form to submit again.
async fn after_failed_write(
    approval_id: &str,
    form_body: &str,
    voter: &str,
    failure: HitlError,
    store: &dyn Approvals,
    resumer: &dyn WorkflowResumer,
    now: i64,
) -> LinkView {
    let submission = form::submission_id(form_body);
    let unconfirmed = |reason: String| LinkView::Unconfirmed {
        reason,
        resubmit: form::resubmit(approval_id, form_body),
    };
    match store.get(&ApprovalId::from(approval_id)).await {
        Ok(Some(record)) if record.decision.is_some() => {
            let theirs = same_submission(&record, submission.as_deref());
            decided(record, theirs, store, resumer, now).await
        }
        // A request with a quorum: this form's vote is there (counted), or another of theirs.
        Ok(Some(record)) if votes::before_vote(&record, voter, submission.as_deref()).is_some() => {
            votes::not_taken(record, voter, submission.as_deref())
        }
        // Not there yet, but a timed-out write may still land: it is not known "not taken".
        Ok(Some(_)) if failure.is_transient() => unconfirmed(failure.to_string()),
        Ok(Some(_)) => LinkView::Unavailable {
            reason: failure.to_string(),
        },
        Ok(None) => LinkView::NotFound,
        Err(err) => unconfirmed(format!("{failure}; reading it back: {err}")),
    }
}

/// The confirmation page again, with why the form was refused and what was typed.
fn refused(opened: OpenedLink, form_body: &str, refusal: form::Refusal) -> LinkView {
    LinkView::AnswerRefused {
        params: LinkParams::from_urlencoded(form_body),
        submission: form::submission_id(form_body).unwrap_or_else(new_submission_id),
        field: refusal.field,
        reason: refusal.reason,
        typed: form::typed(form_body),
        record: opened.record,
        link: opened.link,
        approver: opened.approver,
    }
}

/// POST from the confirmation page: records the decision (first wins) and resumes the
/// workflow. An expired link is answered before any store call: it decides nothing.
pub async fn decide(
    approval_id: &str,
    form_body: &str,
    client: ClientInfo,
    signer: &LinkSigner,
    store: &dyn Approvals,
    resumer: &dyn WorkflowResumer,
    now: i64,
) -> LinkView {
    let params = LinkParams::from_urlencoded(form_body);
    let link = match verified_link(approval_id, &params, signer) {
        Ok(link) => link,
        Err(view) => return *view,
    };
    if now >= link.expires_at {
        return expired(&link);
    }
    let opened = match open_link(link, store).await {
        Ok(opened) => opened,
        Err(view) => return view,
    };
    let submission = form::submission_id(form_body);
    let submission = submission.as_deref();
    if opened.record.decision.is_some() {
        // Decided already (read consistently): no write to learn it again.
        let theirs = same_submission(&opened.record, submission);
        return decided(opened.record, theirs, store, resumer, now).await;
    }
    // A request with a quorum: a second vote, or a voter without a slot, is told so before
    // the form is checked, and without a write (the write would say the same).
    if let Some(view) = votes::before_vote(&opened.record, opened.voter(), submission) {
        return view;
    }
    let recorded = match form::decision_from_form(&opened, form_body, client, now) {
        Ok(recorded) => recorded,
        Err(refusal) => return refused(opened, form_body, refusal),
    };
    match store
        .record_decision(&ApprovalId::from(approval_id), &recorded, now)
        .await
    {
        Ok(DecisionWrite::Recorded(record)) => decided(record, true, store, resumer, now).await,
        Ok(DecisionWrite::AlreadyDecided(record)) => {
            let theirs = same_submission(&record, submission);
            decided(record, theirs, store, resumer, now).await
        }
        Ok(DecisionWrite::TooLate(record)) => LinkView::TooLate {
            title: Some(record.title),
            stopped_at: Some(record.expires_at),
            kept: true,
        },
        Ok(DecisionWrite::NotFound) => LinkView::NotFound,
        Ok(DecisionWrite::Counted(record)) => {
            crate::delivery::progress_elsewhere(&record, store, now).await;
            votes::counted(record, opened.voter(), &recorded)
        }
        Ok(DecisionWrite::AlreadyVoted(record) | DecisionWrite::NoSlot(record)) => {
            votes::not_taken(record, opened.voter(), submission)
        }
        Err(err) => {
            let voter = opened.voter();
            after_failed_write(approval_id, form_body, voter, err, store, resumer, now).await
        }
    }
}
