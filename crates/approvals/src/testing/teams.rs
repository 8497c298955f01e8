//! A Teams webhook that keeps what was posted, or fails as told.

use async_trait::async_trait;

use crate::ports::{PostedMessage, TeamsMessage, TeamsMessenger, Via};
use crate::HitlError;

/// Records every post and answers as the webhook does, or fails.
#[derive(Default)]
pub struct FakeTeams {
    pub posted: std::sync::Mutex<Vec<TeamsMessage>>,
    pub fail_with: std::sync::Mutex<Option<HitlError>>,
    /// What went to a person's 1:1 chat (`user`), with their address.
    pub to_users: std::sync::Mutex<Vec<(String, TeamsMessage)>>,
}

#[async_trait]
impl TeamsMessenger for FakeTeams {
    async fn post(&self, message: &TeamsMessage) -> Result<PostedMessage, HitlError> {
        if let Some(err) = self.fail_with.lock().unwrap().clone() {
            return Err(err);
        }
        self.posted.lock().unwrap().push(message.clone());
        Ok(PostedMessage { via: Via::Webhook })
    }

    async fn post_to_user(
        &self,
        email: &str,
        message: &TeamsMessage,
    ) -> Result<PostedMessage, HitlError> {
        if let Some(err) = self.fail_with.lock().unwrap().clone() {
            return Err(err);
        }
        let sent = (email.to_string(), message.clone());
        self.to_users.lock().unwrap().push(sent);
        Ok(PostedMessage { via: Via::Bot })
    }
}
