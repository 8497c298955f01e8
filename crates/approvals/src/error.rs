//! The one error type of the domain. Each variant maps to exactly one error name that a Step
//! Functions `Retry`/`Catch` can target (see [`HitlError::name`]), except
//! [`HitlError::Dependency`], which carries the name the adapter of a chat, ticketing or mail
//! service gave its error (`Slack.RateLimited`): the model knows no vendor, only [`Retry`].

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
    /// A service outside AWS (a chat, ticketing or mail service) failed. Its adapter names it
    /// (`Slack.RateLimited`, `Jira.TransitionNotFound`, ...: the name Step Functions sees) and
    /// says what a retry can do; the model only ever looks at [`Retry`].
    #[error("{name}: {message}")]
    Dependency {
        name: &'static str,
        message: String,
        retry: Retry,
    },
}

/// What retrying a failed call to a service can do: the one thing about a vendor's error
/// the model acts on (a retry, a sweep that stops or moves on, a message given up).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Throttled: a retry after a pause helps (a 429 after our own bounded retries).
    Later,
    /// Down for now (a 5xx, a network failure): a retry helps.
    Soon,
    /// Refused for good: the same call fails the same way.
    Never,
    /// Refused for good because what the call addressed is gone (a deleted message, a channel
    /// that no longer exists): nothing is left to act on.
    Gone,
    /// A post that is not safe to repeat failed ambiguously (timed out after it was sent, a
    /// 5xx, a connection dropped mid-answer): it may or may not have gone out. Not worth a
    /// blind retry: it can post twice.
    Unsafe,
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
            HitlError::Dependency { name, .. } => name,
        }
    }

    /// A service's failure, named by its adapter (see [`HitlError::Dependency`]).
    pub fn failed_dependency(name: &'static str, message: impl Into<String>, retry: Retry) -> Self {
        HitlError::Dependency {
            name,
            message: message.into(),
            retry,
        }
    }

    /// What a retry can do, for a service's failure; `None` for every other error.
    pub fn retry(&self) -> Option<Retry> {
        match self {
            HitlError::Dependency { retry, .. } => Some(*retry),
            _ => None,
        }
    }

    /// Worth retrying as is (throttling, 5xx).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            HitlError::Transient { .. }
                | HitlError::Dependency {
                    retry: Retry::Later | Retry::Soon,
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
    fn a_dependency_keeps_the_name_its_adapter_gave_and_only_throttles_and_outages_are_transient() {
        let e = HitlError::failed_dependency("Slack.RateLimited", "retry in 30 s", Retry::Later);
        assert_eq!(e.name(), "Slack.RateLimited");
        assert_eq!(e.to_string(), "Slack.RateLimited: retry in 30 s");
        assert!(e.is_transient());
        assert!(HitlError::failed_dependency("x.Unavailable", "m", Retry::Soon).is_transient());
        for retry in [Retry::Never, Retry::Gone, Retry::Unsafe] {
            let e = HitlError::failed_dependency("Jira.TransitionNotFound", "no Done", retry);
            assert!(!e.is_transient(), "{retry:?}");
            assert_eq!(e.retry(), Some(retry));
        }
        assert_eq!(HitlError::NotFound("x".into()).retry(), None);
    }
}
