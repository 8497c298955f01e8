//! Which service carries email (`EMAIL_TRANSPORT`), and that service's settings. Secrets (the
//! SMTP password, the Outlook app's client secret) are not here: the environment holds only
//! their ids (`SMTP_PASSWORD_SECRET_ID`, `OUTLOOK_CLIENT_SECRET_SECRET_ID`).

use approvals::HitlError;

use crate::Settings;

/// Microsoft's identity platform and Graph, unless `OUTLOOK_LOGIN_URL` / `OUTLOOK_GRAPH_URL`
/// say otherwise (a national cloud, the local stand-in).
pub const DEFAULT_LOGIN_URL: &str = "https://login.microsoftonline.com";
pub const DEFAULT_GRAPH_URL: &str = "https://graph.microsoft.com";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailTransport {
    /// Amazon SES (v2 `SendEmail`), the default.
    Ses,
    Smtp(SmtpSettings),
    /// Microsoft Graph `sendMail` from the `SENDER_EMAIL` mailbox, with an app-only token.
    Outlook(OutlookSettings),
}

impl EmailTransport {
    pub fn name(&self) -> &'static str {
        match self {
            EmailTransport::Ses => "ses",
            EmailTransport::Smtp(_) => "smtp",
            EmailTransport::Outlook(_) => "outlook",
        }
    }
}

/// How the SMTP connection is encrypted; never in clear text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// A plain connection upgraded with `STARTTLS` before anything else (port 587).
    StartTls,
    /// TLS from the first byte ("implicit TLS", port 465).
    Tls,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// The account to authenticate as; none: no authentication (a relay that trusts the
    /// network).
    pub username: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutlookSettings {
    /// The Entra ID (Azure AD) tenant: its id or a verified domain.
    pub tenant_id: String,
    /// The app registration's application (client) id.
    pub client_id: String,
    pub login_url: String,
    pub graph_url: String,
}

impl Settings {
    /// The transport `EMAIL_TRANSPORT` names (`ses` when unset) with its settings.
    pub fn email_transport(&self) -> Result<EmailTransport, HitlError> {
        let name = self.optional("EMAIL_TRANSPORT").unwrap_or("ses");
        match name.to_ascii_lowercase().as_str() {
            "ses" => Ok(EmailTransport::Ses),
            "smtp" => self.smtp().map(EmailTransport::Smtp),
            "outlook" => self.outlook().map(EmailTransport::Outlook),
            _ => Err(HitlError::Config(format!(
                "EMAIL_TRANSPORT {name:?} is not one of ses, smtp, outlook"
            ))),
        }
    }

