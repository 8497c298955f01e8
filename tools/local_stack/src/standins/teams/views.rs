//! What each person sees of each card the bot sent, as Teams shows it: the card as sent (its
//! latest update), or, for one person, the card the bot answered their click or refresh with,
//! until the bot updates the message. Teams refreshes a card by itself (an invoke with
//! `trigger: "automatic"`) when a person sees it: here when the page is shown
//! ([`TeamsStandIn::refresh_views`]). For whom, as Microsoft documents `refresh.userIds`: the
//! people it lists by user MRI (the bot-scoped `29:…` id of the roster, as Microsoft's samples
//! list them, or `8:orgid:<object id>`; a bare object id is no MRI and refreshes nobody); all
//! members of a conversation of at most 60 when `userIds` is left out; nobody for `[]`.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::bot_framework::{ClickAnswer, ClickRequest};
use super::conversations::teams_user_id;
use super::signing::TokenVariant;
use super::TeamsStandIn;

/// One person's view of one message.
#[derive(Debug, Clone)]
pub struct UserView {
    /// The card the bot answered with; None when it answered anything else.
    pub card: Option<Value>,
    /// The endpoint's status, and its body when it was not a card (for the page).
    pub status: u16,
    pub body: Value,
    pub verb: String,
    /// The message's update count when the bot answered: a later update replaces the view.
    pub version: u64,
    /// When the invoke was sent, in the order of all invokes: an answer to an earlier one that
    /// arrives later (a slow automatic refresh overtaken by a click) does not replace it.
    pub sent: u64,
}

/// Views by activity id, then by object id; and how many invokes were sent.
#[derive(Default)]
pub struct Views {
    by_message: HashMap<String, HashMap<String, UserView>>,
    sent: u64,
}

impl TeamsStandIn {
    /// The card `object_id` sees of the bot's message `activity_id` in `conversation_id`, and
    /// the message's update count; None if there is no such message with a card.
    pub(super) fn card_seen_by(
        &self,
        conversation_id: &str,
        activity_id: &str,
        object_id: &str,
    ) -> Option<(Value, u64)> {
        let data = self.data.lock().unwrap();
        let message = data.messages.iter().find(|m| {
            m["via"] == "bot"
                && m["id"] == activity_id
                && m["where"]["conversationId"] == conversation_id
        })?;
        let version = message["updates"].as_u64().unwrap_or(0);
        let card = message["card"].clone();
        if !card.is_object() {
            return None;
        }
        let bot = self.bot.get()?;
        let views = bot.views.lock().unwrap();
        let own = views
            .by_message
            .get(activity_id)
            .and_then(|v| v.get(object_id));
        match own {
            Some(view) if view.version == version && view.card.is_some() => {
                Some((view.card.clone().unwrap_or_default(), version))
            }
            _ => Some((card, version)),
        }
    }

    /// The order of an invoke about to be sent (see [`UserView::sent`]).
    pub(super) fn next_invoke(&self) -> u64 {
        let Some(bot) = self.bot.get() else { return 0 };
        let mut views = bot.views.lock().unwrap();
        views.sent += 1;
        views.sent
    }

    /// Keeps what the bot answered `object_id`'s invoke on `activity_id`, sent `sent`-th.
    pub(super) fn record_view(
        &self,
        activity_id: &str,
        object_id: &str,
        (version, sent): (u64, u64),
        verb: &str,
        answer: &ClickAnswer,
    ) {
        let Some(bot) = self.bot.get() else { return };
        let view = UserView {
            card: answer.card().cloned(),
            status: answer.status,
            body: if answer.card().is_some() {
                Value::Null
            } else {
                answer.body.clone()
            },
            verb: verb.to_string(),
            version,
            sent,
        };
        let mut views = bot.views.lock().unwrap();
        let of_message = views.by_message.entry(activity_id.to_string()).or_default();
        // The person already sees the answer to a later invoke on this version of the card.
        if of_message
            .get(object_id)
            .is_some_and(|o| o.version == version && o.sent > sent)
        {
            return;
        }
        // A refresh that got no card leaves a card the person got before (Teams keeps showing
        // what it has); a click's answer is always shown.
        let has_card = of_message
            .get(object_id)
            .is_some_and(|o| o.version == version && o.card.is_some());
        if view.card.is_none() && verb == "refresh" && has_card {
            return;
        }
        of_message.insert(object_id.to_string(), view);
    }

