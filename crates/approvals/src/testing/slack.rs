//! Slack's Web API in memory: keeps what was posted, updated and said to whom, and fails as
//! told (the next updates, or every ephemeral note).

use std::sync::Mutex;

use async_trait::async_trait;

use crate::ports::{SlackMessage, SlackMessenger};
use crate::{HitlError, MessageRef, Retry, SlackUserId};

/// The people `users.lookupByEmail` finds: `(email, user id)`.
/// Bob has a second address, `robert@corp.com`, on the same account.
pub const PEOPLE: &[(&str, &str)] = &[
    ("alice@corp.com", "U0ALICE"),
    ("bob@corp.com", "U0BOB"),
    ("robert@corp.com", "U0BOB"),
];

/// The `ts` of the n-th post is `{TS_BASE}.{n:06}`.
pub const TS_BASE: i64 = 1_800_000_000;

#[derive(Default)]
pub struct FakeSlack {
    /// `(channel as given, message)` of every post.
    pub posted: Mutex<Vec<(String, SlackMessage)>>,
    pub updated: Mutex<Vec<(MessageRef, SlackMessage)>>,
    /// `(channel, user, text)` of every ephemeral note.
    pub ephemeral: Mutex<Vec<(String, String, String)>>,
    /// Errors the next updates answer with, in order (then updates succeed again).
    pub update_errors: Mutex<Vec<HitlError>>,
    /// Set: every ephemeral post fails with it.
    pub ephemeral_error: Mutex<Option<HitlError>>,
    /// Every address looked up.
    pub lookups: Mutex<Vec<String>>,
    /// `(trigger_id, view)` of every modal opened.
    pub views: Mutex<Vec<(String, serde_json::Value)>>,
    /// Set: `views.open` fails with it (an expired trigger, say).
    pub view_error: Mutex<Option<HitlError>>,
}

impl FakeSlack {
    /// The texts of the ephemeral notes, in order.
    pub fn ephemeral_texts(&self) -> Vec<String> {
        let notes = self.ephemeral.lock().unwrap();
        notes.iter().map(|(_, _, text)| text.clone()).collect()
    }
}

#[async_trait]
impl SlackMessenger for FakeSlack {
    /// A user id (`U…`) opens a DM (`D0DM`); anything else posts in `C0APPROVALS`.
    async fn post(&self, channel: &str, message: &SlackMessage) -> Result<MessageRef, HitlError> {
        let mut posted = self.posted.lock().unwrap();
        posted.push((channel.to_string(), message.clone()));
        Ok(MessageRef {
            channel: if channel.starts_with('U') {
                "D0DM".into()
            } else {
                "C0APPROVALS".into()
            },
            ts: format!("{TS_BASE}.{:06}", posted.len()),
        })
    }

    async fn update(&self, target: &MessageRef, message: &SlackMessage) -> Result<(), HitlError> {
        let mut errors = self.update_errors.lock().unwrap();
        if !errors.is_empty() {
            return Err(errors.remove(0));
        }
        let update = (target.clone(), message.clone());
        self.updated.lock().unwrap().push(update);
        Ok(())
    }

    async fn post_ephemeral(
        &self,
        channel: &str,
        user: &SlackUserId,
        text: &str,
    ) -> Result<(), HitlError> {
        if let Some(err) = self.ephemeral_error.lock().unwrap().clone() {
            return Err(err);
        }
        let note = (channel.to_string(), user.to_string(), text.to_string());
        self.ephemeral.lock().unwrap().push(note);
        Ok(())
    }

    async fn open_view(&self, trigger_id: &str, view: &serde_json::Value) -> Result<(), HitlError> {
        if let Some(err) = self.view_error.lock().unwrap().clone() {
            return Err(err);
        }
        let opened = (trigger_id.to_string(), view.clone());
        self.views.lock().unwrap().push(opened);
        Ok(())
    }

    /// [`PEOPLE`] (case-insensitively, as Slack); anyone else is `Slack.UserNotFound`.
    async fn lookup_user_by_email(&self, email: &str) -> Result<String, HitlError> {
        self.lookups.lock().unwrap().push(email.to_string());
        PEOPLE
            .iter()
            .find(|(address, _)| address.eq_ignore_ascii_case(email))
            .map(|(_, id)| id.to_string())
            .ok_or_else(|| {
                HitlError::failed_dependency(
                    "Slack.UserNotFound",
                    "users.lookupByEmail: users_not_found",
                    Retry::Never,
                )
            })
    }
}
