//! Identifiers that cross boundaries, as types: a request's id, the task token of the waiting
//! Task, a Slack user, an approver's address. Each is its string on the wire (serde
//! transparent) and reads as `&str` (`Deref`); a [`TaskToken`] is never printed (its `Debug`
//! hides it and it has no `Display`), and an [`ApproverAddress`] exists only once checked.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

use crate::HitlError;

/// The longest approval id we make is 36 characters (a UUID); a Slack message's is
/// `slack-<channel>-<ts>`. Anything longer, or with other characters, is not one of ours.
pub const MAX_APPROVAL_ID_CHARS: usize = 64;

/// Whether `id` could be an approval id we made: 1 to 64 ASCII letters, digits, `-`, `_`, `.`
/// (safe in a URL path, a log line, a Slack block id). What a caller, a URL or a card claims is
/// an approval id is used or logged only when it passes: an unchecked value could be a task
/// token, a link or 256 KB of anything.
pub fn plausible_approval_id(id: &str) -> bool {
    (1..=MAX_APPROVAL_ID_CHARS).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        /// Hashes and compares as its string, so maps keyed by the id are looked up by `&str`.
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

/// Ids whose every string is one (made by us or read from a checked input).
macro_rules! from_string {
    ($name:ident) => {
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map($name)
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                $name(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                $name(value.to_string())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// A request's id (`approvalId`).
    ApprovalId
);
from_string!(ApprovalId);

string_id!(
    /// A Slack user's id (`U0123ABCD`).
    SlackUserId
);
from_string!(SlackUserId);

string_id!(
    /// The token of a Task waiting with `.waitForTaskToken`: whoever holds it can resume the
    /// workflow, so it is never printed. `Debug` shows its length only; there is no `Display`.
    TaskToken
);

impl<'de> Deserialize<'de> for TaskToken {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(TaskToken)
    }
}

impl From<String> for TaskToken {
    fn from(value: String) -> Self {
        TaskToken(value)
    }
}

impl From<&str> for TaskToken {
    fn from(value: &str) -> Self {
        TaskToken(value.to_string())
    }
}

impl fmt::Debug for TaskToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskToken(<{} characters, redacted>)", self.0.len())
    }
}

string_id!(
    /// An approver's email address, checked and normalized once where it enters
    /// ([`ApproverAddress::parse`]: trimmed, lowercase, one `@`, a dotted domain).
    ApproverAddress
);

impl ApproverAddress {
    /// The address `raw` names, or `Hitl.InvalidInput` saying why it is none.
    pub fn parse(raw: &str) -> Result<Self, HitlError> {
        crate::approval::normalize_email(raw).map(ApproverAddress)
    }
}

impl fmt::Debug for ApproverAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for ApproverAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Read from outside input or from our own store alike, an address is checked (checking a
/// normalized address gives it back unchanged).
impl<'de> Deserialize<'de> for ApproverAddress {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        ApproverAddress::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_token_is_never_printed() {
        let token = TaskToken::from("AQCEAAAAKgAAAAMAAAAAAAAAAS3cr3t");
        let shown = format!("{token:?} {:?}", Some(&token));
        assert!(!shown.contains("S3cr3t"), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
        // On the wire it is the token itself.
        assert_eq!(
            serde_json::to_string(&token).unwrap(),
            "\"AQCEAAAAKgAAAAMAAAAAAAAAAS3cr3t\""
        );
        assert_eq!(&*token, "AQCEAAAAKgAAAAMAAAAAAAAAAS3cr3t");
    }

    #[test]
    fn ids_are_their_strings_on_the_wire() {
        let id: ApprovalId = serde_json::from_str("\"appr-1\"").unwrap();
        assert_eq!(id, "appr-1");
        assert_eq!(serde_json::to_value(&id).unwrap(), "appr-1");
        assert_eq!(format!("{id} {id:?}"), "appr-1 \"appr-1\"");
        // Keyed by id, looked up by the string it is (`Borrow<str>` hashes as the string).
        let by_id = std::collections::HashMap::from([(id.clone(), 1)]);
        assert_eq!(by_id.get("appr-1"), Some(&1));
        assert_eq!(id, "appr-1".to_string());
        let user = SlackUserId::from("U0ALICE");
        assert_eq!(user.as_str(), "U0ALICE");
    }

    #[test]
    fn an_approver_address_is_checked_once_where_it_enters() {
        let address = ApproverAddress::parse(" Alice@Corp.COM ").unwrap();
        assert_eq!(address, "alice@corp.com");
        for bad in ["alice", "alice@corp", "a b@corp.com", "@corp.com"] {
            let err = ApproverAddress::parse(bad).unwrap_err();
            assert_eq!(err.name(), "Hitl.InvalidInput", "{bad}");
        }
        let read: ApproverAddress = serde_json::from_str("\"Bob@Corp.com\"").unwrap();
        assert_eq!(read, "bob@corp.com");
        assert!(serde_json::from_str::<ApproverAddress>("\"bob\"").is_err());
    }
}
