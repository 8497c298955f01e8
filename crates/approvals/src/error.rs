//! The one error type of the domain. Each variant maps to exactly one error name that a Step
//! Functions `Retry`/`Catch` can target (see [`HitlError::name`]).

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum HitlError {
    /// The caller sent something we cannot act on. The message says which field and why.
    #[error("{0}")]
    InvalidInput(String),
    /// No approval with this id exists (never created, or its record already expired via TTL).
    #[error("approval {0} was not found")]
    NotFound(String),
    /// A link whose signature, key id or fields do not check out.
    #[error("the link is not valid: {0}")]
    InvalidLink(String),
    /// The approval window has passed.
    #[error("the approval expired at {0}")]
    Expired(String),
    /// A request with this id exists already (an idempotent retry finds its first attempt).
    #[error("approval {0} exists already")]
    AlreadyExists(String),
    /// Somebody decided first; the message names who, what and when.
    #[error("already decided: {0}")]
    AlreadyDecided(String),
    /// The function is deployed with missing or malformed configuration.
    #[error("configuration error: {0}")]
    Config(String),
    /// A dependency failed in a way that is worth retrying (throttling, 5xx, timeouts).
    #[error("temporary failure of {dependency}: {message}")]
    Transient { dependency: String, message: String },
    /// A dependency failed for good (access denied, validation error, ...).
    #[error("{dependency} failed: {message}")]
    DependencyFailed { dependency: String, message: String },
    /// The mail service refused the message (unverified sender or recipient, bad address).
    #[error("the email was rejected: {0}")]
    EmailRejected(String),
    /// Slack, Teams, Jira, an SMTP server or Outlook answered with an error; named
    /// `{Service}.{Kind}` (`Slack.RateLimited`, `Jira.TransitionNotFound`, `Smtp.Unauthorized`,
    /// ...).
    #[error("{service:?} {kind:?}: {message}")]
    Service {
        service: Service,
        kind: ServiceErrorKind,
        message: String,
    },
}

/// The chat, ticketing and mail services we talk to besides AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Slack,
    Teams,
    Jira,
    /// An SMTP server (the `smtp` email transport).
    Smtp,
    /// Microsoft Graph `sendMail` and its token endpoint (the `outlook` email transport).
    Outlook,
}

/// What went wrong with a service, as far as a workflow's `Retry`/`Catch` cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceErrorKind {
    /// 429 (after our own bounded retries): retry later, e.g. with an ASL `Retry`.
    RateLimited,
    /// 5xx or a network failure: worth retrying.
    Unavailable,
    /// The token or credentials were refused (401/403, Slack `invalid_auth`...).
    Unauthorized,
    /// Slack `channel_not_found`/`user_not_found`, a Teams webhook or chat that does not exist.
    ChannelNotFound,
    /// Slack `users_not_found`: no person in the workspace has that email address.
    UserNotFound,
    /// Slack `not_in_channel`: the bot must be invited first.
    NotInChannel,
    /// Slack `message_not_found` (update of a message that is gone).
    MessageNotFound,
    /// The message itself was refused (Slack `invalid_blocks`, a Teams card over 28 KB...).
    InvalidMessage,
    /// Jira: no issue with that key (or no permission to see it).
    IssueNotFound,
    /// Jira: the issue has no transition with that name or to that status.
    TransitionNotFound,
    /// Outlook: the sending mailbox does not exist or has no mailbox (Graph `ErrorInvalidUser`,
    /// `MailboxNotEnabledForRESTAPI`).
    MailboxNotFound,
    /// Teams: the bot cannot open a 1:1 chat with the person (its app is not installed for
    /// them, they blocked it, or an admin disabled it: Bot Connector 403).
    BotNotInstalled,
    /// Any other error the service named; the message carries its code.
    ApiError,
    /// A post that is not safe to repeat failed ambiguously (timed out after it was sent, a
    /// 5xx, a connection dropped mid-answer): it may or may not have gone out. Not transient:
    /// a blind retry can post it twice.
    Unconfirmed,
}

impl ServiceErrorKind {
    fn name(self, service: Service) -> &'static str {
        use ServiceErrorKind::*;
        macro_rules! named {
            ($prefix:literal) => {
                match self {
                    RateLimited => concat!($prefix, ".RateLimited"),
                    Unavailable => concat!($prefix, ".Unavailable"),
                    Unauthorized => concat!($prefix, ".Unauthorized"),
                    ChannelNotFound => concat!($prefix, ".ChannelNotFound"),
                    NotInChannel => concat!($prefix, ".NotInChannel"),
                    MessageNotFound => concat!($prefix, ".MessageNotFound"),
                    InvalidMessage => concat!($prefix, ".InvalidMessage"),
                    UserNotFound => concat!($prefix, ".UserNotFound"),
                    IssueNotFound => concat!($prefix, ".IssueNotFound"),
                    TransitionNotFound => concat!($prefix, ".TransitionNotFound"),
                    MailboxNotFound => concat!($prefix, ".MailboxNotFound"),
                    BotNotInstalled => concat!($prefix, ".BotNotInstalled"),
                    ApiError => concat!($prefix, ".ApiError"),
                    Unconfirmed => concat!($prefix, ".Unconfirmed"),
                }
            };
        }
        match service {
            Service::Slack => named!("Slack"),
            Service::Teams => named!("Teams"),
            Service::Jira => named!("Jira"),
            Service::Smtp => named!("Smtp"),
            Service::Outlook => named!("Outlook"),
        }
    }
}

