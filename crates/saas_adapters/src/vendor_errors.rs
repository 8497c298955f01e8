//! Each adapter's own error type, and the one place its kinds become the names Step Functions
//! sees (`Slack.RateLimited`, `Jira.TransitionNotFound`, ...): `From<SlackError> for
//! HitlError` and its siblings, all made by [`vendor_error!`]. The model keeps the name and
//! what a retry can do ([`Retry`]), never the vendor.
//!
//! Every adapter's kinds start with what any HTTP call can end in ([`CallFailure`], which
//! [`crate::service_calls`] reports without knowing whose call it was) and add the vendor's
//! own.

use approvals::Retry;

/// How a call to any service failed, before its adapter names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallFailure {
    /// 429 (after our own bounded retries): retry later, e.g. with an ASL `Retry`.
    RateLimited,
    /// 5xx or a network failure: worth retrying.
    Unavailable,
    /// The token or credentials were refused (401/403).
    Unauthorized,
    /// 404: the channel, chat or webhook addressed does not exist.
    ChannelNotFound,
    /// The message itself was refused (413, a card or blocks the service rejects).
    InvalidMessage,
    /// Any other error the service named; the message carries its code.
    ApiError,
    /// A post that is not safe to repeat failed ambiguously: it may or may not have gone out.
    Unconfirmed,
}

impl CallFailure {
    /// What retrying can do after this failure.
    pub const fn retry(self) -> Retry {
        match self {
            CallFailure::RateLimited => Retry::Later,
            CallFailure::Unavailable => Retry::Soon,
            CallFailure::ChannelNotFound => Retry::Gone,
            CallFailure::Unconfirmed => Retry::Unsafe,
            CallFailure::Unauthorized | CallFailure::InvalidMessage | CallFailure::ApiError => {
                Retry::Never
            }
        }
    }
}

/// An adapter's error type, as [`crate::service_calls::ServiceHttp`] needs it: the service's
/// name (for logs) and the error a failed call becomes.
pub trait VendorError: Into<approvals::HitlError> {
    /// `Slack`, `Jira`, ...: the first part of every name the adapter gives.
    const SERVICE: &'static str;
    /// The error for a call [`crate::service_calls`] reports as failed.
    fn call_failed(failure: CallFailure, message: String) -> approvals::HitlError;
}

