//! The bot as the approval use cases' [`TeamsBotPort`]: people resolved to their Entra
//! identity, cards sent as the bot and later replaced in place.
//!
//! - A person: `GET {graph}/v1.0/users/{who}?$select=id,displayName,userPrincipalName` (an
//!   object id or a user principal name), then, for an address that is no sign-in name,
//!   `GET {graph}/v1.0/users?$filter=mail eq '{who}'&$select=...`.
//! - A card to a channel or group chat the bot is in: `POST {serviceUrl}/v3/conversations/{id}/
//!   activities` with the card as an Adaptive Card attachment; the answer's `id` is the
//!   activity id, kept as the card's [`MessageRef`] `ts`. To a person: their 1:1 conversation
//!   (`POST {serviceUrl}/v3/conversations`, kept per object id), then the same post. A post is
//!   not repeated after an ambiguous failure (`Teams.Unconfirmed`).
//! - An update: `PUT {serviceUrl}/v3/conversations/{id}/activities/{activityId}` with
//!   `{type: message, id, attachments}`; idempotent, so retried after a 5xx. The card gone
//!   (404) is `Teams.MessageNotFound` (nothing left to update), the bot removed (403)
//!   `Teams.BotNotInstalled`.

use approvals::ports::{BotConversation, TeamsBot as TeamsBotPort};
use approvals::{HitlError, MessageRef, TeamsUser};
use async_trait::async_trait;
use channels::teams::webhook_envelope;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde_json::{json, Value};
use std::time::Instant;

use super::TeamsBot;
use crate::service_calls::Repeat;
use crate::teams::bot_errors::{self as errors, Addressee, BotCall};
use crate::teams::{TeamsError, TeamsErrorKind};

/// What a resolved person is read with.
const USER_FIELDS: &str = "id,displayName,userPrincipalName";

/// Whether `who` is an Entra object id (a GUID, as Graph writes it) rather than an address.
fn is_object_id(who: &str) -> bool {
    who.len() == 36 && uuid::Uuid::try_parse(who).is_ok()
}

#[async_trait]
impl TeamsBotPort for TeamsBot {
    async fn resolve_user(&self, who: &str) -> Result<TeamsUser, HitlError> {
        let who = who.trim();
        if !is_object_id(who) && !who.contains('@') {
            let message = format!("{who:?} names nobody in Microsoft 365: name a Teams approver by email address, user principal name or Entra object id");
            return Err(TeamsError::new(TeamsErrorKind::UserNotFound, message).into());
        }
        let deadline = self.http.deadline();
        let user = self.graph_user(who, USER_FIELDS, deadline).await?;
        let name = [&user.display_name, &user.user_principal_name]
            .into_iter()
            .flatten()
            .find(|n| !n.trim().is_empty())
            .cloned()
            .unwrap_or_else(|| user.id.clone());
        Ok(TeamsUser {
            object_id: user.id,
            name,
            user_principal_name: user.user_principal_name,
            tenant_id: self.settings.tenant_id.clone(),
        })
    }

    async fn send_card(&self, to: &BotConversation, card: &Value) -> Result<MessageRef, HitlError> {
        let deadline = self.http.deadline();
        let activity = webhook_envelope(card).to_string();
        match to {
            BotConversation::Conversation(id) => {
                let reply = self
                    .post_activity(id, &activity, BotCall::PostCard, deadline)
                    .await?;
                let ts = errors::posted_answer(&reply, Addressee::Conversation(id))?;
                Ok(MessageRef {
                    channel: id.clone(),
                    ts,
                })
            }
            BotConversation::User(user) => self.send_card_to(user, &activity, deadline).await,
        }
    }

    async fn update_card(&self, message: &MessageRef, card: &Value) -> Result<(), HitlError> {
        let deadline = self.http.deadline();
        let url = self.activities_url(&message.channel, Some(&message.ts))?;
        let mut activity = webhook_envelope(card);
        activity["id"] = json!(message.ts);
        let body = activity.to_string();
        // Replacing a card with the same card twice leaves one card: safe to retry.
        let reply = self
            .call(
                BotCall::UpdateCard,
                deadline,
                Repeat::Idempotent,
                |c, bearer| {
                    c.put(url.clone())
                        .header(AUTHORIZATION, bearer)
                        .header(CONTENT_TYPE, "application/json; charset=utf-8")
                        .body(body.clone())
                },
            )
            .await?;
        errors::update_answer(&reply, Addressee::Conversation(&message.channel))
    }
}

impl TeamsBot {
    /// Posts `activity` to `user`'s 1:1 chat with the bot, opened by object id.
    async fn send_card_to(
        &self,
        user: &TeamsUser,
        activity: &str,
        deadline: Instant,
    ) -> Result<MessageRef, HitlError> {
        let oid = &user.object_id;
        let who = user.user_principal_name.as_deref().unwrap_or(&user.name);
        let mut reopened = false;
        loop {
            let conversation = self.open_conversation(oid, oid, who, deadline).await?;
            let reply = self
                .post_activity(&conversation, activity, BotCall::PostCard, deadline)
                .await?;
            if reply.status == 404 && !reopened {
                // The conversation kept is gone (nothing was posted): open it again.
                self.conversations.lock().await.remove(oid);
                reopened = true;
                continue;
            }
            let ts = errors::posted_answer(&reply, Addressee::Person(who))?;
            return Ok(MessageRef {
                channel: conversation,
                ts,
            });
        }
    }
}

#[cfg(test)]
#[path = "bot_cards_tests.rs"]
mod tests;
