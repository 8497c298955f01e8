//! Send Email: approval emails (the links rendered as buttons) and plain notifications, with
//! cc, bcc, reply-to (not with personal links), a sender name and an HTML body, whichever
//! transport carries them.

mod bodies;
mod headers;
pub mod reminder;

use serde::Deserialize;

use approvals::ports::OutgoingEmail;
pub use approvals::use_cases::email::SendEmailOutput;
use approvals::{CreateLinksOutput, HitlError};

use bodies::{approval_bodies, notification_html, EmailButton};
use headers::{addresses, check_shared_recipients};
pub use headers::{Addressing, MAX_RECIPIENTS, MAX_REPLY_TO, MAX_SENDER_NAME_CHARS};

pub const MAX_SUBJECT_CHARS: usize = 200;
/// The largest `text` or `html` body: a Step Functions state's input is at most 256 KB.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// `to`, `cc`, `bcc` and `replyTo` may each be one address or a list.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Recipients {
    One(String),
    Many(Vec<String>),
}

/// Input of Send Email. Unknown fields are refused, in `approval` (Create Approval Links'
/// output) too.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendEmailInput {
    pub to: Option<Recipients>,
    /// Copies, seen by every recipient.
    pub cc: Option<Recipients>,
    /// Copies no other recipient sees.
    pub bcc: Option<Recipients>,
    /// Where replies go (`Reply-To`).
    pub reply_to: Option<Recipients>,
    /// The display name of the sender (`"Cloud Ops" <approvals@corp.com>`); the address stays
    /// the configured `SENDER_EMAIL`.
    #[schemars(length(max = MAX_SENDER_NAME_CHARS))]
    pub sender_name: Option<String>,
    /// One line; default for an approval: `Approval needed: {title}`.
    #[schemars(length(max = MAX_SUBJECT_CHARS))]
    pub subject: Option<String>,
    /// The output of Create Approval Links: makes this an approval email.
    pub approval: Option<CreateLinksOutput>,
    /// A paragraph shown above the buttons.
    pub message: Option<String>,
    /// For plain notifications: the text body and/or the HTML body (at least one).
    pub text: Option<String>,
    pub html: Option<String>,
}

/// Builds the messages to send: one per approver when the approval has per-approver links
/// (each person gets links bound to their own address), otherwise one message to everybody.
pub fn build_emails(input: SendEmailInput, from: &str) -> Result<Vec<OutgoingEmail>, HitlError> {
    let to = addresses("to", input.to)?;
    let subject = subject(input.subject)?;
    let addressing = Addressing::new(input.sender_name, input.cc, input.bcc, input.reply_to)?;
    let sender = Sender { from, addressing };
    let Some(approval) = input.approval else {
        let text = input
            .text
            .or(input.message)
            .filter(|t| !t.trim().is_empty());
        let html = input.html.filter(|h| !h.trim().is_empty());
        return sender.notification(to, subject, text, html);
    };
    if input.html.is_some() {
        return Err(HitlError::invalid_input(
            "html is for notifications: an approval email's HTML is made with its buttons (put your paragraph in message)",
        ));
    }
    // A workflow may hand over an approval whose title it changed: it is checked again here.
    approvals::input::check_one_line("approval.title", &approval.title)?;
    let subject = subject.unwrap_or_else(|| format!("Approval needed: {}", approval.title));
    let email = Draft {
        sender,
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

fn check_body(field: &str, body: &str) -> Result<(), HitlError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(HitlError::invalid_input(format!(
            "{field} is larger than {} KB",
            MAX_BODY_BYTES / 1024
        )));
    }
    Ok(())
}

/// Who every message of one Send Email is from, and its copies and reply-to.
struct Sender<'a> {
    from: &'a str,
    addressing: Addressing,
}

