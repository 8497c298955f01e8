//! The bot as the approval use cases' [`TeamsBotPort`]: people resolved to their Entra
//! identity, cards sent as the bot and later replaced in place.
//!
//! - A person: `GET {graph}/v1.0/users/{who}?$select=id,displayName,userPrincipalName` (an
//!   object id or a user principal name), then, for an address that is no sign-in name,
//!   `GET {graph}/v1.0/users?$filter=mail eq '{who}'&$select=...`.
//! - A card to a channel or group chat the bot is in: `POST {serviceUrl}/v3/conversations/{id}/
//!   activities` with the card as an Adaptive Card attachment; the answer's `id` is the
//!   activity id, kept as the card's [`MessageRef`] `ts`; the card as posted comes back with it
//!   ([`SentCard`]) to be kept. To a person: their 1:1 conversation
//!   (`POST {serviceUrl}/v3/conversations`, kept per object id), then the same post. A post is
//!   not repeated after an ambiguous failure (`Teams.Unconfirmed`).
//! - Before a card with a `refresh` is posted, each approver it lists (by Entra object id,
//!   `8:orgid:<oid>`) is looked up in the conversation it goes to: `GET {serviceUrl}/v3/
//!   conversations/{id}/members/{oid}` (Teams takes a member's Teams user id, sign-in name or
//!   Entra object id there: "Get Teams specific context for your bot", Get single member
//!   details, learn.microsoft.com/microsoftteams/platform/bots/how-to/get-teams-context), and
//!   `refresh.userIds` lists the members' `id`s (`29:…`, what an activity's `from.id` holds and
//!   what Teams' Universal Actions examples list). One after the other, on the send's deadline.
//!   An approver who is not in the conversation (404) could not see the card:
//!   `Teams.UserNotFound`, before anything is posted. In a 1:1 chat the person is the member.
//! - An update: `PUT {serviceUrl}/v3/conversations/{id}/activities/{activityId}` with
//!   `{type: message, id, attachments}`; idempotent, so retried after a 5xx. The card gone
//!   (404) is `Teams.MessageNotFound` (nothing left to update), the bot removed (403)
//!   `Teams.BotNotInstalled`.

use approvals::ports::{BotConversation, SentCard, TeamsBot as TeamsBotPort};
use approvals::{HitlError, MessageRef, TeamsUser};
use async_trait::async_trait;
use channels::teams::universal::{refresh_object_ids, set_refresh_user_ids};
use channels::teams::webhook_envelope;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde_json::{json, Value};
use std::time::Instant;

