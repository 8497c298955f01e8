//! The HTML pages a person sees after clicking a link. Built with `maud`: every value spliced
//! into a page is escaped, whichever channel it came from (a custom Slack button's value, a
//! name typed on a form, a comment). The one `PreEscaped` is our own style sheet.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use approvals::approval::rfc3339;
use approvals::use_cases::{Delivery, LinkView};
use approvals::ApprovalRecord;

use confirm::{confirm_page, Form, Refused};

mod confirm;
mod votes;

/// A rendered page with its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub status: u16,
    pub html: String,
}

/// Headers every page carries: never cached, never indexed, no referrer leaks the link.
pub const PAGE_HEADERS: [(&str, &str); 6] = [
    ("content-type", "text/html; charset=utf-8"),
    ("cache-control", "no-store"),
    ("referrer-policy", "no-referrer"),
    ("x-robots-tag", "noindex, nofollow"),
    ("x-content-type-options", "nosniff"),
    (
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    ),
];

const STYLE: &str = "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2933}\
h1{font-size:1.4rem}.box{border:1px solid #d9e2ec;border-radius:8px;padding:1rem 1.25rem;margin:1rem 0}\
.muted{color:#52606d}button{font-size:1rem;padding:.6rem 1.4rem;border:0;border-radius:6px;color:#fff;cursor:pointer}\
.approve{background:#1a7f37}.reject{background:#b42318}.neutral{background:#52606d}textarea,input[type=text],input[type=email],input[type=number]{width:100%;box-sizing:border-box;margin:.3rem 0 1rem;padding:.5rem;font:inherit}\
.status{font-weight:600}.error{color:#b42318;font-weight:600}";