impl Sender<'_> {
    fn email(&self, to: Vec<String>, subject: String, text: String, html: String) -> OutgoingEmail {
        let (cc, bcc) = self.addressing.copies_for(&to);
        OutgoingEmail {
            from: self.from.into(),
            from_name: self.addressing.from_name.clone(),
            to,
            cc,
            bcc,
            reply_to: self.addressing.reply_to.clone(),
            subject,
            text,
            html,
        }
    }

    /// A plain notification: `to`, a subject and a text and/or an HTML body (the HTML made
    /// from the text unless given; no text part when only HTML is given).
    fn notification(
        &self,
        to: Vec<String>,
        subject: Option<String>,
        text: Option<String>,
        html: Option<String>,
    ) -> Result<Vec<OutgoingEmail>, HitlError> {
        check_shared_recipients(
            &to,
            &self.addressing,
            "to is required: one address or a list",
        )?;
        if text.is_none() && html.is_none() {
            return Err(HitlError::invalid_input(
                "a notification needs text or html (or pass approval: the output of Create Approval Links)",
            ));
        }
        let subject = subject
            .ok_or_else(|| HitlError::invalid_input("subject is required for a notification"))?;
        let text = text.unwrap_or_default();
        check_body("text", &text)?;
        let html = match html {
            Some(html) => html,
            None => notification_html(&subject, &text),
        };
        check_body("html", &html)?;
        Ok(vec![self.email(to, subject, text, html)])
    }
}

/// An approval email before it knows its recipients and links.
struct Draft<'a> {
    sender: Sender<'a>,
    subject: String,
    approval: &'a CreateLinksOutput,
    message: Option<&'a str>,
}

impl Draft<'_> {
    fn to(&self, to: Vec<String>, buttons: &[EmailButton]) -> OutgoingEmail {
        let (text, html) = approval_bodies(self.approval, self.message, buttons);
        self.sender.email(to, self.subject.clone(), text, html)
    }

    /// Shared links: one message to everybody in `to` (and the copies).
    fn shared(&self, to: Vec<String>) -> Result<Vec<OutgoingEmail>, HitlError> {
        check_shared_recipients(
            &to,
            &self.sender.addressing,
            "to is required: the approval has no named approvers to send to",
        )?;
        // The request's own buttons (a Teams request with buttons), or Approve / Reject.
        if !self.approval.buttons.is_empty() {
            return Ok(vec![self.to(to, &EmailButton::of(&self.approval.buttons))]);
        }
        let (Some(approve_url), Some(reject_url)) =
            (&self.approval.approve_url, &self.approval.reject_url)
        else {
            return Err(HitlError::invalid_input(
                "approval has neither shared links (approveUrl, rejectUrl) nor personal links",
            ));
        };
        Ok(vec![
            self.to(to, &EmailButton::pair(approve_url, reject_url))
        ])
    }

    /// Personal links: one message per recipient, who must be an approver; no `to` means
    /// every approver. Nobody else may get a copy, nor a reply that quotes it: a personal link
    /// decides as its approver.
    fn personal(&self, to: Vec<String>) -> Result<Vec<OutgoingEmail>, HitlError> {
        if self.sender.addressing.has_copies() {
            return Err(HitlError::invalid_input(
                "cc and bcc are refused with personal links: a copy would let its reader decide as the approver (send a notification to them instead)",
            ));
        }
        if !self.sender.addressing.reply_to.is_empty() {
            return Err(HitlError::invalid_input(
                "replyTo is refused with personal links: a reply quotes the message, links included, so the reply-to address could decide as the approver (leave replyTo out; replies then go to the sender)",
            ));
        }
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
                let buttons = match (mine.buttons.is_empty(), mine.approve_url.is_empty() || mine.reject_url.is_empty()) {
                    (false, _) => EmailButton::of(&mine.buttons),
                    (true, false) => EmailButton::pair(&mine.approve_url, &mine.reject_url),
                    (true, true) => {
                        return Err(HitlError::invalid_input(format!(
                            "the links of {recipient} have no approveUrl and rejectUrl (pass Create Approval Links' output unchanged)"
                        )))
                    }
                };
                Ok(self.to(vec![recipient], &buttons))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
