//! What a link request leads to: one view per HTTP request, which `channels::pages` renders
//! with its HTTP status. Vendor-free: a page's words are the renderer's.

use crate::approval_links::LinkParams;
use crate::quorum::Vote;
use crate::{ApprovalRecord, SignedLink};

use super::FormField;

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
    /// A request with a quorum: this vote was counted and the request is still open (the
    /// record with it, for the progress). The same form submitted again is this view again.
    Counted {
        record: ApprovalRecord,
        vote: Vote,
    },
    /// A request with a quorum: this link's approver voted already (`vote`, on whichever
    /// channel); a second vote changes nothing. Shown instead of the form on GET too.
    AlreadyVoted {
        record: ApprovalRecord,
        vote: Vote,
    },
    /// A request with a quorum: this link's approver has no slot to fill, and why; nothing
    /// was recorded.
    NoSlot {
        record: ApprovalRecord,
        reason: NoSlotReason,
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

/// Why a link's approver may not vote on a request with a quorum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoSlotReason {
    /// They asked for it (`requestedBy`): nobody approves their own request.
    Requester,
    /// Their link is an escalation target's, and the request has not escalated (yet).
    NotEscalated,
    /// Their slot was filled by an escalation target's vote (`by`): theirs is no longer needed.
    FilledBy(Box<Vote>),
    /// None of the request's slots is theirs.
    NotAnApprover,
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
            LinkView::Confirm { .. } | LinkView::Recorded { .. } | LinkView::Counted { .. } => 200,
            LinkView::AlreadyDecided { .. } | LinkView::AlreadyVoted { .. } => 409,
            LinkView::NoSlot { .. } => 403,
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
            LinkView::Counted { .. } => "counted",
            LinkView::AlreadyVoted { .. } => "already_voted",
            LinkView::NoSlot { .. } => "no_slot",
            LinkView::Invalid { .. } => "invalid",
            LinkView::NotFound => "not_found",
            LinkView::Unavailable { .. } => "unavailable",
            LinkView::Unconfirmed { .. } => "unconfirmed",
        }
    }
}
