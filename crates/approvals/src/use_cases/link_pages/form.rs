//! The confirmation form as the POST brings it back: what was typed (name, comment, follow-up
//! answer), checked, and the page's submission id.

use super::{ClientInfo, OpenedLink, TypedForm};
use crate::follow_up::{FollowUpAnswer, MAX_TEXT_ANSWER_CHARS};
use crate::use_cases::MAX_COMMENT_CHARS;
use crate::{DecidedBy, RecordedDecision};

/// The longest name typed on a shared link that is kept.
pub const MAX_NAME_CHARS: usize = 100;
/// The longest submission id accepted from a form (ours are 32 hex digits).
const MAX_SUBMISSION_ID_CHARS: usize = 64;
/// The form field that carries the page's submission id.
pub const SUBMISSION_FIELD: &str = "submission";

/// The largest body the confirmation form can send: every typed field at its longest, each
/// character 4 bytes in UTF-8 and each byte percent-encoded as 3, plus the hidden fields
/// (signed link, submission id) and the field names. A request larger than this is not ours.
pub const MAX_FORM_BYTES: usize =
    (MAX_TEXT_ANSWER_CHARS + MAX_COMMENT_CHARS + MAX_NAME_CHARS) * 4 * 3 + 4096;

/// The field of the form a refusal is about: the page shows why next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    Name,
    Comment,
    Answer,
}

/// Why a form was refused; nothing was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Refusal {
    pub field: FormField,
    pub reason: String,
}

impl Refusal {
    fn new(field: FormField, reason: impl Into<String>) -> Self {
        Refusal {
            field,
            reason: reason.into(),
        }
    }
}

/// A fresh submission id for a confirmation page: random, so two people shown the same shared
/// link never share one (a match later means "this very form").
pub fn new_submission_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

pub(super) fn field(form_body: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(form_body.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The submission id the form carries, when it looks like one of ours (anything else is
/// ignored rather than stored).
pub(super) fn submission_id(form_body: &str) -> Option<String> {
    field(form_body, SUBMISSION_FIELD).filter(|id| {
        id.len() <= MAX_SUBMISSION_ID_CHARS
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

/// What was typed, shown again on a refused form.
pub(super) fn typed(form_body: &str) -> TypedForm {
    TypedForm {
        name: field(form_body, "name"),
        comment: field(form_body, "comment"),
        answer: field(form_body, "answer"),
    }
}

/// Characters a name must not hold: control characters (line breaks, tabs, escapes) and the
/// bidirectional overrides and isolates that make a name read differently from what it is.
fn unprintable(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The name typed on a shared link, at most [`MAX_NAME_CHARS`] characters; refused when it
/// holds characters that cannot be shown as typed.
fn typed_name(form_body: &str) -> Result<String, Refusal> {
    let Some(name) = field(form_body, "name") else {
        return Ok("anonymous".into());
    };
    if name.chars().any(unprintable) {
        return Err(Refusal::new(
            FormField::Name,
            "Your name cannot contain control characters (such as line breaks or tabs).",
        ));
    }
    Ok(name.chars().take(MAX_NAME_CHARS).collect())
}

/// The follow-up answer of a confirmed form, when the request asks one after this link's
/// choice; `None` otherwise (an `answer` field is then ignored). Checked only while the
/// request is open: an answer to an expired request changes nothing anyway.
fn follow_up_answer(
    opened: &OpenedLink,
    form_body: &str,
    now: i64,
) -> Result<Option<FollowUpAnswer>, Refusal> {
    let Some(question) = opened.record.question_after(opened.link.decision.as_str()) else {
        return Ok(None);
    };
    match question.answer(field(form_body, "answer").as_deref()) {
        Ok(answered) => Ok(Some(answered)),
        Err(_) if !opened.record.is_open(now) => Ok(None),
        Err(refused) => Err(Refusal::new(FormField::Answer, refused.0)),
    }
}

/// The decision a confirmed form stands for, with who made it, from where and from which page.
pub(super) fn decision_from_form(
    opened: &OpenedLink,
    form_body: &str,
    client: ClientInfo,
    now: i64,
) -> Result<RecordedDecision, Refusal> {
    let follow_up = follow_up_answer(opened, form_body, now)?;
    let comment = field(form_body, "comment");
    if comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS)
    {
        return Err(Refusal::new(
            FormField::Comment,
            format!("The comment is longer than {MAX_COMMENT_CHARS} characters."),
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
            name: typed_name(form_body)?,
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
        teams_user: None,
        // A request with buttons of its own: which one, as a Slack click names it.
        action: crate::buttons::chosen_action(&opened.record.buttons, &opened.link.decision),
        follow_up,
        submission_id: submission_id(form_body),
    })
}

/// The submitted form again, field for field, when it carries a submission id (without one, a
/// second submission could not be told apart from somebody else's).
pub(super) fn resubmit(approval_id: &str, form_body: &str) -> Option<super::Resubmit> {
    let submission = submission_id(form_body)?;
    let params = crate::approval_links::LinkParams::from_urlencoded(form_body);
    let typed = typed(form_body);
    let mut fields: Vec<(String, String)> = params
        .fields()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    fields.push((SUBMISSION_FIELD.to_string(), submission));
    for (name, value) in [
        ("name", typed.name),
        ("comment", typed.comment),
        ("answer", typed.answer),
    ] {
        fields.extend(value.map(|v| (name.to_string(), v)));
    }
    Some(super::Resubmit {
        approval_id: approval_id.to_string(),
        fields,
    })
}
