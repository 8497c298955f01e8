//! The link use cases: show a link (GET, never decides) and decide (the confirmation page's
//! POST). The signature and expiry are checked before any read, so a forged link costs no
//! store call.

use super::*;
use crate::approval_links::LinkParams;
use crate::follow_up::FollowUpAnswer;
use crate::ports::{Approvals, DecisionWrite};
use crate::{DecidedBy, RecordedDecision, SignedLink};

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
    /// A valid, open link on GET: ask for confirmation; nothing is decided.
    Confirm {
        record: ApprovalRecord,
        link: SignedLink,
        params: LinkParams,
        approver: Option<String>,
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
    /// The follow-up answer was refused (POST): the confirmation page again, with why and what
    /// was typed. Nothing was recorded.
    AnswerRefused {
        record: ApprovalRecord,
        link: SignedLink,
        params: LinkParams,
        approver: Option<String>,
        reason: String,
        typed: TypedForm,
    },
    Invalid {
        reason: String,
    },
    NotFound,
    /// A dependency failed; the person may try again.
    Unavailable {
        reason: String,
    },
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
    /// Telling the workflow failed for now; the decision is kept and re-driven within a minute.
    Pending,
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
            LinkView::Unavailable { .. } => 503,
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
    let record = match store.get(&link.approval_id).await {
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
        },
    }
}

fn form_field(form_body: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(form_body.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The decision a confirmed form stands for, with who made it and from where.
fn decision_from_form(
    opened: &OpenedLink,
    form_body: &str,
    client: ClientInfo,
    follow_up: Option<FollowUpAnswer>,
    now: i64,
) -> Result<RecordedDecision, String> {
    let comment = form_field(form_body, "comment");
    if comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS)
    {
        return Err(format!(
            "the comment is longer than {MAX_COMMENT_CHARS} characters"
        ));
    }
    let channel = opened.record.origin;
    let decided_by = match &opened.approver {
        Some(email) => DecidedBy {
            id: email.clone(),
            name: email.clone(),
            channel,
        },
        None => DecidedBy {
            id: "link".into(),
            name: form_field(form_body, "name")
                .map(|n| n.chars().take(100).collect::<String>())
                .unwrap_or_else(|| "anonymous".into()),
            channel,
        },
    };
    Ok(RecordedDecision {
        decision: opened.link.decision.clone(),
        decided_by,
        decided_at: now,
        comment,
        source_ip: client.source_ip,
        user_agent: client.user_agent.map(|ua| ua.chars().take(300).collect()),
        slack_user: None,
        // A request with buttons of its own: which one, as a Slack click names it.
        action: crate::buttons::chosen_action(&opened.record.buttons, &opened.link.decision),
        follow_up,
    })
}

/// The follow-up answer of a confirmed form, when the request asks one after this link's
/// choice; `None` otherwise (an `answer` field is then ignored). Checked only while the
/// request is open: an answer to a decided or expired request changes nothing anyway.
fn follow_up_answer(
    opened: OpenedLink,
    form_body: &str,
    now: i64,
) -> Result<(OpenedLink, Option<FollowUpAnswer>), Box<LinkView>> {
    let Some(question) = opened.record.question_after(opened.link.decision.as_str()) else {
        return Ok((opened, None));
    };
    let open = opened.record.is_open(now);
    let answer = form_field(form_body, "answer");
    match question.answer(answer.as_deref()) {
        Ok(answered) => Ok((opened, Some(answered))),
        Err(_) if !open => Ok((opened, None)),
        Err(refused) => Err(Box::new(LinkView::AnswerRefused {
            params: LinkParams::from_urlencoded(form_body),
            reason: refused.0,
            typed: TypedForm {
                name: form_field(form_body, "name"),
                comment: form_field(form_body, "comment"),
                answer,
            },
            record: opened.record,
            link: opened.link,
            approver: opened.approver,
        })),
    }
}

/// POST from the confirmation page: records the decision (first wins) and resumes the
/// workflow. A decision after the request expired is kept as late and changes nothing.
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
    // An expired link is still read: its late answer is kept for the audit (it is genuine).
    let link = match verified_link(approval_id, &params, signer) {
        Ok(link) => link,
        Err(view) => return *view,
    };
    let opened = match open_link(link, store).await {
        Ok(opened) => opened,
        Err(view) => return view,
    };
    let (opened, answer) = match follow_up_answer(opened, form_body, now) {
        Ok(checked) => checked,
        Err(view) => return *view,
    };
    let recorded = match decision_from_form(&opened, form_body, client, answer, now) {
        Ok(recorded) => recorded,
        Err(reason) => return LinkView::Invalid { reason },
    };
    let record = match store.record_decision(approval_id, &recorded, now).await {
        Ok(DecisionWrite::Recorded(record)) => record,
        Ok(DecisionWrite::AlreadyDecided(record)) => return LinkView::AlreadyDecided { record },
        Ok(DecisionWrite::TooLate(record)) => {
            return LinkView::TooLate {
                title: Some(record.title),
                stopped_at: Some(record.expires_at),
                kept: true,
            }
        }
        Ok(DecisionWrite::NotFound) => return LinkView::NotFound,
        Err(err) => {
            return LinkView::Unavailable {
                reason: err.to_string(),
            }
        }
    };
    let delivery = match deliver_decision(&record, store, resumer, now).await {
        DeliveryOutcome::Delivered => Delivery::Delivered,
        DeliveryOutcome::NotYetWaiting => Delivery::NotWaiting,
        DeliveryOutcome::InProgress | DeliveryOutcome::Pending => Delivery::Pending,
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
