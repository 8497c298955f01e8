//! Send Email: approval emails (the links rendered as buttons) and plain notifications.

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use serde::{Deserialize, Serialize};

use approvals::approval::normalize_email;
use approvals::ports::{EmailSender, OutgoingEmail};
use approvals::{CreateLinksOutput, HitlError};

/// SES accepts at most 50 recipients per message.
pub const MAX_RECIPIENTS: usize = 50;
pub const MAX_SUBJECT_CHARS: usize = 200;

/// `to` may be one address or a list.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Recipients {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendEmailInput {
    pub to: Option<Recipients>,
    pub subject: Option<String>,
    /// The output of Create Approval Links: makes this an approval email.
    pub approval: Option<CreateLinksOutput>,
    /// A paragraph shown above the buttons.
    pub message: Option<String>,
    /// For plain notifications: the text body (and optional HTML body).
    pub text: Option<String>,
    pub html: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendEmailOutput {
    pub message_ids: Vec<String>,
    pub sent: usize,
}

/// Builds the messages to send: one per approver when the approval has per-approver links
/// (each person gets links bound to their own address), otherwise one message to everybody.
pub fn build_emails(input: SendEmailInput, from: &str) -> Result<Vec<OutgoingEmail>, HitlError> {
    let to = recipients(input.to)?;
    let subject = subject(input.subject)?;
    let Some(approval) = input.approval else {
        let body = input
            .text
            .or(input.message)
            .filter(|t| !t.trim().is_empty());
        return notification(from, to, subject, body, input.html);
    };
    // A workflow may hand over an approval whose title it changed: it is checked again here.
    approvals::input::check_one_line("approval.title", &approval.title)?;
    let subject = subject.unwrap_or_else(|| format!("Approval needed: {}", approval.title));
    let email = Draft {
        from,
        subject,
        approval: &approval,
        message: input.message.as_deref(),
    };
    if approval.links.is_empty() {
        email.shared(to)
    } else {
        email.personal(to)
    }
}

/// `to`, normalized and without duplicates (empty when absent).
fn recipients(to: Option<Recipients>) -> Result<Vec<String>, HitlError> {
    let mut to = match to {
        None => Vec::new(),
        Some(Recipients::One(one)) => vec![normalize_email(&one)?],
        Some(Recipients::Many(many)) => many
            .iter()
            .map(|a| normalize_email(a))
            .collect::<Result<_, _>>()?,
    };
    to.dedup();
    Ok(to)
}

/// One line, at most [`MAX_SUBJECT_CHARS`]: a control character in a subject is a header
/// injection attempt or a broken template.
fn subject(subject: Option<String>) -> Result<Option<String>, HitlError> {
    let subject = subject
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if let Some(subject) = &subject {
        approvals::input::check_one_line("subject", subject)?;
        if subject.chars().count() > MAX_SUBJECT_CHARS {
            return Err(HitlError::invalid_input(format!(
                "subject is longer than {MAX_SUBJECT_CHARS} characters"
            )));
        }
    }
    Ok(subject)
}

/// One message to everybody in `to` needs somebody, and not too many.
fn check_shared_recipients(to: &[String], missing: &str) -> Result<(), HitlError> {
    if to.is_empty() {
        return Err(HitlError::invalid_input(missing.to_string()));
    }
    if to.len() > MAX_RECIPIENTS {
        return Err(HitlError::invalid_input(format!(
            "at most {MAX_RECIPIENTS} recipients per email"
        )));
    }
    Ok(())
}

/// A plain notification: `to`, a subject and a text (HTML made from it unless given).
fn notification(
    from: &str,
    to: Vec<String>,
    subject: Option<String>,
    text: Option<String>,
    html: Option<String>,
) -> Result<Vec<OutgoingEmail>, HitlError> {
    check_shared_recipients(&to, "to is required: one address or a list")?;
    let text = text.ok_or_else(|| {
        HitlError::invalid_input(
            "a notification needs text (or pass approval: the output of Create Approval Links)",
        )
    })?;
    let subject = subject
        .ok_or_else(|| HitlError::invalid_input("subject is required for a notification"))?;
    let html = html.unwrap_or_else(|| notification_html(&subject, &text));
    Ok(vec![OutgoingEmail {
        from: from.into(),
        to,
        subject,
        text,
        html,
    }])
}

/// An approval email before it knows its recipients and links.
struct Draft<'a> {
    from: &'a str,
    subject: String,
    approval: &'a CreateLinksOutput,
    message: Option<&'a str>,
}

