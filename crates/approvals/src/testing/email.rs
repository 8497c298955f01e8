//! An email sender that keeps what it was given.

use std::sync::Mutex;

use async_trait::async_trait;

use crate::ports::{EmailSender, OutgoingEmail};
use crate::HitlError;

/// Records every email; each gets a message id.
#[derive(Default)]
pub struct FakeEmailSender {
    pub sent: Mutex<Vec<OutgoingEmail>>,
}

#[async_trait]
impl EmailSender for FakeEmailSender {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, HitlError> {
        let mut sent = self.sent.lock().unwrap();
        sent.push(email.clone());
        Ok(format!("msg-{}", sent.len()))
    }
}
