//! Sending email: the messages (rendered by `channels::email`) through the [`EmailSender`]
//! port, a few at a time.

use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use crate::ports::{EmailSender, OutgoingEmail};
use crate::HitlError;

/// Emails sent at once by one Send Email.
pub const MAX_PARALLEL_SENDS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendEmailOutput {
    pub message_ids: Vec<String>,
    pub sent: usize,
}

/// Sends `emails`; fails with the first failure.
pub async fn send_emails(
    emails: &[OutgoingEmail],
    sender: &dyn EmailSender,
) -> Result<SendEmailOutput, HitlError> {
    // Ten at a time: fifty approvers take five rounds of one send each, well inside the
    // function's timeout, where one after another would not.
    let message_ids: Vec<String> = stream::iter(emails)
        .map(|email| sender.send(email))
        .buffered(MAX_PARALLEL_SENDS)
        .try_collect()
        .await?;
    Ok(SendEmailOutput {
        sent: message_ids.len(),
        message_ids,
    })
}