impl Draft<'_> {
    fn to(&self, to: Vec<String>, approve_url: &str, reject_url: &str) -> OutgoingEmail {
        let (text, html) = approval_bodies(self.approval, self.message, approve_url, reject_url);
        OutgoingEmail {
            from: self.from.into(),
            to,
            subject: self.subject.clone(),
            text,
            html,
        }
    }

    /// Shared links: one message to everybody in `to`.
    fn shared(&self, to: Vec<String>) -> Result<Vec<OutgoingEmail>, HitlError> {
        check_shared_recipients(
            &to,
            "to is required: the approval has no named approvers to send to",
        )?;
        let (Some(approve_url), Some(reject_url)) =
            (&self.approval.approve_url, &self.approval.reject_url)
        else {
            return Err(HitlError::invalid_input(
                "approval has neither shared links (approveUrl, rejectUrl) nor personal links",
            ));
        };
        Ok(vec![self.to(to, approve_url, reject_url)])
    }

    /// Personal links: one message per recipient, who must be an approver; no `to` means
    /// every approver.
    fn personal(&self, to: Vec<String>) -> Result<Vec<OutgoingEmail>, HitlError> {
        let links = &self.approval.links;
        let recipients = if to.is_empty() {
            links.iter().map(|l| l.approver.clone()).collect()
        } else {
            to
        };
        recipients
            .into_iter()
            .map(|recipient| {
                let mine = links
                    .iter()
                    .find(|l| l.approver == recipient)
                    .ok_or_else(|| {
                        HitlError::invalid_input(format!(
                            "{recipient} is not an approver of this request; links are personal"
                        ))
                    })?;
                Ok(self.to(vec![recipient], &mine.approve_url, &mine.reject_url))
            })
            .collect()
    }
}

/// Emails sent at once by one Send Email.
pub const MAX_PARALLEL_SENDS: usize = 10;

pub async fn send_email(
    input: SendEmailInput,
    from: &str,
    sender: &dyn EmailSender,
) -> Result<SendEmailOutput, HitlError> {
    use futures_util::stream::{self, StreamExt, TryStreamExt};
    let emails = build_emails(input, from)?;
    // Ten at a time: fifty approvers take five rounds of one send each, well inside the
    // function's timeout, where one after another would not.
    let message_ids: Vec<String> = stream::iter(&emails)
        .map(|email| sender.send(email))
        .buffered(MAX_PARALLEL_SENDS)
        .try_collect()
        .await?;
    Ok(SendEmailOutput {
        sent: message_ids.len(),
        message_ids,
    })
}

fn approval_bodies(
    approval: &CreateLinksOutput,
    message: Option<&str>,
    approve_url: &str,
    reject_url: &str,
) -> (String, String) {
    let description = approval.description.as_deref().unwrap_or("");
    let mut text_body = format!("Approval needed: {}\n\n", approval.title);
    for part in [message.unwrap_or(""), description] {
        if !part.is_empty() {
            text_body.push_str(part);
            text_body.push_str("\n\n");
        }
    }
    text_body.push_str(&format!(
        "Approve: {approve_url}\nReject: {reject_url}\n\nEach link opens a confirmation page; nothing is decided until you confirm there.\nThe links expire at {}.\n",
        approval.expires_at
    ));

    let paragraph = |p: &str| {
        if p.is_empty() {
            String::new()
        } else {
            format!("<p style=\"margin:0 0 12px\">{}</p>", text(p))
        }
    };
    let button = |href: &str, label: &str, color: &str| {
        format!(
            "<a href=\"{}\" style=\"display:inline-block;padding:10px 22px;margin-right:8px;border-radius:6px;background:{color};color:#ffffff;text-decoration:none;font-weight:600\">{label}</a>",
            attr(href)
        )
    };
    let html = format!(
        "<!doctype html><html><body style=\"font-family:Arial,Helvetica,sans-serif;color:#1f2933\">\
<h2 style=\"font-size:18px\">Approval needed: {}</h2>{}{}<p style=\"margin:20px 0\">{}{}</p>\
<p style=\"color:#52606d;font-size:12px\">Each button opens a confirmation page; nothing is decided until you confirm there. The links expire at {}.</p>\
</body></html>",
        text(&approval.title),
        paragraph(message.unwrap_or("")),
        paragraph(description),
        button(approve_url, "Approve", "#1a7f37"),
        button(reject_url, "Reject", "#b42318"),
        text(&approval.expires_at)
    );
    (text_body, html)
}

fn notification_html(subject: &str, body: &str) -> String {
    let paragraphs: String = body
        .split("\n\n")
        .map(|p| format!("<p>{}</p>", text(p).replace('\n', "<br>")))
        .collect();
    format!(
        "<!doctype html><html><body style=\"font-family:Arial,Helvetica,sans-serif;color:#1f2933\"><h2 style=\"font-size:18px\">{}</h2>{paragraphs}</body></html>",
        text(subject)
    )
}
