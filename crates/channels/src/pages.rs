//! The HTML pages a person sees after clicking a link. Every value is HTML-escaped, whichever
//! channel it came from (a custom Slack button's value, a name typed on a form, a comment).

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use approvals::approval::rfc3339;
use approvals::approval_links::LinkParams;
use approvals::follow_up::MAX_TEXT_ANSWER_CHARS;
use approvals::use_cases::{
    Delivery, FormField, LinkView, TypedForm, MAX_COMMENT_CHARS, MAX_NAME_CHARS, SUBMISSION_FIELD,
};
use approvals::SignedLink;
use approvals::{AnswerKind, ApprovalRecord, ButtonStyle, Decision};

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

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"robots\" content=\"noindex, nofollow\"><title>{}</title><style>{STYLE}</style></head>\
<body>{body}</body></html>",
        text(title)
    )
}

fn request_box(record: &ApprovalRecord) -> String {
    let description = record
        .description
        .as_deref()
        .map(|d| format!("<p>{}</p>", text(d)))
        .unwrap_or_default();
    format!(
        "<div class=\"box\"><div class=\"muted\">Approval request</div><h2 id=\"request-title\">{}</h2>{description}</div>",
        text(&record.title)
    )
}

/// "the workflow stopped waiting at T" (the request's expiry) or, when the Task stopped on
/// its own (timed out, stopped), without a time.
fn stopped_line(stopped_at: Option<i64>) -> String {
    match stopped_at {
        Some(at) => format!("the workflow stopped waiting at {}", rfc3339(at)),
        None => "the workflow had already stopped waiting".to_string(),
    }
}

/// Who decided what and when. The comment and the follow-up answer only with `details`: on
/// the page of the person who just decided, never on the "already decided" page that anyone
/// holding any link of the request (a mail scanner too) may open. The workflow has them.
fn decided_line(record: &ApprovalRecord, details: bool) -> String {
    let late = if record.delivery.late_at.is_some() {
        format!(
            "<p class=\"status\" id=\"late\">Too late: {}; nothing was changed.</p>",
            stopped_line(None)
        )
    } else {
        String::new()
    };
    let Some(d) = &record.decision else {
        return String::new();
    };
    let details = match details {
        true => {
            d.comment
                .as_deref()
                .map(|c| format!("<p class=\"muted\">Comment: {}</p>", text(c)))
                .unwrap_or_default()
                + &answered_line(d)
        }
        false => String::new(),
    };
    format!(
        "<p class=\"status\" id=\"decision\" data-decision=\"{}\">{} by {} at {}.</p>{late}{details}",
        attr(d.decision.as_str()),
        text(&approvals::input::capitalized(&d.decision.past_tense())),
        text(&d.decided_by.name),
        rfc3339(d.decided_at),
    )
}

/// A request the Decision API cannot read (too large, not UTF-8): nothing was decided.
pub fn bad_request(status: u16, title: &str, why: &str) -> Page {
    Page {
        status,
        html: layout(
            title,
            &format!(
                "<h1>{}</h1><p>{}</p><p class=\"muted\">Nothing was decided. Use the page your link opens.</p>",
                text(title),
                text(why)
            ),
        ),
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
        LinkView::AlreadyDecided { record } => layout(
            "Already decided",
            &format!(
                "<h1>This request was already decided</h1>{}{}<p class=\"muted\">Only the first decision counts; yours was not recorded.</p>",
                request_box(record),
                decided_line(record, false)
            ),
        ),
        LinkView::TooLate {
            title,
            stopped_at,
            kept,
        } => too_late_page(title.as_deref(), *stopped_at, *kept),
        LinkView::Invalid { reason } => layout(
            "Invalid link",
            &format!(
                "<h1>This link is not valid</h1><p>{}.</p><p class=\"muted\">Use the link exactly as it was sent to you; copying part of it breaks it.</p>",
                text(reason)
            ),
        ),
        LinkView::NotFound => layout(
            "Unknown request",
            "<h1>We can't find this approval request</h1><p>It may have been removed after its retention period.</p>",
        ),
        LinkView::Unavailable { .. } => layout(
            "Try again",
            "<h1 id=\"not-taken\">Your click was not taken</h1><p>The service did not take your click just now; nothing was recorded. Please open the link again in a moment.</p>",
        ),
        LinkView::Unconfirmed { .. } => layout(
            "Not confirmed",
            "<h1 id=\"unconfirmed\">We couldn't confirm your decision</h1><p>It may or may not have been recorded. Going back and pressing the button again is safe: if your decision was recorded, the page then says so; it is never recorded twice.</p>",
        ),
    };
    Page {
        status: view.status(),
        html,
    }
}