fn layout(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex, nofollow";
                title { (title) }
                // A constant of ours (CSS has no markup to escape); the CSP allows inline
                // styles and nothing else.
                style { (PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    }
    .into_string()
}

fn request_box(record: &ApprovalRecord) -> Markup {
    html! {
        div class="box" {
            div class="muted" { "Approval request" }
            h2 id="request-title" { (record.title) }
            @if let Some(description) = &record.description {
                p { (description) }
            }
        }
    }
}

/// "the workflow stopped waiting at T" (the request's expiry) or, when the Task stopped on
/// its own (timed out, stopped), without a time.
fn stopped_line(stopped_at: Option<i64>) -> String {
    match stopped_at {
        Some(at) => format!("the workflow stopped waiting at {}", rfc3339(at)),
        None => "the workflow had already stopped waiting".to_string(),
    }
}

/// The decision write's answer was lost and could not be confirmed either way. The same form
/// comes back to submit again (its submission id makes it the same decision), never a new one:
/// going back could load a fresh page with another submission id, which a late-landing first
/// write would then answer "already decided".
fn unconfirmed_page(resubmit: Option<&approvals::use_cases::Resubmit>) -> String {
    layout(
        "Not confirmed",
        html! {
            h1 id="unconfirmed" { "We couldn't confirm your decision" }
            p { "It may or may not have been recorded. Submitting the same decision again is safe: if it was recorded, the page then says so; it is never recorded twice." }
            @if let Some(form) = resubmit {
                form method="post" action=(form.approval_id) {
                    @for (name, value) in &form.fields {
                        input type="hidden" name=(name) value=(value);
                    }
                    button type="submit" id="resubmit" class="neutral" { "Submit the same decision again" }
                }
            } @else {
                p class="muted" { "Open the link again in a moment: the page then shows whether it was recorded." }
            }
        },
    )
}

/// A decision Step Functions refused for good: recorded, and it changed nothing.
const NOT_DELIVERED: &str = "Not delivered: the workflow refused this decision, so it changed nothing. Tell whoever runs this workflow; the reason is in its logs.";

/// Who decided what, when and where ("by email", "in Slack", "in Teams": a request posted to
/// several channels is answered on any of them). The comment and the follow-up answer only with `details`: on
/// the page of the person who just decided, never on the "already decided" page that anyone
/// holding any link of the request (a mail scanner too) may open. The workflow has them.
fn decided_line(record: &ApprovalRecord, details: bool) -> Markup {
    let Some(d) = &record.decision else {
        return html! {};
    };
    let quorum = record.quorum.is_some();
    html! {
        @if quorum {
            (votes::settled_line(d))
        } @else {
            p class="status" id="decision" data-decision=(d.decision.as_str()) {
                (approvals::input::capitalized(&d.decision.past_tense()))
                " by " (d.decided_by.name) " at " (rfc3339(d.decided_at)) ", "
                (votes::where_cast(d.decided_by.channel)) "."
            }
        }
        @if record.delivery.late_at.is_some() {
            p class="status" id="late" { "Too late: " (stopped_line(None)) "; nothing was changed." }
        } @else if record.delivery.failed.is_some() {
            p class="status" id="not-delivered" { (NOT_DELIVERED) }
        }
        @if quorum {
            (votes::votes_list(record, details))
        } @else if details {
            @if let Some(comment) = &d.comment {
                p class="muted" { "Comment: " (comment) }
            }
            (answered_line(d))
        }
    }
}

/// A request the Decision API cannot read (too large, not UTF-8): nothing was decided.
pub fn bad_request(status: u16, title: &str, why: &str) -> Page {
    let body = html! {
        h1 { (title) }
        p { (why) }
        p class="muted" { "Nothing was decided. Use the page your link opens." }
    };
    Page {
        status,
        html: layout(title, body),
    }
}

pub fn render(view: &LinkView) -> Page {
    let html = match view {
        LinkView::Confirm {
            record,
            link,
            params,
            approver,
            submission,
        } => confirm_page(
            Form {
                record,
                link,
                params,
                approver: approver.as_deref(),
                submission,
            },
            None,
        ),
        LinkView::AnswerRefused {
            record,
            link,
            params,
            approver,
            submission,
            field,
            reason,
            typed,
        } => confirm_page(
            Form {
                record,
                link,
                params,
                approver: approver.as_deref(),
                submission,
            },
            Some(Refused {
                field: *field,
                reason,
                typed,
            }),
        ),
        LinkView::Recorded { record, delivery } => recorded_page(record, delivery),
        LinkView::Counted { record, vote } => votes::counted_page(record, vote),
        LinkView::AlreadyVoted { record, vote } => votes::already_voted_page(record, vote),
        LinkView::NoSlot { record, reason } => votes::no_slot_page(record, reason),
        LinkView::TooLate {
            title,
            stopped_at,
            kept,
        } => too_late_page(title.as_deref(), *stopped_at, *kept),
        other => notice_page(other),
    };
    Page {
        status: view.status(),
        html,
    }
}

/// The pages that show no form and no outcome of this click: already decided, invalid,
/// unknown, and the failures (whether the click was taken).
fn notice_page(view: &LinkView) -> String {
    match view {
        LinkView::AlreadyDecided { record } => layout(
            "Already decided",
            html! {
                h1 { "This request was already decided" }
                (request_box(record))
                (decided_line(record, false))
                @if record.quorum.is_some() {
                    p class="muted" { "The request is settled: a vote now changes nothing." }
                } @else {
                    p class="muted" { "Only the first decision counts; yours was not recorded." }
                }
            },
        ),
        LinkView::Invalid { reason } => layout(
            "Invalid link",
            html! {
                h1 { "This link is not valid" }
                p { (reason) "." }
                p class="muted" { "Use the link exactly as it was sent to you; copying part of it breaks it." }
            },
        ),
        LinkView::Unavailable { .. } => layout(
            "Try again",
            html! {
                h1 id="not-taken" { "Your click was not taken" }
                p { "The service did not take your click just now; nothing was recorded. Please open the link again in a moment." }
            },
        ),
        LinkView::Unconfirmed { resubmit, .. } => unconfirmed_page(resubmit.as_ref()),
        // NotFound, and the views `render` draws itself (never passed here).
        _ => layout(
            "Unknown request",
            html! {
                h1 { "We can't find this approval request" }
                p { "It may have been removed after its retention period." }
            },
        ),
    }
}

/// "Why?: idle since May" under a decision that answered a follow-up question.
fn answered_line(d: &approvals::RecordedDecision) -> Markup {
    html! {
        @if let Some(answered) = &d.follow_up {
            p class="muted" id="follow-up-answer" {
                (answered.question) " " (answered.answer_text())
            }
        }
    }
}

fn recorded_page(record: &ApprovalRecord, delivery: &Delivery) -> String {
    let follow_up = match delivery {
        Delivery::Delivered => "The workflow has been told and continues now.",
        Delivery::NotWaiting => "The workflow will pick up your decision when it reaches its approval step.",
        Delivery::Pending => "Your decision is saved. The workflow could not be reached just now; it is told automatically within a minute, with no need to click again.",
        Delivery::Refused => NOT_DELIVERED,
    };
    layout(
        "Decision recorded",
        html! {
            @if record.quorum.is_some() {
                h1 { "Thank you, your vote is recorded and settles the request" }
            } @else {
                h1 { "Thank you, your decision is recorded" }
            }
            (request_box(record))
            (decided_line(record, true))
            p class="muted" { (follow_up) }
        },
    )
}

fn too_late_page(title: Option<&str>, stopped_at: Option<i64>, kept: bool) -> String {
    let next = if kept {
        "Your click is noted in the request's audit trail as late (who and when; not what was typed). Ask the requester to start a new request if it still matters."
    } else {
        "This link no longer decides anything, and this click changed nothing. Ask the requester to start a new request if it still matters."
    };
    layout(
        "Too late",
        html! {
            h1 id="too-late" { "Too late: " (stopped_line(stopped_at)) "; nothing was changed" }
            @if let Some(title) = title {
                p class="muted" { (title) }
            }
            p { (next) }
        },
    )
}

#[cfg(test)]
mod tests;