use super::TeamsBot;
use crate::service_calls::{Repeat, Reply};
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

    async fn send_card(&self, to: &BotConversation, card: &Value) -> Result<SentCard, HitlError> {
        let deadline = self.http.deadline();
        match to {
            BotConversation::Conversation(id) => {
                let to = Addressee::Conversation(id);
                let card = match self.with_member_ids(id, card, None, deadline).await? {
                    Roster::Card(card) => card,
                    Roster::Gone(reply) => {
                        return Err(errors::connector_error(&reply, BotCall::GetMember, to))
                    }
                };
                let activity = webhook_envelope(&card).to_string();
                let reply = self
                    .post_activity(id, &activity, BotCall::PostCard, deadline)
                    .await?;
                let ts = errors::posted_answer(&reply, Addressee::Conversation(id))?;
                let message = MessageRef {
                    channel: id.clone(),
                    ts,
                };
                Ok(SentCard { message, card })
            }
            BotConversation::User(user) => self.send_card_to(user, card, deadline).await,
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

/// A card made ready for a conversation, or the conversation was not there to look in.
enum Roster {
    Card(Value),
    /// The Bot Connector's 404 for the conversation itself (nothing was posted).
    Gone(Reply),
}

/// Bot Connector codes of a 404 for the conversation rather than for the member.
const CONVERSATION_GONE: [&str; 2] = ["ConversationNotFound", "ThreadNotFound"];

impl TeamsBot {
    /// Posts `card` to `user`'s 1:1 chat with the bot, opened by object id.
    async fn send_card_to(
        &self,
        user: &TeamsUser,
        card: &Value,
        deadline: Instant,
    ) -> Result<SentCard, HitlError> {
        let oid = &user.object_id;
        let who = user.user_principal_name.as_deref().unwrap_or(&user.name);
        let mut reopened = false;
        loop {
            let conversation = self.open_conversation(oid, oid, who, deadline).await?;
            let card = match self
                .with_member_ids(&conversation, card, Some(user), deadline)
                .await?
            {
                Roster::Card(card) => card,
                Roster::Gone(_) if !reopened => {
                    // The conversation kept is gone: open it again.
                    self.conversations.lock().await.remove(oid);
                    reopened = true;
                    continue;
                }
                Roster::Gone(reply) => {
                    let to = Addressee::Person(who);
                    return Err(errors::connector_error(&reply, BotCall::GetMember, to));
                }
            };
            let activity = webhook_envelope(&card).to_string();
            let reply = self
                .post_activity(&conversation, &activity, BotCall::PostCard, deadline)
                .await?;
            if reply.status == 404 && !reopened {
                // The conversation kept is gone (nothing was posted): open it again.
                self.conversations.lock().await.remove(oid);
                reopened = true;
                continue;
            }
            let ts = errors::posted_answer(&reply, Addressee::Person(who))?;
            let message = MessageRef {
                channel: conversation,
                ts,
            };
            return Ok(SentCard { message, card });
        }
    }

    /// `card` with its `refresh.userIds` naming each approver by their Teams user id in
    /// `conversation` (`person`: the one a 1:1 chat is with, to name them in errors). A card
    /// without a refresh, or whose refresh names nobody by object id, is sent as it is.
    async fn with_member_ids(
        &self,
        conversation: &str,
        card: &Value,
        person: Option<&TeamsUser>,
        deadline: Instant,
    ) -> Result<Roster, HitlError> {
        let object_ids = refresh_object_ids(card);
        if object_ids.is_empty() {
            return Ok(Roster::Card(card.clone()));
        }
        let mut user_ids = Vec::with_capacity(object_ids.len());
        for oid in &object_ids {
            let reply = self.member(conversation, oid, deadline).await?;
            match member_answer(&reply, conversation, oid, person)? {
                Some(id) => user_ids.push(id),
                None => return Ok(Roster::Gone(reply)),
            }
        }
        let mut card = card.clone();
        set_refresh_user_ids(&mut card, &user_ids);
        Ok(Roster::Card(card))
    }

    /// `GET {serviceUrl}/v3/conversations/{conversation}/members/{member}`: a read, retried.
    async fn member(
        &self,
        conversation: &str,
        member: &str,
        deadline: Instant,
    ) -> Result<Reply, HitlError> {
        let mut url = self.service.clone();
        url.path_segments_mut()
            .map_err(|_| HitlError::Config("TEAMS_BOT_SERVICE_URL".into()))?
            .pop_if_empty()
            .extend(["v3", "conversations", conversation, "members", member]);
        let get =
            |c: &reqwest::Client, bearer: &str| c.get(url.clone()).header(AUTHORIZATION, bearer);
        self.call(BotCall::GetMember, deadline, Repeat::Idempotent, get)
            .await
    }
}

/// The member's Teams user id (`29:…`); none when the conversation itself is not there; an
/// approver who is not in it is `Teams.UserNotFound`, naming them and the conversation.
fn member_answer(
    reply: &Reply,
    conversation: &str,
    oid: &str,
    person: Option<&TeamsUser>,
) -> Result<Option<String>, HitlError> {
    let what = BotCall::GetMember.what();
    let (code, message) = errors::error_of(&reply.body);
    match reply.status {
        200..=299 => {
            let value: Value = serde_json::from_str(&reply.body).unwrap_or_default();
            match value["id"].as_str().filter(|id| !id.trim().is_empty()) {
                Some(id) => Ok(Some(id.to_string())),
                None => Err(TeamsError::new(
                    TeamsErrorKind::ApiError,
                    format!("{what}: an answer without the member's id (approver {oid})"),
                )
                .into()),
            }
        }
        404 if CONVERSATION_GONE.contains(&code.as_str()) => Ok(None),
        404 => {
            let who = match person.filter(|p| p.object_id == oid) {
                Some(p) => match &p.user_principal_name {
                    Some(upn) => format!("{} ({upn})", p.name),
                    None => p.name.clone(),
                },
                None => format!("the approver with Entra object id {oid}"),
            };
            let message = format!("{who} is not a member of conversation {conversation} ({code}: {message}), so could not see the card: add them to it, or ask them elsewhere");
            Err(TeamsError::new(TeamsErrorKind::UserNotFound, message).into())
        }
        _ => {
            let to = match person {
                Some(p) => Addressee::Person(p.user_principal_name.as_deref().unwrap_or(&p.name)),
                None => Addressee::Conversation(conversation),
            };
            Err(errors::connector_error(reply, BotCall::GetMember, to))
        }
    }
}

#[cfg(test)]
#[path = "bot_cards_tests.rs"]
mod tests;