/// Declares an adapter's error type `$error` (thiserror) with its kinds `$kind`: the kinds
/// every call has ([`CallFailure`]'s) and the vendor's own, each with what a retry can do; and
/// the one `From<$error> for HitlError`, which names each kind `{$prefix}.{Kind}`.
macro_rules! vendor_error {
    (
        $(#[$doc:meta])* $error:ident, $kind:ident, $prefix:literal,
        { $($(#[$kdoc:meta])* $own:ident => $retry:ident),* $(,)? }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        #[error("{kind:?}: {message}")]
        pub struct $error {
            pub kind: $kind,
            pub message: String,
        }

        /// What went wrong, as far as a workflow's `Retry`/`Catch` cares.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $kind {
            RateLimited,
            Unavailable,
            Unauthorized,
            ChannelNotFound,
            InvalidMessage,
            ApiError,
            Unconfirmed,
            $($(#[$kdoc])* $own,)*
        }

        impl $error {
            pub fn new(kind: $kind, message: impl Into<String>) -> Self {
                $error { kind, message: message.into() }
            }
        }

        impl $crate::vendor_errors::VendorError for $error {
            const SERVICE: &'static str = $prefix;

            fn call_failed(failure: $crate::vendor_errors::CallFailure, message: String) -> approvals::HitlError {
                use $crate::vendor_errors::CallFailure as F;
                let kind = match failure {
                    F::RateLimited => $kind::RateLimited,
                    F::Unavailable => $kind::Unavailable,
                    F::Unauthorized => $kind::Unauthorized,
                    F::ChannelNotFound => $kind::ChannelNotFound,
                    F::InvalidMessage => $kind::InvalidMessage,
                    F::ApiError => $kind::ApiError,
                    F::Unconfirmed => $kind::Unconfirmed,
                };
                $error::new(kind, message).into()
            }
        }

        impl $kind {
            /// The name Step Functions sees, and what a retry can do.
            pub const fn named(self) -> (&'static str, approvals::Retry) {
                use $crate::vendor_errors::CallFailure as F;
                match self {
                    $kind::RateLimited => (concat!($prefix, ".RateLimited"), F::RateLimited.retry()),
                    $kind::Unavailable => (concat!($prefix, ".Unavailable"), F::Unavailable.retry()),
                    $kind::Unauthorized => (concat!($prefix, ".Unauthorized"), F::Unauthorized.retry()),
                    $kind::ChannelNotFound => (concat!($prefix, ".ChannelNotFound"), F::ChannelNotFound.retry()),
                    $kind::InvalidMessage => (concat!($prefix, ".InvalidMessage"), F::InvalidMessage.retry()),
                    $kind::ApiError => (concat!($prefix, ".ApiError"), F::ApiError.retry()),
                    $kind::Unconfirmed => (concat!($prefix, ".Unconfirmed"), F::Unconfirmed.retry()),
                    $($kind::$own => (concat!($prefix, ".", stringify!($own)), approvals::Retry::$retry),)*
                }
            }
        }

        impl From<$error> for approvals::HitlError {
            fn from(error: $error) -> Self {
                let (name, retry) = error.kind.named();
                approvals::HitlError::failed_dependency(name, error.message, retry)
            }
        }
    };
}
pub(crate) use vendor_error;

#[cfg(test)]
mod tests {
    use approvals::{HitlError, Retry};

    use crate::jira::{JiraError, JiraErrorKind};
    use crate::outlook::{OutlookError, OutlookErrorKind};
    use crate::slack::{SlackError, SlackErrorKind};
    use crate::smtp::{SmtpError, SmtpErrorKind};
    use crate::teams::{TeamsError, TeamsErrorKind};

    #[test]
    fn each_adapter_names_its_errors_after_its_service() {
        let named = |e: HitlError| (e.name(), e.is_transient());
        assert_eq!(
            named(SlackError::new(SlackErrorKind::RateLimited, "retry in 30 s").into()),
            ("Slack.RateLimited", true)
        );
        assert_eq!(
            named(JiraError::new(JiraErrorKind::TransitionNotFound, "no Done").into()),
            ("Jira.TransitionNotFound", false)
        );
        assert_eq!(
            named(TeamsError::new(TeamsErrorKind::InvalidMessage, "x").into()),
            ("Teams.InvalidMessage", false)
        );
        assert_eq!(
            named(SmtpError::new(SmtpErrorKind::Unauthorized, "x").into()),
            ("Smtp.Unauthorized", false)
        );
        assert_eq!(
            named(OutlookError::new(OutlookErrorKind::MailboxNotFound, "x").into()),
            ("Outlook.MailboxNotFound", false)
        );
        assert_eq!(
            named(OutlookError::new(OutlookErrorKind::Unavailable, "x").into()),
            ("Outlook.Unavailable", true)
        );
    }

    #[test]
    fn an_unconfirmed_post_is_named_and_not_worth_a_blind_retry() {
        let all: [HitlError; 3] = [
            SlackError::new(SlackErrorKind::Unconfirmed, "timed out").into(),
            TeamsError::new(TeamsErrorKind::Unconfirmed, "timed out").into(),
            JiraError::new(JiraErrorKind::Unconfirmed, "timed out").into(),
        ];
        let names: Vec<_> = all.iter().map(|e| e.name()).collect();
        assert_eq!(
            names,
            ["Slack.Unconfirmed", "Teams.Unconfirmed", "Jira.Unconfirmed"]
        );
        for e in all {
            assert!(!e.is_transient(), "a retry could post it twice");
            assert_eq!(e.retry(), Some(Retry::Unsafe));
        }
    }

    #[test]
    fn a_message_or_channel_that_is_gone_says_so_without_naming_the_vendor() {
        for kind in [
            SlackErrorKind::MessageNotFound,
            SlackErrorKind::ChannelNotFound,
        ] {
            let e: HitlError = SlackError::new(kind, "x").into();
            assert_eq!(e.retry(), Some(Retry::Gone), "{kind:?}");
        }
        let e: HitlError = SlackError::new(SlackErrorKind::NotInChannel, "x").into();
        assert_eq!(e.retry(), Some(Retry::Never));
    }
}
