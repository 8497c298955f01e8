//! One request on several channels: a request made channel-neutral (by Create Approval Links)
//! may also be posted to Slack and to Teams. Each such post is a [`Companion`] message of the
//! request: its buttons decide the same request, whichever channel answers first (or the
//! quorum) settles it, and the relay then shows the outcome on every companion.
//!
//! Each channel names people its own way, so posting to a channel also resolves the
//! request's approvers (email addresses) to that channel's identities, kept index-aligned
//! with `approvers`: a Slack click or a Teams card action then fills the same slot as that
//! person's email link, and counts once.

use serde::{Deserialize, Serialize};

use super::{ApprovalRecord, MessageRef};
use crate::{Channel, HitlError, TeamsUser};

/// A chat message that carries a request made elsewhere (its buttons decide that request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Companion {
    /// `Slack` or `Teams` (a Teams companion is always a bot card: it can be updated).
    pub channel: Channel,
    pub message: MessageRef,
    /// What it showed, in its channel's format (Slack: the blocks' JSON), for its later update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown: Option<String>,
}

/// The request's approvers (and requester) as one channel knows them, resolved when the
/// request was posted there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelIdentities {
    /// Slack user ids, one per approver in order (`""`: nobody in the workspace has that
    /// address, so that approver answers on the other channels only); and the requester's.
    Slack {
        approvers: Vec<String>,
        requester: Option<String>,
    },
    /// Entra users, one per approver in order (all resolved, or the post fails); and the
    /// requester's object id.
    Teams {
        approvers: Vec<TeamsUser>,
        requester: Option<String>,
    },
}

impl ChannelIdentities {
    /// Refuses two of the request's `approvers` (addresses, in order) who are one person on
    /// this channel (two of their addresses): that person would fill two slots, one by each
    /// address's link. Checked before the request is posted there.
    pub fn check_distinct(&self, approvers: &[String], channel: &str) -> Result<(), HitlError> {
        let ids: Vec<&str> = match self {
            ChannelIdentities::Slack { approvers, .. } => {
                approvers.iter().map(String::as_str).collect()
            }
            ChannelIdentities::Teams { approvers, .. } => {
                approvers.iter().map(|u| u.object_id.as_str()).collect()
            }
        };
        for (i, id) in ids.iter().enumerate().filter(|(_, id)| !id.is_empty()) {
            if let Some(j) = ids[..i].iter().position(|o| o.eq_ignore_ascii_case(id)) {
                return Err(HitlError::invalid_input(format!(
                    "{} and {} are one person in {channel} ({id}): name each approver once (in Create Approval Links' approvers)",
                    approvers[j], approvers[i]
                )));
            }
        }
        Ok(())
    }
}

/// Most companions one request keeps (a retried post adds at most one more each time). Each
/// keeps what its message showed (a Teams card up to 28 KB): five keep the record well inside
/// DynamoDB's 400 KB item with every vote and comment.
pub const MAX_COMPANIONS: usize = 5;

impl ApprovalRecord {
    /// The request may be posted to other channels: it was made by Create Approval Links.
    pub fn takes_companions(&self) -> bool {
        self.origin == Channel::Email
    }

    /// Refuses, before anything is looked up or posted (a message posted and then refused would
    /// keep its buttons), a request that cannot take another message on `channel`: one a chat
    /// channel's Request Action made (it has its own message and rules), one posted to
    /// [`MAX_COMPANIONS`] channels already, or one that expired without an answer (its buttons
    /// could only be refused). A decided one may be: its outcome is shown on the new message.
    pub fn check_postable(&self, channel: &str, now: i64) -> Result<(), HitlError> {
        let id = &self.approval_id;
        if !self.takes_companions() {
            return Err(HitlError::invalid_input(format!(
                "approvalId {id} names a request made by {:?} Request Action; only a request made by Create Approval Links can be posted to {channel} with approvalId",
                self.origin
            )));
        }
        if self.companions.len() >= MAX_COMPANIONS {
            return Err(HitlError::invalid_input(format!(
                "approval {id} was posted to {MAX_COMPANIONS} channels already"
            )));
        }
        if self.decision.is_none() && self.is_expired(now) {
            return Err(HitlError::Expired(super::rfc3339(self.expires_at)));
        }
        Ok(())
    }

    /// The record as `companion`'s own channel sees it: its origin and message, so the
    /// notifier shows the outcome (or progress) there exactly as on a request made there.
    pub fn companion_view(&self, companion: &Companion) -> ApprovalRecord {
        let mut view = self.clone();
        view.origin = companion.channel;
        view.message = Some(companion.message.clone());
        view.message_shown = companion.shown.clone();
        // Kept as the view's mark (a chat-made request never has companions): its slots stay
        // keyed by address, as the stored record's votes are (`quorum::slots`).
        view.companions = vec![companion.clone()];
        view
    }

    /// The record is a [`Self::companion_view`], not a request made on its channel.
    pub fn is_companion_view(&self) -> bool {
        self.origin != Channel::Email && !self.companions.is_empty()
    }

    /// Every chat message of the request that can be brought up to date: its own (a Slack
    /// message or a Teams bot card), then each companion, each as its channel sees the record.
    pub fn updatable_views(&self) -> Vec<ApprovalRecord> {
        if self.is_companion_view() {
            return vec![self.clone()];
        }
        let own = self.has_own_updatable_message().then(|| self.clone());
        own.into_iter()
            .chain(self.companions.iter().map(|c| self.companion_view(c)))
            .collect()
    }

    /// Whether `who` is one of the requester's identities on a channel the request was
    /// posted to (lower-cased comparison).
    pub fn is_requester_elsewhere(&self, who: &str) -> bool {
        self.requester_ids
            .iter()
            .any(|id| !id.is_empty() && id.eq_ignore_ascii_case(who))
    }

    /// Keeps `identities` on the record (what the store does when a companion is attached).
    pub fn set_channel_identities(&mut self, identities: &ChannelIdentities) {
        let requester = match identities {
            ChannelIdentities::Slack {
                approvers,
                requester,
            } => {
                self.slack_approvers = approvers.clone();
                requester
            }
            ChannelIdentities::Teams {
                approvers,
                requester,
            } => {
                self.teams_approvers = approvers.clone();
                requester
            }
        };
        if let Some(id) = requester.as_ref().filter(|id| !id.is_empty()) {
            if !self.requester_ids.contains(id) {
                self.requester_ids.push(id.clone());
            }
        }
    }
}
