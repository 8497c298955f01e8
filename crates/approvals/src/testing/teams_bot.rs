//! The Teams bot in memory: a tenant's directory, the cards sent and updated, failures on
//! demand; and a minimal card renderer for the model's own tests (the real Adaptive Cards are
//! `channels::teams`').

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde_json::{json, Value};

use crate::ports::{BotConversation, CardRefusal, Fact, SentCard, TeamsBot, TeamsBotFormat};
use crate::{CreateLinksOutput, FollowUp, HitlError, MessageRef, Retry, TeamsUser};

/// Resolves people from its directory (by email, UPN or object id, case-insensitive), records
/// every card sent (as given) and updated, and fails every call while `fail_with` is set.
#[derive(Default)]
pub struct FakeTeamsBot {
    /// People by each name they may be given by (lower-cased).
    pub directory: Mutex<HashMap<String, TeamsUser>>,
    pub sent: Mutex<Vec<(BotConversation, Value)>>,
    pub updated: Mutex<Vec<(MessageRef, Value)>>,
    pub fail_with: Mutex<Option<HitlError>>,
    /// Every `resolve_user` asked, in order.
    pub resolved: Mutex<Vec<String>>,
}

impl FakeTeamsBot {
    /// A bot whose tenant holds `people`, each findable by object id and user principal name.
    pub fn with_people(people: &[TeamsUser]) -> Self {
        let bot = FakeTeamsBot::default();
        for person in people {
            bot.add(person.clone());
        }
        bot
    }

    pub fn add(&self, person: TeamsUser) {
        let mut directory = self.directory.lock().unwrap();
        if let Some(upn) = &person.user_principal_name {
            directory.insert(upn.to_ascii_lowercase(), person.clone());
        }
        directory.insert(person.object_id.to_ascii_lowercase(), person);
    }

    fn failure(&self) -> Result<(), HitlError> {
        match self.fail_with.lock().unwrap().clone() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}

/// What the real bot answers for someone its tenant does not have.
pub fn user_not_found(who: &str) -> HitlError {
    HitlError::Dependency {
        name: "Teams.UserNotFound",
        message: format!("no user {who:?} in the bot's tenant"),
        retry: Retry::Never,
    }
}

#[async_trait]
impl TeamsBot for FakeTeamsBot {
    async fn resolve_user(&self, who: &str) -> Result<TeamsUser, HitlError> {
        self.resolved.lock().unwrap().push(who.to_string());
        self.failure()?;
        let directory = self.directory.lock().unwrap();
        directory
            .get(&who.trim().to_ascii_lowercase())
            .cloned()
            .ok_or_else(|| user_not_found(who))
    }

    /// Posts the card with its `refresh.userIds` named as members (`29:<object id>`), as the
    /// real bot does: the card posted is not the card given.
    async fn send_card(&self, to: &BotConversation, card: &Value) -> Result<SentCard, HitlError> {
        self.failure()?;
        let mut posted = card.clone();
        if let Some(ids) = posted["refresh"]["userIds"].as_array_mut() {
            for id in ids.iter_mut() {
                let oid = id.as_str().unwrap_or_default();
                *id = json!(format!("29:{}", oid.trim_start_matches("8:orgid:")));
            }
        }
        let mut sent = self.sent.lock().unwrap();
        sent.push((to.clone(), card.clone()));
        let channel = match to {
            BotConversation::Conversation(id) => id.clone(),
            BotConversation::User(user) => format!("a:1:1-{}", user.object_id),
        };
        let message = MessageRef {
            channel,
            ts: format!("activity-{}", sent.len()),
        };
        Ok(SentCard {
            message,
            card: posted,
        })
    }

    async fn update_card(&self, message: &MessageRef, card: &Value) -> Result<(), HitlError> {
        self.failure()?;
        let update = (message.clone(), card.clone());
        self.updated.lock().unwrap().push(update);
        Ok(())
    }
}

/// Cards as plain JSON a test can read: the request card names its approval, choices and
/// refresh users; the outcome card is `{"outcomeOf": shown, "line"}` (with `"votes"` for a
/// request with a quorum); the progress card `{"progressOf": shown, "line"}`; a refusal card
/// is `{"refused": "<variant>", "shown"}`.
#[derive(Default)]
pub struct FakeTeamsBotFormat;

impl TeamsBotFormat for FakeTeamsBotFormat {
    fn bot_request_card(
        &self,
        links: &CreateLinksOutput,
        facts: &[Fact],
        follow_up: Option<&FollowUp>,
        refresh_for: &[TeamsUser],
    ) -> Result<Value, HitlError> {
        let ids: Vec<&str> = refresh_for.iter().map(|u| u.object_id.as_str()).collect();
        Ok(json!({
            "type": "AdaptiveCard",
            "approvalId": links.approval_id,
            "title": links.title,
            "facts": facts.len(),
            "followUp": follow_up.map(|q| q.question.clone()),
            "refresh": {"userIds": ids},
        }))
    }

    fn bot_outcome_card(&self, shown: &Value, line: &str) -> Value {
        json!({"outcomeOf": shown, "line": line})
    }

    fn bot_votes_card(&self, shown: &Value, line: &str, votes: &[String]) -> Value {
        json!({"outcomeOf": shown, "line": line, "votes": votes})
    }

    fn bot_progress_card(&self, shown: &Value, line: &str) -> Value {
        json!({"progressOf": shown, "line": line})
    }

    fn bot_refusal_card(&self, shown: Option<&Value>, refusal: &CardRefusal) -> Value {
        json!({"refused": format!("{refusal:?}"), "shown": shown})
    }
}
