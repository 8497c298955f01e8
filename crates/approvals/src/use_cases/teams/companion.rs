//! Teams Request Action with `approvalId`: the request Create Approval Links made is posted
//! to Teams as the bot's card too (a companion, [`crate::approval::Companion`]). Its buttons
//! decide that same request, whichever channel answers first (or the quorum) settles it, and
//! the relay shows the outcome on this card as on every other message of the request. Nothing
//! waits here: Wait For Approval holds the task token.

use super::bot_card::{lookups, BotChat, MAX_REFRESH_USERS};
use super::{waiting, TeamsRequestActionOutput};
use crate::approval::{ChannelIdentities, Companion};
use crate::ports::{BotConversation, ChatApprovals, Fact, TeamsBot};
use crate::use_cases::{links_of, LinkSettings};
use crate::{ApprovalId, ApprovalRecord, Channel, HitlError, TeamsUser};

/// Why `approvalId` is refused when no bot is configured (`Hitl.Config`).
pub const NO_BOT_COMPANION: &str = "Teams: approvalId posts the request as the Teams bot's card (a Workflows webhook post can be neither updated with the outcome nor tell who clicks it), and the bot is not configured: set the TeamsBotAppId, TeamsBotTenantId and TeamsBotAppSecret parameters (see the README, Teams bot)";

/// Where the bot posts the request's card: a channel or group chat it is installed in, or one
/// person's 1:1 chat with it (by email address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompanionDestination {
    Conversation(String),
    User(String),
}

/// A checked Teams Request Action with `approvalId` (read in `channels::teams`).
#[derive(Debug, Clone, PartialEq)]
pub struct TeamsCompanionRequest {
    /// The request Create Approval Links made.
    pub approval_id: ApprovalId,
    pub to: CompanionDestination,
    /// Shown on this card only (the request keeps none).
    pub facts: Vec<Fact>,
}

/// Posts the request `request.approval_id` as the bot's card and keeps it on the request as a
/// companion, with its approvers (and requester) as Entra users, in the order named, so a card
/// action fills the same slot as that person's email link. `Hitl.NotFound` for an unknown
/// request, `Hitl.InvalidInput` for one made by a chat channel, `Hitl.Expired` once expired
/// undecided, and the bot's error (`Teams.UserNotFound`) for an approver it cannot find: in
/// each case nothing is posted. A decided request is posted all the same: the relay shows its
/// outcome on the new card at once.
pub async fn post_to_request(
    request: TeamsCompanionRequest,
    settings: &LinkSettings<'_>,
    store: &dyn ChatApprovals,
    chat: BotChat<'_>,
    now: i64,
) -> Result<TeamsRequestActionOutput, HitlError> {
    let id = &request.approval_id;
    let record = store
        .get(id)
        .await?
        .ok_or_else(|| HitlError::NotFound(id.to_string()))?;
    record.check_postable("Teams", now)?;
    let (approvers, requester) = identities(&record, chat.bot).await?;
    let refresh_for = approvers[..approvers.len().min(MAX_REFRESH_USERS)].to_vec();
    let identities = ChannelIdentities::Teams {
        approvers,
        requester,
    };
    identities.check_distinct(&record.approvers, "Teams")?;
    let to = match &request.to {
        CompanionDestination::Conversation(id) => BotConversation::Conversation(id.clone()),
        CompanionDestination::User(email) => {
            BotConversation::User(chat.bot.resolve_user(email).await?)
        }
    };
    let links = links_of(&record, settings);
    let card = chat.format.bot_request_card(
        &links,
        &request.facts,
        record.follow_up.as_ref(),
        &refresh_for,
    )?;
    let sent = chat.bot.send_card(&to, &card).await?;
    tracing::info!(approval_id = %id, conversation = %sent.message.channel, "request posted to Teams as the bot's card");
    let companion = Companion {
        channel: Channel::Teams,
        message: sent.message,
        // The card as posted: what a refresh shows again and the outcome is made from.
        shown: Some(sent.card.to_string()),
    };
    store
        .attach_companion(id, &companion, &identities, now)
        .await?;
    Ok(waiting(links))
}

/// The request's approvers as Entra users, index-aligned with `approvers` (every one must be
/// found: the bot's error otherwise), and the requester's object id (`None` when the tenant
/// has nobody by that address: they simply have no Teams identity to bar).
async fn identities(
    record: &ApprovalRecord,
    bot: &dyn TeamsBot,
) -> Result<(Vec<TeamsUser>, Option<String>), HitlError> {
    let approvers = lookups(record.approvers.iter().map(String::as_str), bot).await?;
    let requester = match &record.requested_by {
        Some(who) => match bot.resolve_user(who).await {
            Ok(user) => Some(user.object_id.to_ascii_lowercase()),
            Err(err) if err.name() == "Teams.UserNotFound" => None,
            Err(err) => return Err(err),
        },
        None => None,
    };
    Ok((approvers, requester))
}

#[cfg(test)]
mod tests;
