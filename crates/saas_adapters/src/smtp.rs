//! An SMTP server as the domain's [`EmailSender`], through `lettre`: always encrypted
//! (`STARTTLS` on 587 or TLS from the first byte on 465), the server's certificate checked
//! against the system's trust store (as reqwest does; `SSL_CERT_FILE` adds a private CA),
//! `AUTH` with a username and the password read from Secrets Manager.
//!
//! Errors, by what a workflow can do about them: a 5xx reply refusing the message or a
//! recipient is `Hitl.EmailRejected` (as SES's refusals are); a refused login (530, 534, 535,
//! 538) `Smtp.Unauthorized`; a 4xx reply (nothing was accepted), a failed connection or TLS
//! handshake `Smtp.Unavailable` (worth an ASL `Retry`); a timeout or a connection lost in the
//! middle of the transaction `Smtp.Unconfirmed` (the server may have taken the message).

use std::time::Duration;

use approvals::ports::{EmailSender, OutgoingEmail};
use approvals::HitlError;
use async_trait::async_trait;
use lambda_kit::email::{SmtpSecurity, SmtpSettings};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::{Error as LettreError, PoolConfig};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use crate::vendor_errors::vendor_error;

vendor_error!(
    /// What the SMTP server (or the connection to it) did instead of accepting the message.
    /// A permanent refusal of the message itself is the model's `Hitl.EmailRejected`.
    SmtpError, SmtpErrorKind, "Smtp", {}
);

/// What one message may take, connecting, TLS and `AUTH` included
/// (`aws_adapters::timeouts::SMTP_SEND`).
pub const SEND_BUDGET: Duration = Duration::from_secs(5);
/// How long one command may wait for its reply.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(3);
/// Idle connections kept for the next messages of a warm function (checked with `NOOP`
/// before reuse).
pub const POOLED_CONNECTIONS: u32 = 4;

pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    host: String,
    budget: Duration,
}

impl std::fmt::Debug for SmtpSender {
    // By hand: the transport holds the credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSender")
            .field("host", &self.host)
            .finish()
    }
}

impl SmtpSender {
    /// The server of `settings`, logging in as its username with `password` (both or neither).
    pub fn new(
        settings: &SmtpSettings,
        password: Option<&SecretString>,
    ) -> Result<Self, HitlError> {
        let builder = match settings.security {
            SmtpSecurity::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
            }
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host),
        }
        .map_err(|e| HitlError::Config(format!("SMTP to {}: {e}", settings.host)))?
        .port(settings.port)
        .timeout(Some(COMMAND_TIMEOUT))
        .pool_config(PoolConfig::new().max_size(POOLED_CONNECTIONS));
        let builder = match (&settings.username, password) {
            (Some(user), Some(password)) => builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_string(),
            )),
            (None, None) => builder,
            (Some(_), None) => {
                return Err(HitlError::Config(
                    "SMTP_USERNAME is set but no SMTP password is (SMTP_PASSWORD_SECRET_ID)".into(),
                ))
            }
            (None, Some(_)) => {
                return Err(HitlError::Config(
                    "an SMTP password is set (SMTP_PASSWORD_SECRET_ID) but no SMTP_USERNAME".into(),
                ))
            }
        };
        Ok(SmtpSender {
            transport: builder.build(),
            host: settings.host.clone(),
            budget: SEND_BUDGET,
        })
    }

    /// What one message may take.
    pub fn with_budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// A clear-text transport, for the tests' scripted server only.
    #[cfg(test)]
    fn clear_text(host: &str, port: u16, login: Option<(&str, &str)>) -> Self {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(COMMAND_TIMEOUT));
        if let Some((user, password)) = login {
            builder = builder.credentials(Credentials::new(user.into(), password.into()));
        }
        SmtpSender {
            transport: builder.build(),
            host: host.into(),
            budget: SEND_BUDGET,
        }
    }

    fn error(&self, kind: SmtpErrorKind, message: String) -> HitlError {
        SmtpError::new(kind, format!("SMTP to {}: {message}", self.host)).into()
    }

    /// The named error for what the server or the connection did.
    fn classify(&self, e: &LettreError) -> HitlError {
        let detail: String = e.to_string().chars().take(300).collect();
        if let Some(code) = e.status() {
            return match u16::from(code) {
                530 | 534 | 535 | 538 => self.error(
                    SmtpErrorKind::Unauthorized,
                    format!("{detail} (check SMTP_USERNAME and the password secret)"),
                ),
                500..=599 => HitlError::EmailRejected(format!("SMTP to {}: {detail}", self.host)),
                _ => self.error(
                    SmtpErrorKind::Unavailable,
                    format!("{detail}; the server accepted nothing, a retry is safe"),
                ),
            };
        }
        if e.is_tls() {
            return self.error(
                SmtpErrorKind::Unavailable,
                format!("{detail} (the TLS handshake failed: is the certificate trusted, and SMTP_SECURITY right for SMTP_PORT?)"),
            );
        }
        if !e.is_timeout() && detail.starts_with("Connection error") {
            return self.error(SmtpErrorKind::Unavailable, detail);
        }
        self.error(
            SmtpErrorKind::Unconfirmed,
            format!(
                "{detail}; the message may or may not have been accepted. It was not sent again"
            ),
        )
    }
}

/// The message as SMTP carries it, and its `Message-ID` (what Send Email returns).
pub fn smtp_message(email: &OutgoingEmail) -> Result<(Message, String), HitlError> {
    let domain = email.from.rsplit('@').next().unwrap_or("localhost");
    let id = format!("{}@{domain}", uuid::Uuid::new_v4().simple());
    let mut builder = Message::builder()
        .from(mailbox("from", &email.from, email.from_name.as_deref())?)
        .subject(email.subject.clone())
        .message_id(Some(format!("<{id}>")));
    for address in &email.to {
        builder = builder.to(mailbox("to", address, None)?);
    }
    for address in &email.cc {
        builder = builder.cc(mailbox("cc", address, None)?);
    }
    for address in &email.bcc {
        builder = builder.bcc(mailbox("bcc", address, None)?);
    }
    for address in &email.reply_to {
        builder = builder.reply_to(mailbox("replyTo", address, None)?);
    }
    let built = if email.text.is_empty() {
        builder.singlepart(SinglePart::html(email.html.clone()))
    } else {
        builder.multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            email.html.clone(),
        ))
    };
    let message =
        built.map_err(|e| HitlError::invalid_input(format!("the email cannot be built: {e}")))?;
    Ok((message, id))
}

fn mailbox(field: &str, address: &str, name: Option<&str>) -> Result<Mailbox, HitlError> {
    let parsed: Address = address.parse().map_err(|e| {
        HitlError::invalid_input(format!(
            "{field}: {address:?} is not an address SMTP can carry ({e})"
        ))
    })?;
    Ok(Mailbox::new(name.map(str::to_string), parsed))
}

#[async_trait]
impl EmailSender for SmtpSender {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, HitlError> {
        let (message, id) = smtp_message(email)?;
        match tokio::time::timeout(self.budget, self.transport.send(message)).await {
            Ok(Ok(_)) => Ok(id),
            Ok(Err(e)) => Err(self.classify(&e)),
            Err(_) => Err(self.error(
                SmtpErrorKind::Unconfirmed,
                format!(
                    "no answer within {} ms; the message may or may not have been accepted. It was not sent again",
                    self.budget.as_millis()
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests;
