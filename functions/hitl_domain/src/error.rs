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
}

impl HitlError {
    /// The error name Step Functions sees (`errorType`), stable across releases.
    pub fn name(&self) -> &'static str {
        match self {
            HitlError::InvalidInput(_) => "Hitl.InvalidInput",
            HitlError::NotFound(_) => "Hitl.NotFound",
            HitlError::InvalidLink(_) => "Hitl.InvalidLink",
            HitlError::Expired(_) => "Hitl.Expired",
            HitlError::AlreadyDecided(_) => "Hitl.AlreadyDecided",
            HitlError::Config(_) => "Hitl.Config",
            HitlError::Transient { .. } => "Hitl.Transient",
            HitlError::DependencyFailed { .. } => "Hitl.DependencyFailed",
            HitlError::EmailRejected(_) => "Hitl.EmailRejected",
        }
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
}
