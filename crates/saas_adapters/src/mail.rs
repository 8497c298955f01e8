//! The email sender `EMAIL_TRANSPORT` names, built once at cold start: SES (built by the
//! caller, which holds the AWS configuration), an SMTP server or Outlook, each with the one
//! secret it needs read through `secret` (the variable naming it, e.g.
//! `SMTP_PASSWORD_SECRET_ID`).

use approvals::ports::EmailSender;
use approvals::HitlError;
use lambda_kit::email::EmailTransport;
use secrecy::SecretString;

/// One text secret, read by the variable that names it (`aws_adapters::secrets::secret_text`).
pub type SecretRead = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Option<SecretString>, HitlError>> + Send>,
>;

use crate::outlook::OutlookSender;
use crate::smtp::SmtpSender;

/// The variables that name the transports' secrets (`aws_adapters::secrets` reads them).
pub const SMTP_PASSWORD: &str = "SMTP_PASSWORD_SECRET_ID";
pub const OUTLOOK_CLIENT_SECRET: &str = "OUTLOOK_CLIENT_SECRET_SECRET_ID";

pub struct ConfiguredSender {
    pub sender: Box<dyn EmailSender>,
    /// What init opens connections with (`lambda_kit::http_client::open_connections`).
    pub connection_urls: Vec<String>,
}

/// The sender of `transport`, sending as `from` (`SENDER_EMAIL`, the Outlook mailbox).
pub async fn configured_sender(
    transport: &EmailTransport,
    from: &str,
    secret: impl Fn(&'static str) -> SecretRead,
    ses: impl FnOnce() -> Box<dyn EmailSender>,
) -> Result<ConfiguredSender, HitlError> {
    Ok(match transport {
        EmailTransport::Ses => ConfiguredSender {
            sender: ses(),
            connection_urls: Vec::new(),
        },
        EmailTransport::Smtp(smtp) => {
            let password = secret(SMTP_PASSWORD).await?;
            ConfiguredSender {
                sender: Box::new(SmtpSender::new(smtp, password.as_ref())?),
                connection_urls: Vec::new(),
            }
        }
        EmailTransport::Outlook(outlook) => {
            let client_secret = secret(OUTLOOK_CLIENT_SECRET).await?.ok_or_else(|| {
                HitlError::Config(format!(
                    "EMAIL_TRANSPORT is outlook but no client secret is set ({OUTLOOK_CLIENT_SECRET})"
                ))
            })?;
            let sender = OutlookSender::new(outlook, &client_secret, from)?;
            ConfiguredSender {
                connection_urls: sender.connection_urls(),
                sender: Box::new(sender),
            }
        }
    })
}
