//! The link use cases: show a link (GET, never decides) and decide (the confirmation page's
//! POST). The signature and expiry are checked before any read, so a forged or expired link
//! costs no store call. Each confirmation page carries a random submission id, stored with
//! the decision, so a second submission of the same form (after a lost answer) is told that
//! its decision was recorded, not that somebody decided first.

use super::*;
use crate::approval_links::LinkParams;
use crate::ports::{Approvals, DecisionWrite};
use crate::{ApprovalId, SignedLink};

mod form;
pub use form::{new_submission_id, FormField, MAX_FORM_BYTES, MAX_NAME_CHARS, SUBMISSION_FIELD};

/// Who is making a request on a link, for the audit trail.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// What a link request leads to; `pages` renders each into HTML with its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
// One value per HTTP request, rendered at once: boxing the record would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum LinkView {
    /// A valid, open link on GET: ask for confirmation; nothing is decided. `submission`
    /// identifies this page's form (a hidden field).
    Confirm {
        record: ApprovalRecord,
        link: SignedLink,
        params: LinkParams,
        approver: Option<String>,
        submission: String,
    },
    /// This request's decision was recorded; `delivery` says whether the workflow has it.
    Recorded {
        record: ApprovalRecord,
        delivery: Delivery,
    },
    AlreadyDecided {
        record: ApprovalRecord,
    },
    /// The workflow had stopped waiting (the request expired, or the Task timed out or was
    /// stopped): nothing was changed. `kept` when the late decision went into the audit.
    TooLate {
        title: Option<String>,
        /// When the workflow stopped waiting, when known (the request's expiry).
        stopped_at: Option<i64>,
        kept: bool,
    },
    /// Something typed was refused (POST: the follow-up answer, the comment, the name): the
    /// confirmation page again, with why, next to `field`, and what was typed. Nothing was
    /// recorded.
    AnswerRefused {
        record: ApprovalRecord,
        link: SignedLink,
        params: LinkParams,
        approver: Option<String>,
        submission: String,
        field: FormField,
        reason: String,
        typed: TypedForm,
    },
    Invalid {
        reason: String,
    },
    NotFound,
    /// A dependency failed and this click was not taken (nothing was recorded for it): the
    /// person may try again.
    Unavailable {
        reason: String,
    },
    /// The decision write failed in a way that may still land (a timeout, a 5xx), and reading
    /// the record back could not confirm it either way (it failed, or the write had not landed
    /// yet): whether this click was recorded is unknown. Submitting the same form again is
    /// safe: its submission id makes it the same decision, answered "recorded" if the first
    /// landed. `resubmit` is that same form, when it carried a submission id.
    Unconfirmed {
        reason: String,
        resubmit: Option<Resubmit>,
    },
}

/// The very form that was submitted (its signed link, submission id and what was typed), to
/// submit again as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resubmit {
    pub approval_id: String,
    pub fields: Vec<(String, String)>,
}

/// What the person typed on the confirmation page, shown again when their answer is refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypedForm {
    pub name: Option<String>,
    pub comment: Option<String>,
    pub answer: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The waiting workflow has the decision.
    Delivered,
    /// No workflow waits yet; Wait For Approval will pick it up.
    NotWaiting,
    /// Telling the workflow failed for now; the decision is kept and relayed within a minute.
    Pending,
    /// Step Functions refused the decision for good: it is recorded, and changed nothing.
    Refused,
}

impl LinkView {
    pub fn status(&self) -> u16 {
        match self {
            LinkView::Confirm { .. } | LinkView::Recorded { .. } => 200,
            LinkView::AlreadyDecided { .. } => 409,
            LinkView::TooLate { .. } => 410,
            LinkView::AnswerRefused { .. } => 422,
            LinkView::Invalid { .. } => 403,
            LinkView::NotFound => 404,
            LinkView::Unavailable { .. } | LinkView::Unconfirmed { .. } => 503,
        }
    }

    /// The kind of outcome, for logs (links and signatures stay out of them).
    pub fn kind(&self) -> &'static str {
        match self {
            LinkView::Confirm { .. } => "confirm",
            LinkView::Recorded { .. } => "recorded",
            LinkView::AlreadyDecided { .. } => "already_decided",
            LinkView::TooLate { .. } => "too_late",
            LinkView::AnswerRefused { .. } => "answer_refused",
            LinkView::Invalid { .. } => "invalid",
            LinkView::NotFound => "not_found",
            LinkView::Unavailable { .. } => "unavailable",
            LinkView::Unconfirmed { .. } => "unconfirmed",
        }
    }
}

/// A link whose signature checks out, with its record and the approver it is bound to.
struct OpenedLink {
    link: SignedLink,
    record: ApprovalRecord,
    approver: Option<String>,
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
        (Some(i), false) => Some(
            record
                .approvers
                .get(i)
                .cloned()
                .ok_or_else(|| invalid("the link names no approver of this request"))?,
        ),
        (None, true) => None,
        (None, false) => {
            return Err(invalid(
                "this approval is restricted to named approvers; use the link sent to you",
            ))
        }
        (Some(_), true) => return Err(invalid("the link names no approver of this request")),
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
    match open_link(link, store).await {
        Err(view) => view,
        Ok(opened) if opened.record.decision.is_some() => LinkView::AlreadyDecided {
            record: opened.record,
        },
        Ok(OpenedLink {
            link,
            record,
            approver,
            ..
        }) => LinkView::Confirm {
            record,
            link,
            params,
            approver,
            submission: new_submission_id(),
        },
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
        // QUORUM-TODO: the vote's own views.
        Ok(
            DecisionWrite::Counted(_) | DecisionWrite::AlreadyVoted(_) | DecisionWrite::NoSlot(_),
        ) => LinkView::NotFound,
        Err(err) => after_failed_write(approval_id, form_body, err, store, resumer, now).await,
    }
}
