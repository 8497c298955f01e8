//! Sends email through SESv2 (text and HTML bodies).

use approvals::ports::{EmailSender, OutgoingEmail};
use approvals::HitlError;
use async_trait::async_trait;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use aws_sdk_sesv2::Client;

use crate::sdk_errors::{classify, code};

pub struct SesEmailSender {
    client: Client,
}

impl SesEmailSender {
    pub fn new(client: Client) -> Self {
        SesEmailSender { client }
    }
}

fn content(data: &str) -> Result<Content, HitlError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| HitlError::invalid_input(e.to_string()))
}

#[async_trait]
impl EmailSender for SesEmailSender {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, HitlError> {
        let message = Message::builder()
            .subject(content(&email.subject)?)
            .body(
                Body::builder()
                    .text(content(&email.text)?)
                    .html(content(&email.html)?)
                    .build(),
            )
            .build();
        let result = self
            .client
            .send_email()
            .from_email_address(&email.from)
            .destination(
                Destination::builder()
                    .set_to_addresses(Some(email.to.clone()))
                    .build(),
            )
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await;
        match result {
            Ok(out) => Ok(out.message_id().unwrap_or_default().to_string()),
            Err(err)
                if matches!(
                    code(&err),
                    Some(
                        "MessageRejected"
                            | "MailFromDomainNotVerifiedException"
                            | "BadRequestException"
                            | "AccountSuspendedException"
                            | "SendingPausedException"
                            | "NotFoundException"
                    )
                ) =>
            {
                let e = classify("SES", err);
                Err(HitlError::EmailRejected(e.to_string()))
            }
            Err(err) => Err(classify("SES", err)),
        }
    }
}

/// The From address (`SENDER_EMAIL`), exactly as configured. The IAM condition
/// `ses:FromAddress` (template.yaml) compares with `StringEquals`, which is case-sensitive:
/// sending a lowercased `Approvals@Corp.com` would be refused by AWS with AccessDenied. So the
/// configured value is only checked, never rewritten.
pub fn sender_address(configured: &str) -> Result<String, HitlError> {
    let not_an_address = || {
        HitlError::Config(format!(
            "SENDER_EMAIL {configured:?} is not an email address"
        ))
    };
    if configured.trim() != configured {
        return Err(not_an_address());
    }
    approvals::approval::normalize_email(configured).map_err(|_| not_an_address())?;
    Ok(configured.to_string())
}