    /// The views of `activity_id`, by object id, as JSON for the snapshot.
    pub(super) fn views_json(&self, activity_id: &str) -> Value {
        let Some(bot) = self.bot.get() else {
            return json!({});
        };
        let views = bot.views.lock().unwrap();
        let Some(of_message) = views.by_message.get(activity_id) else {
            return json!({});
        };
        of_message
            .iter()
            .map(|(oid, v)| {
                (oid.clone(), json!({"card": v.card, "status": v.status, "body": v.body, "verb": v.verb, "version": v.version}))
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    }

    /// Refreshes, as Teams does when they look at it, the cards of the people each card's
    /// `refresh.userIds` lists whose view predates the card's latest version. Each person's
    /// refresh is sent once per version (a failed one is not repeated at every page load).
    pub async fn refresh_views(&self) {
        for (conversation_id, activity_id, object_id) in self.stale_refreshes() {
            let request = ClickRequest {
                user: object_id,
                conversation_id,
                activity_id,
                action: None,
                verb: Some("refresh".into()),
                data: None,
                inputs: Default::default(),
                token: TokenVariant::Valid,
                trigger: Some("automatic".into()),
            };
            match self.click(&request).await {
                // The bot updated the card meanwhile and it has no refresh any more: Teams
                // would not send one either.
                Err((axum::http::StatusCode::CONFLICT, _)) => {}
                Err((status, message)) => {
                    tracing::warn!(%status, %message, "the Teams stand-in could not refresh a card");
                }
                Ok(_) => {}
            }
        }
    }

    /// (conversation, activity, object id) of each refresh Teams would send now; each is
    /// marked as sent, so that a page shown meanwhile does not send it again.
    fn stale_refreshes(&self) -> Vec<(String, String, String)> {
        let Some(bot) = self.bot.get() else {
            return Vec::new();
        };
        let messages = self.data.lock().unwrap().messages.clone();
        let mut due = Vec::new();
        for m in messages.iter().filter(|m| m["via"] == "bot") {
            let refresh = &m["card"]["refresh"];
            if !refresh.is_object() {
                continue;
            }
            let user_ids = refresh["userIds"].as_array();
            let conversation_id = m["where"]["conversationId"].as_str().unwrap_or_default();
            let activity_id = m["id"].as_str().unwrap_or_default();
            let version = m["updates"].as_u64().unwrap_or(0);
            let Some(conversation) = bot.conversation(conversation_id) else {
                continue;
            };
            let mut views = bot.views.lock().unwrap();
            let views = &mut *views;
            let of_message = views.by_message.entry(activity_id.to_string()).or_default();
            for oid in conversation
                .members
                .iter()
                .filter(|oid| refreshed_for(user_ids, oid, conversation.members.len()))
            {
                if of_message.get(oid).is_some_and(|v| v.version == version) {
                    continue;
                }
                let pending = UserView {
                    card: None,
                    status: 0,
                    body: json!("refreshing"),
                    verb: "refresh".into(),
                    version,
                    // Marked now: the refresh itself, sent later, replaces the mark.
                    sent: views.sent,
                };
                of_message.insert(oid.clone(), pending);
                due.push((
                    conversation_id.to_string(),
                    activity_id.to_string(),
                    oid.clone(),
                ));
            }
        }
        due
    }
}

/// Whether Teams refreshes a card whose `refresh.userIds` is `user_ids` for the member
/// `object_id` of a conversation of `members` people.
fn refreshed_for(user_ids: Option<&Vec<Value>>, object_id: &str, members: usize) -> bool {
    match user_ids {
        None => members <= MAX_AUTOMATIC_REFRESH_MEMBERS,
        Some(ids) => ids.iter().filter_map(Value::as_str).any(|id| {
            id == teams_user_id(object_id) || id.strip_prefix("8:orgid:") == Some(object_id)
        }),
    }
}

/// Teams refreshes a card without `userIds` for everyone only in conversations this small.
const MAX_AUTOMATIC_REFRESH_MEMBERS: usize = 60;