/// A refused form: which field, why, and what was typed (shown again).
struct Refused<'a> {
    field: FormField,
    reason: &'a str,
    typed: &'a TypedForm,
}

impl Refused<'_> {
    /// Why, next to `field` when the refusal is about it.
    fn error_at(&self, field: FormField) -> String {
        if self.field != field {
            return String::new();
        }
        let id = match field {
            FormField::Name => "name-error",
            FormField::Comment => "comment-error",
            FormField::Answer => "answer-error",
        };
        format!(
            "<p class=\"error\" id=\"{id}\" role=\"alert\">{}</p>",
            text(self.reason)
        )
    }
}

/// The confirmation form of a link: the request, the signed link, and this page's submission.
struct Form<'a> {
    record: &'a ApprovalRecord,
    link: &'a SignedLink,
    params: &'a LinkParams,
    approver: Option<&'a str>,
    submission: &'a str,
}

/// The follow-up question of the request after this link's choice, as a form field whose HTML
/// type matches the answer's kind (the server checks it again: a browser may not).
fn follow_up_field(
    record: &ApprovalRecord,
    link: &SignedLink,
    refused: Option<&Refused>,
) -> String {
    let Some(question) = record.question_after(link.decision.as_str()) else {
        return String::new();
    };
    let kind = match question.kind {
        AnswerKind::Text => format!("type=\"text\" maxlength=\"{MAX_TEXT_ANSWER_CHARS}\""),
        AnswerKind::Email => "type=\"email\" autocomplete=\"email\"".into(),
        AnswerKind::Number => "type=\"number\" step=\"any\" inputmode=\"decimal\"".into(),
    };
    let required = if question.required { " required" } else { "" };
    let value = refused
        .and_then(|r| r.typed.answer.as_deref())
        .map(|v| format!(" value=\"{}\"", attr(v)))
        .unwrap_or_default();
    let error = refused
        .map(|r| r.error_at(FormField::Answer))
        .unwrap_or_default();
    format!(
        "<label for=\"answer\" id=\"follow-up-question\">{}{}</label>{error}<input {kind} id=\"answer\" name=\"answer\" data-answer=\"{}\"{required}{value}>",
        text(&question.question),
        if question.required { "" } else { " (optional)" },
        question.kind.as_str()
    )
}

/// "Why?: idle since May" under a decision that answered a follow-up question.
fn answered_line(d: &approvals::RecordedDecision) -> String {
    let Some(answered) = &d.follow_up else {
        return String::new();
    };
    let answer = answered.answer_text();
    format!(
        "<p class=\"muted\" id=\"follow-up-answer\">{} {}</p>",
        text(&answered.question),
        text(&answer)
    )
}

/// The label and look of a link's choice: the request's own button (its style: primary
/// green, danger red, default grey), or Approve / Reject.
fn choice_label(record: &ApprovalRecord, decision: &Decision) -> (String, &'static str) {
    match approvals::buttons::choice(&record.buttons, decision) {
        Some((_, b)) => (
            b.label,
            match b.style {
                ButtonStyle::Primary => "approve",
                ButtonStyle::Danger => "reject",
                ButtonStyle::Default => "neutral",
            },
        ),
        // Refused before a page is shown; kept harmless all the same.
        None => ("Answer".into(), "neutral"),
    }
}