    /// `SMTP_HOST`, `SMTP_PORT` (587 with STARTTLS, 465 with TLS when unset), `SMTP_SECURITY`
    /// (`starttls` when unset, or `tls`) and `SMTP_USERNAME`.
    pub fn smtp(&self) -> Result<SmtpSettings, HitlError> {
        let host = self.required("SMTP_HOST")?;
        if host.contains(|c: char| c.is_whitespace() || c == '/' || c == ':') {
            return Err(HitlError::Config(format!(
                "SMTP_HOST {host:?} must be a host name or an IP address (the port goes in SMTP_PORT)"
            )));
        }
        let security = match self.optional("SMTP_SECURITY").map(str::to_ascii_lowercase) {
            None => SmtpSecurity::StartTls,
            Some(s) if s == "starttls" => SmtpSecurity::StartTls,
            Some(s) if s == "tls" => SmtpSecurity::Tls,
            Some(other) => {
                return Err(HitlError::Config(format!(
                "SMTP_SECURITY {other:?} is not starttls or tls (clear-text SMTP is not supported)"
            )))
            }
        };
        let port = match self.optional("SMTP_PORT") {
            None => match security {
                SmtpSecurity::StartTls => 587,
                SmtpSecurity::Tls => 465,
            },
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| HitlError::Config(format!("SMTP_PORT {p:?} is not a port")))?,
        };
        Ok(SmtpSettings {
            host: host.to_string(),
            port,
            security,
            username: self.optional("SMTP_USERNAME").map(str::to_string),
        })
    }

    /// `OUTLOOK_TENANT_ID`, `OUTLOOK_CLIENT_ID`, and `OUTLOOK_LOGIN_URL` / `OUTLOOK_GRAPH_URL`
    /// (Microsoft's global cloud when unset).
    pub fn outlook(&self) -> Result<OutlookSettings, HitlError> {
        let tenant_id = self.required("OUTLOOK_TENANT_ID")?;
        // It goes into the token URL's path.
        if !tenant_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            return Err(HitlError::Config(format!(
                "OUTLOOK_TENANT_ID {tenant_id:?} must be a tenant id (a GUID) or a domain"
            )));
        }
        let url = |name: &str, default: &str| {
            let url = self.optional(name).unwrap_or(default);
            if url.starts_with("https://") || url.starts_with("http://") {
                Ok(url.trim_end_matches('/').to_string())
            } else {
                Err(HitlError::Config(format!("{name} must be an http(s) URL")))
            }
        };
        Ok(OutlookSettings {
            tenant_id: tenant_id.to_string(),
            client_id: self.required("OUTLOOK_CLIENT_ID")?.to_string(),
            login_url: url("OUTLOOK_LOGIN_URL", DEFAULT_LOGIN_URL)?,
            graph_url: url("OUTLOOK_GRAPH_URL", DEFAULT_GRAPH_URL)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Settings {
        Settings::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn ses_is_the_default_and_unknown_transports_are_config_errors() {
        assert_eq!(
            settings(&[]).email_transport().unwrap(),
            EmailTransport::Ses
        );
        let err = settings(&[("EMAIL_TRANSPORT", "pigeon")])
            .email_transport()
            .unwrap_err();
        assert_eq!(err.name(), "Hitl.Config");
        assert!(err.to_string().contains("pigeon"), "{err}");
    }

    #[test]
    fn smtp_needs_a_host_and_defaults_its_port_to_its_security() {
        let err = settings(&[("EMAIL_TRANSPORT", "smtp")])
            .email_transport()
            .unwrap_err();
        assert!(err.to_string().contains("SMTP_HOST"), "{err}");
        let smtp = settings(&[("SMTP_HOST", "smtp.corp.com")]).smtp().unwrap();
        assert_eq!(
            (smtp.port, smtp.security, smtp.username),
            (587, SmtpSecurity::StartTls, None)
        );
        let smtp = settings(&[
            ("SMTP_HOST", "smtp.corp.com"),
            ("SMTP_SECURITY", "TLS"),
            ("SMTP_USERNAME", "bot"),
        ])
        .smtp()
        .unwrap();
        assert_eq!((smtp.port, smtp.username.as_deref()), (465, Some("bot")));
        for (name, value) in [
            ("SMTP_SECURITY", "none"),
            ("SMTP_PORT", "70000"),
            ("SMTP_HOST", "smtp.corp.com:587"),
        ] {
            let s = settings(&[("SMTP_HOST", "smtp.corp.com"), (name, value)]);
            assert_eq!(
                s.smtp().unwrap_err().name(),
                "Hitl.Config",
                "{name}={value}"
            );
        }
    }

    #[test]
    fn outlook_needs_its_tenant_and_client_and_defaults_to_microsofts_cloud() {
        let err = settings(&[("OUTLOOK_TENANT_ID", "t")])
            .outlook()
            .unwrap_err();
        assert!(err.to_string().contains("OUTLOOK_CLIENT_ID"), "{err}");
        let o = settings(&[
            ("OUTLOOK_TENANT_ID", "corp.com"),
            ("OUTLOOK_CLIENT_ID", "c"),
        ])
        .outlook()
        .unwrap();
        assert_eq!(o.login_url, DEFAULT_LOGIN_URL);
        assert_eq!(o.graph_url, DEFAULT_GRAPH_URL);
        let bad = settings(&[("OUTLOOK_TENANT_ID", "a/../b"), ("OUTLOOK_CLIENT_ID", "c")]);
        assert_eq!(bad.outlook().unwrap_err().name(), "Hitl.Config");
    }
}