impl HitlError {
    /// The error name Step Functions sees (`errorType`), stable across releases.
    pub fn name(&self) -> &'static str {
        match self {
            HitlError::InvalidInput(_) => "Hitl.InvalidInput",
            HitlError::NotFound(_) => "Hitl.NotFound",
            HitlError::InvalidLink(_) => "Hitl.InvalidLink",
            HitlError::Expired(_) => "Hitl.Expired",
            HitlError::AlreadyExists(_) => "Hitl.AlreadyExists",
            HitlError::AlreadyDecided(_) => "Hitl.AlreadyDecided",
            HitlError::Config(_) => "Hitl.Config",
            HitlError::Transient { .. } => "Hitl.Transient",
            HitlError::DependencyFailed { .. } => "Hitl.DependencyFailed",
            HitlError::EmailRejected(_) => "Hitl.EmailRejected",
            HitlError::Service { service, kind, .. } => kind.name(*service),
        }
    }

    pub fn service(service: Service, kind: ServiceErrorKind, message: impl Into<String>) -> Self {
        HitlError::Service {
            service,
            kind,
            message: message.into(),
        }
    }

    /// Worth retrying as is (throttling, 5xx).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            HitlError::Transient { .. }
                | HitlError::Service {
                    kind: ServiceErrorKind::RateLimited | ServiceErrorKind::Unavailable,
                    ..
                }
        )
    }

    pub fn invalid_input(message: impl Into<String>) -> Self {
        HitlError::InvalidInput(message.into())
    }

    pub fn transient(dependency: impl Into<String>, message: impl Into<String>) -> Self {
        HitlError::Transient {
            dependency: dependency.into(),
            message: message.into(),
        }
    }

    pub fn dependency(dependency: impl Into<String>, message: impl Into<String>) -> Self {
        HitlError::DependencyFailed {
            dependency: dependency.into(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_a_hitl_prefixed_name() {
        let all = [
            HitlError::invalid_input("x"),
            HitlError::NotFound("x".into()),
            HitlError::InvalidLink("x".into()),
            HitlError::Expired("x".into()),
            HitlError::AlreadyDecided("x".into()),
            HitlError::Config("x".into()),
            HitlError::transient("DynamoDB", "x"),
            HitlError::dependency("DynamoDB", "x"),
            HitlError::EmailRejected("x".into()),
        ];
        let names: std::collections::HashSet<_> = all.iter().map(|e| e.name()).collect();
        assert_eq!(names.len(), all.len(), "names must be distinct");
        assert!(names.iter().all(|n| n.starts_with("Hitl.")));
    }

    #[test]
    fn service_errors_are_named_after_the_service() {
        let e = HitlError::service(
            Service::Slack,
            ServiceErrorKind::RateLimited,
            "retry in 30 s",
        );
        assert_eq!(e.name(), "Slack.RateLimited");
        assert!(e.is_transient());
        let e = HitlError::service(
            Service::Jira,
            ServiceErrorKind::TransitionNotFound,
            "no Done",
        );
        assert_eq!(e.name(), "Jira.TransitionNotFound");
        assert!(!e.is_transient());
        assert_eq!(
            HitlError::service(Service::Teams, ServiceErrorKind::InvalidMessage, "x").name(),
            "Teams.InvalidMessage"
        );
        assert_eq!(
            HitlError::service(Service::Smtp, ServiceErrorKind::Unauthorized, "x").name(),
            "Smtp.Unauthorized"
        );
        assert_eq!(
            HitlError::service(Service::Outlook, ServiceErrorKind::MailboxNotFound, "x").name(),
            "Outlook.MailboxNotFound"
        );
    }

    #[test]
    fn an_unconfirmed_post_is_named_and_not_worth_a_blind_retry() {
        for (service, name) in [
            (Service::Slack, "Slack.Unconfirmed"),
            (Service::Teams, "Teams.Unconfirmed"),
            (Service::Jira, "Jira.Unconfirmed"),
        ] {
            let e = HitlError::service(service, ServiceErrorKind::Unconfirmed, "timed out");
            assert_eq!(e.name(), name);
            assert!(!e.is_transient(), "a retry could post it twice");
        }
    }
}
