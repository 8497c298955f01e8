//! The confirmation page of a link: the request, this link's choice, who decides, the
//! follow-up question, a comment, and one button; a refused answer's reason next to its field.

use maud::{html, Markup};

use approvals::approval::rfc3339;
use approvals::approval_links::LinkParams;
use approvals::follow_up::MAX_TEXT_ANSWER_CHARS;
use approvals::use_cases::{
    FormField, TypedForm, MAX_COMMENT_CHARS, MAX_NAME_CHARS, SUBMISSION_FIELD,
};
use approvals::{AnswerKind, ApprovalRecord, ButtonStyle, Decision, SignedLink};

use super::{layout, request_box};

/// A refused form: which field, why, and what was typed (shown again).
pub(super) struct Refused<'a> {
    pub field: FormField,
    pub reason: &'a str,
    pub typed: &'a TypedForm,
}

impl Refused<'_> {
    /// Why, next to `field` when the refusal is about it.
    fn error_at(&self, field: FormField) -> Markup {
        let id = match field {
            FormField::Name => "name-error",
            FormField::Comment => "comment-error",
            FormField::Answer => "answer-error",
        };
        html! {
            @if self.field == field {
                p class="error" id=(id) role="alert" { (self.reason) }
            }
        }
    }
}

/// The confirmation form of a link: the request, the signed link, and this page's submission.
pub(super) struct Form<'a> {
    pub record: &'a ApprovalRecord,
    pub link: &'a SignedLink,
    pub params: &'a LinkParams,
    pub approver: Option<&'a str>,
    pub submission: &'a str,
}

/// The follow-up question of the request after this link's choice, as a form field whose HTML
/// type matches the answer's kind (the server checks it again: a browser may not).
fn follow_up_field(
    record: &ApprovalRecord,
    link: &SignedLink,
    refused: Option<&Refused>,
) -> Markup {
    let Some(question) = record.question_after(link.decision.as_str()) else {
        return html! {};
    };
    // type, maxlength, autocomplete, step, inputmode: the attributes each kind carries.
    let (kind, max, autocomplete, step, mode) = match question.kind {
        AnswerKind::Text => ("text", Some(MAX_TEXT_ANSWER_CHARS), None, None, None),
        AnswerKind::Email => ("email", None, Some("email"), None, None),
        AnswerKind::Number => ("number", None, None, Some("any"), Some("decimal")),
    };
    let value = refused.and_then(|r| r.typed.answer.as_deref());
    html! {
        label for="answer" id="follow-up-question" {
            (question.question)
            @if !question.required { " (optional)" }
        }
        @if let Some(refused) = refused { (refused.error_at(FormField::Answer)) }
        input type=(kind) maxlength=[max] autocomplete=[autocomplete] step=[step]
            inputmode=[mode] id="answer" name="answer" data-answer=(question.kind.as_str())
            required[question.required] value=[value];
    }
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
fn choice_line(record: &ApprovalRecord, label: &str, decision: &Decision) -> Markup {
    html! {
        @if !record.buttons.is_empty() {
            p { "Your choice: " strong id="choice" data-value=(decision.as_str()) { (label) } }
        }
    }
}

/// Who decides: the approver a personal link names (on a request with a quorum, who votes,
/// and whether in an escalation target's stead), or a name typed on the form.
fn who_field(record: &ApprovalRecord, approver: Option<&str>, refused: Option<&Refused>) -> Markup {
    let typed = refused.and_then(|r| r.typed.name.as_deref()).unwrap_or("");
    let escalation = |email: &str| {
        !approvals::quorum::slots(record)
            .iter()
            .any(|s| s.is(&[email.to_ascii_lowercase()]))
    };
    html! {
        @if let (Some(email), Some(_)) = (approver, record.quorum) {
            p class="muted" id="voting-as" {
                "You are voting as " strong { (email) }
                @if escalation(email) {
                    ", in place of an approver who has not voted (the request was escalated)"
                }
                "."
            }
        } @else if let Some(email) = approver {
            p class="muted" { "You are deciding as " strong { (email) } "." }
        } @else {
            label for="name" { "Your name" }
            @if let Some(refused) = refused { (refused.error_at(FormField::Name)) }
            input type="text" id="name" name="name" maxlength=(MAX_NAME_CHARS) value=(typed);
        }
    }
}

/// The confirmation form of a valid link: nothing is decided until its button is pressed.
pub(super) fn confirm_page(form: Form, refused: Option<Refused>) -> String {
    let Form {
        record,
        link,
        params,
        approver,
        submission,
    } = form;
    let refused = refused.as_ref();
    let (label, class) = choice_label(record, &link.decision);
    let hidden = params
        .fields()
        .into_iter()
        .chain([(SUBMISSION_FIELD, submission)]);
    let comment = refused.and_then(|r| r.typed.comment.as_deref());
    let body = html! {
        @if record.quorum.is_some() {
            h1 { "Confirm your vote" }
        } @else {
            h1 { "Confirm your decision" }
        }
        (request_box(record))
        (super::votes::progress(record))
        (super::votes::votes_list(record, false))
        (choice_line(record, &label, &link.decision))
        form method="post" action=(record.approval_id) {
            @for (name, value) in hidden {
                input type="hidden" name=(name) value=(value);
            }
            (who_field(record, approver, refused))
            (follow_up_field(record, link, refused))
            label for="comment" { "Comment (optional)" }
            @if let Some(refused) = refused { (refused.error_at(FormField::Comment)) }
            textarea id="comment" name="comment" rows="3" maxlength=(MAX_COMMENT_CHARS) {
                (comment.unwrap_or(""))
            }
            button type="submit" id="confirm" class=(class) { (label) }
        }
        p class="muted" {
            "Nothing is decided until you press " (label) ". This link expires at "
            (rfc3339(link.expires_at)) "."
        }
    };
    layout(&format!("{label}: {}", record.title), body)
}