/// "Your choice: Next week" above the form, for a request with buttons of its own.
fn choice_line(record: &ApprovalRecord, verb: &str, decision: &Decision) -> String {
    if record.buttons.is_empty() {
        return String::new();
    }
    format!(
        "<p>Your choice: <strong id=\"choice\" data-value=\"{}\">{verb}</strong></p>",
        attr(decision.as_str())
    )
}

/// The confirmation form of a valid link: nothing is decided until its button is pressed.
fn confirm_page(form: Form, refused: Option<Refused>) -> String {
    let Form {
        record,
        link,
        params,
        approver,
        submission,
    } = form;
    let (label, class) = choice_label(record, &link.decision);
    let verb = text(&label);
    let chosen = choice_line(record, &verb, &link.decision);
    let hidden: String = params
        .fields()
        .into_iter()
        .chain([(SUBMISSION_FIELD, submission)])
        .map(|(k, v)| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", attr(v)))
        .collect();
    let typed = |field: fn(&TypedForm) -> &Option<String>| {
        refused
            .as_ref()
            .and_then(|r| field(r.typed).as_deref())
            .unwrap_or_default()
    };
    let error_at = |field| {
        refused
            .as_ref()
            .map(|r| r.error_at(field))
            .unwrap_or_default()
    };
    let who = match approver {
        Some(email) => format!("<p class=\"muted\">You are deciding as <strong>{}</strong>.</p>", text(email)),
        None => format!(
            "<label for=\"name\">Your name</label>{}<input type=\"text\" id=\"name\" name=\"name\" maxlength=\"{MAX_NAME_CHARS}\" value=\"{}\">",
            error_at(FormField::Name),
            attr(typed(|t| &t.name))
        ),
    };
    let follow_up = follow_up_field(record, link, refused.as_ref());
    let comment = text(typed(|t| &t.comment));
    layout(
        &format!("{label}: {}", record.title),
        &format!(
            "<h1>Confirm your decision</h1>{}{chosen}\
<form method=\"post\" action=\"{}\">{hidden}{who}{follow_up}\
<label for=\"comment\">Comment (optional)</label>{}<textarea id=\"comment\" name=\"comment\" rows=\"3\" maxlength=\"{MAX_COMMENT_CHARS}\">{comment}</textarea>\
<button type=\"submit\" id=\"confirm\" class=\"{class}\">{verb}</button></form>\
<p class=\"muted\">Nothing is decided until you press {verb}. This link expires at {}.</p>",
            request_box(record),
            attr(&record.approval_id),
            error_at(FormField::Comment),
            rfc3339(link.expires_at)
        ),
    )
}

fn recorded_page(record: &ApprovalRecord, delivery: &Delivery) -> String {
    let follow_up = match delivery {
        Delivery::Delivered => "The workflow has been told and continues now.",
        Delivery::NotWaiting => "The workflow will pick up your decision when it reaches its approval step.",
        Delivery::Pending => "Your decision is saved. The workflow could not be reached just now; it is told automatically within a minute, with no need to click again.",
    };
    layout(
        "Decision recorded",
        &format!(
            "<h1>Thank you, your decision is recorded</h1>{}{}<p class=\"muted\">{follow_up}</p>",
            request_box(record),
            decided_line(record, true)
        ),
    )
}

fn too_late_page(title: Option<&str>, stopped_at: Option<i64>, kept: bool) -> String {
    layout(
        "Too late",
        &format!(
            "<h1 id=\"too-late\">Too late: {}; nothing was changed</h1>{}<p>{}</p>",
            stopped_line(stopped_at),
            title
                .map(|t| format!("<p class=\"muted\">{}</p>", text(t)))
                .unwrap_or_default(),
            if kept {
                "Your click is noted in the request's audit trail as late (who and when; not what was typed). Ask the requester to start a new request if it still matters."
            } else {
                "This link no longer decides anything, and this click changed nothing. Ask the requester to start a new request if it still matters."
            }
        ),
    )
}

#[cfg(test)]
mod tests;
