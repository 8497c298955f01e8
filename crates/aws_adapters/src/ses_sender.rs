//! Sends email through SESv2: text and HTML bodies, cc, bcc, reply-to and the sender's name.

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

/// SES's body: the text part only when there is one (an HTML-only notification has none).
fn body(email: &OutgoingEmail) -> Result<Body, HitlError> {
    let text = match email.text.is_empty() {
        true => None,
        false => Some(content(&email.text)?),
    };
    Ok(Body::builder()
        .set_text(text)
        .html(content(&email.html)?)
        .build())
}

fn destination(email: &OutgoingEmail) -> Destination {
    let list = |l: &[String]| Some(l.to_vec()).filter(|l| !l.is_empty());
    Destination::builder()
        .set_to_addresses(list(&email.to))
        .set_cc_addresses(list(&email.cc))
        .set_bcc_addresses(list(&email.bcc))
        .build()
}

#[async_trait]
impl EmailSender for SesEmailSender {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, HitlError> {
        let message = Message::builder()
            .subject(content(&email.subject)?)
            .body(body(email)?)
            .build();
        let reply_to = Some(email.reply_to.clone()).filter(|r| !r.is_empty());
        let result = self
            .client
            .send_email()
            .from_email_address(from_header(email.from_name.as_deref(), &email.from))
            .destination(destination(email))
            .set_reply_to_addresses(reply_to)
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

/// The From SES sends: the address alone, or `"Name" <address>`. The address part is exactly
/// the configured one, which the IAM condition `ses:FromAddress` compares (the display name is
/// `ses:FromDisplayName`, which no condition names). A name that is not printable ASCII is an
/// RFC 2047 encoded word, as SES requires.
pub fn from_header(name: Option<&str>, address: &str) -> String {
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        return address.to_string();
    };
    if name.chars().all(|c| (' '..='~').contains(&c)) {
        let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
        return format!("\"{quoted}\" <{address}>");
    }
    // Encoded words of at most 75 characters: 45 bytes of UTF-8 become 60 of base64.
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in name.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(c);
    }
    words.push(chunk);
    let encoded: Vec<String> = words
        .iter()
        .map(|w| format!("=?UTF-8?B?{}?=", aws_smithy_types::base64::encode(w)))
        .collect();
    format!("{} <{address}>", encoded.join(" "))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_display_name_is_quoted_or_encoded_and_the_address_kept_as_configured() {
        assert_eq!(
            from_header(None, "Approvals@Corp.com"),
            "Approvals@Corp.com"
        );
        assert_eq!(
            from_header(Some("Cloud \"Ops\", prod"), "Approvals@Corp.com"),
            "\"Cloud \\\"Ops\\\", prod\" <Approvals@Corp.com>"
        );
        let encoded = from_header(Some("Équipe Cloud ☁"), "a@corp.com");
        assert_eq!(encoded, "=?UTF-8?B?w4lxdWlwZSBDbG91ZCDimIE=?= <a@corp.com>");
        let long = from_header(Some(&"é".repeat(100)), "a@corp.com");
        let words: Vec<&str> = long.trim_end_matches(" <a@corp.com>").split(' ').collect();
        assert_eq!(words.len(), 5);
        assert!(words.iter().all(|w| w.len() <= 75), "{long}");
    }

    #[test]
    fn copies_and_an_html_only_body_map_to_sess_fields() {
        let email = OutgoingEmail {
            to: vec!["a@corp.com".into()],
            cc: vec!["b@corp.com".into()],
            bcc: vec!["c@corp.com".into()],
            html: "<p>x</p>".into(),
            ..OutgoingEmail::default()
        };
        let d = destination(&email);
        assert_eq!(d.to_addresses(), ["a@corp.com"]);
        assert_eq!(d.cc_addresses(), ["b@corp.com"]);
        assert_eq!(d.bcc_addresses(), ["c@corp.com"]);
        let b = body(&email).unwrap();
        assert!(b.text().is_none());
        assert_eq!(b.html().unwrap().data(), "<p>x</p>");
    }
}
