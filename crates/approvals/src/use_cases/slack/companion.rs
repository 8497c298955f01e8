//! Slack Request Action with `approvalId`: the request Create Approval Links made is posted to
//! Slack too, as a companion message of it ([`crate::approval::Companion`]). Its buttons decide
//! the same request as the emailed links (whichever answers first, or the quorum, settles it);
//! the wait stays Wait For Approval's, so nothing here touches a task token.
//!
//! The approvers are named by address on the request; Slack names them by user id. Each is
//! looked up once here and kept on the record beside their address, so a click fills the same
//! slot as that person's link, and counts once.

use futures_util::stream::{self, StreamExt, TryStreamExt};

use super::{resolve, Destination, RequestActionOutput};
use crate::approval::{rfc3339, ChannelIdentities, Companion};
use crate::buttons::ChoiceButton;
use crate::ports::{ChatApprovals, Persona, SlackMessage, SlackMessenger, Unfurl};
use crate::{ApprovalId, ApprovalRecord, Channel, HitlError};

/// Addresses looked up in Slack at once (as the Teams bot resolves its approvers).
pub const MAX_PARALLEL_LOOKUPS: usize = 10;

/// A checked Request Action naming an existing request: where and how to post it. What the
/// message asks (title, approvers, quorum, buttons, expiry) is the request's own.
#[derive(Debug, Clone, PartialEq)]
pub struct SlackCompanionPost {
    pub approval_id: String,
    pub destination: Destination,
    /// The message's heading (`header`), if any.
    pub header: Option<String>,
    /// What is being asked (Slack mrkdwn).
    pub text: String,
    pub thread_ts: Option<String>,
    pub persona: Persona,
    pub unfurl: Unfurl,
}

/// The request's message as Slack shows it, rendered by `channels::slack` (Block Kit): the
/// heading, the text and the buttons, whose block names the request as a new request's does.
pub trait SlackRequestFormat: Send + Sync {
    /// `buttons` empty: Approve and Reject.
    fn request_message(
        &self,
        approval_id: &str,
        header: Option<&str>,
        text: &str,
        buttons: &[ChoiceButton],
    ) -> SlackMessage;
}

/// Posts the request to Slack and attaches the message to it, with the approvers' and the
/// requester's Slack ids. `Hitl.NotFound` for an unknown request, `Hitl.InvalidInput` for one a
/// chat channel's Request Action made, `Hitl.Expired` for one that expired undecided (nothing is
/// posted then). A request decided already is posted all the same: the relay shows its outcome
/// on the new message at once.
pub async fn post_to_request(
    post: SlackCompanionPost,
    store: &dyn ChatApprovals,
    slack: &dyn SlackMessenger,
    format: &dyn SlackRequestFormat,
    now: i64,
) -> Result<RequestActionOutput, HitlError> {
    let id = ApprovalId::from(post.approval_id.as_str());
    let record = store
        .get(&id)
        .await?
        .ok_or_else(|| HitlError::NotFound(post.approval_id.clone()))?;
    record.check_postable("Slack", now)?;
    let identities = slack_identities(&record, slack).await?;
    identities.check_distinct(&record.approvers, "Slack")?;
    let destination = resolve(post.destination, slack).await?;
    let message = SlackMessage {
        thread_ts: post.thread_ts,
        persona: post.persona,
        unfurl: post.unfurl,
        ..format.request_message(
            id.as_str(),
            post.header.as_deref(),
            &post.text,
            &record.buttons,
        )
    };
    let posted = slack.post(&destination, &message).await?;
    let shown = message.blocks.as_deref().and_then(super::shown_blocks);
    let companion = Companion {
        channel: Channel::Slack,
        message: posted.clone(),
        shown,
    };
    store
        .attach_companion(&id, &companion, &identities, now)
        .await?;
    Ok(RequestActionOutput {
        approval_id: post.approval_id,
        channel: posted.channel,
        ts: posted.ts,
        expires_at: rfc3339(record.expires_at),
    })
}

/// The approvers' Slack ids, in order (`""` for an address nobody in the workspace has: that
/// approver answers by email or Teams only), and the requester's.
async fn slack_identities(
    record: &ApprovalRecord,
    slack: &dyn SlackMessenger,
) -> Result<ChannelIdentities, HitlError> {
    let approvers: Vec<String> = stream::iter(record.approvers.iter())
        .map(|address| slack_id(address, slack))
        .buffered(MAX_PARALLEL_LOOKUPS)
        .try_collect()
        .await?;
    let requester = match &record.requested_by {
        Some(address) => Some(slack_id(address, slack).await?).filter(|id| !id.is_empty()),
        None => None,
    };
    Ok(ChannelIdentities::Slack {
        approvers,
        requester,
    })
}

/// The Slack id of the person with `address`; `""` when nobody in the workspace has it. Any
/// other failure is the post's: an approver wrongly left out could not answer in Slack.
async fn slack_id(address: &str, slack: &dyn SlackMessenger) -> Result<String, HitlError> {
    match slack.lookup_user_by_email(address).await {
        Ok(id) => Ok(id),
        Err(err) if err.name() == "Slack.UserNotFound" => {
            tracing::info!(
                error = err.name(),
                "an address of the request has no Slack user: they answer on the other channels"
            );
            Ok(String::new())
        }
        Err(err) => Err(err),
    }
}
