//! Teams to one person: a proactive 1:1 message from a Bot Framework bot.
//!
//! 1. Tokens from the identity platform's client-credentials flow, at the bot's own tenant
//!    (`{login}/{tenant}/oauth2/v2.0/token`: a single-tenant bot), one per resource: scope
//!    `https://api.botframework.com/.default` for the Bot Connector, `{graph}/.default` for
//!    Microsoft Graph. Each is cached until 5 minutes before it expires, and renewed once when
//!    refused (401).
//! 2. The person, by email address, through Graph: `GET /v1.0/users/{address}?$select=id` (the
//!    address as user principal name), else `GET /v1.0/users?$filter=mail eq '{address}'`;
//!    application permission `User.Read.All`. Teams takes no email or UPN for a proactive
//!    message: the conversation needs the Entra object id.
//! 3. The 1:1 conversation: `POST {serviceUrl}/v3/conversations` with the bot, the person's
//!    object id, the tenant, `isGroup: false` (idempotent: the same person gets the same
//!    conversation id, cached per process).
//! 4. The message: `POST {serviceUrl}/v3/conversations/{id}/activities` with the Adaptive Card
//!    as its attachment. Not repeated after an ambiguous failure (`Teams.Unconfirmed`).
//!
//! The cards of the approvals' `TeamsBot` port (to a channel, a group chat or a 1:1 chat, and
//! updated in place) are in `bot_cards.rs`, on the same tokens, lookup and conversations.
//!
//! Errors (one mapping, [`super::bot_errors`]): no such person `Teams.UserNotFound`; the app not
//! installed for them, blocked by them or disabled by an admin (Bot Connector 403)
//! `Teams.BotNotInstalled`; refused credentials or permissions `Teams.Unauthorized`; 429
//! `Teams.RateLimited`; 5xx `Teams.Unavailable` / `Teams.Unconfirmed`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::identity::{AppCredentials, AppToken};
use approvals::ports::{PostedMessage, TeamsMessage, Via};
use approvals::HitlError;
use channels::teams::webhook_envelope;
use lambda_kit::Settings;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use tokio::sync::Mutex;

use super::bot_errors::{self as errors, BotCall};
use crate::service_calls::{Repeat, Reply, ServiceHttp};

/// What one message may take: tokens, lookup, conversation and post, on one deadline
/// (`aws_adapters::timeouts::TEAMS_BOT_SEND`).
pub const SEND_BUDGET: Duration = Duration::from_secs(6);
pub const BOT_FRAMEWORK_SCOPE: &str = "https://api.botframework.com/.default";
/// The Bot Connector for Teams in Microsoft's public cloud (GCC and others have their own).
pub const DEFAULT_SERVICE_URL: &str = "https://smba.trafficmanager.net/teams/";

/// The bot's configuration (`TEAMS_BOT_*`); none when `TEAMS_BOT_APP_ID` is unset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotSettings {
    /// The Azure Bot's Microsoft App ID (its Entra app registration's client id).
    pub app_id: String,
    /// The tenant the (single-tenant) bot and its users belong to.
    pub tenant_id: String,
    pub service_url: String,
    pub login_url: String,
    pub graph_url: String,
}

impl BotSettings {
    pub fn from_settings(settings: &Settings) -> Result<Option<Self>, HitlError> {
        let Some(app_id) = settings.optional("TEAMS_BOT_APP_ID") else {
            return Ok(None);
        };
        let tenant_id = settings.optional("TEAMS_BOT_TENANT_ID").ok_or_else(|| {
            HitlError::Config(
                "TEAMS_BOT_APP_ID is set but TEAMS_BOT_TENANT_ID (the bot's Entra tenant) is not"
                    .into(),
            )
        })?;
        let or = |name: &str, default: &str| settings.optional(name).unwrap_or(default).to_string();
        Ok(Some(BotSettings {
            app_id: app_id.to_string(),
            tenant_id: tenant_id.to_string(),
            service_url: or("TEAMS_BOT_SERVICE_URL", DEFAULT_SERVICE_URL),
            login_url: or("TEAMS_BOT_LOGIN_URL", lambda_kit::email::DEFAULT_LOGIN_URL),
            graph_url: or("TEAMS_BOT_GRAPH_URL", lambda_kit::email::DEFAULT_GRAPH_URL),
        }))
    }
}

pub struct TeamsBot {
    http: ServiceHttp,
    settings: BotSettings,
    token_url: Url,
    graph: Url,
    service: Url,
    /// Tokens for the Bot Connector and for Graph.
    bot_token: AppToken,
    graph_token: AppToken,
    /// Each person's 1:1 conversation id, by address (`send_to_user`) or object id (cards).
    conversations: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for TeamsBot {
    // By hand: the secret and the tokens stay out of every log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamsBot")
            .field("app_id", &self.settings.app_id)
            .finish()
    }
}

fn base_url(url: &str, variable: &str) -> Result<Url, HitlError> {
    let with_slash = format!("{}/", url.trim_end_matches('/'));
    Url::parse(&with_slash)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| HitlError::Config(format!("{variable} must be an http(s) URL")))
}

impl TeamsBot {
    /// The bot as the deployment configures it: `None` without `TEAMS_BOT_*`; with them, its
    /// client secret read through `secret` from the secret `secret_var` names (missing:
    /// `Hitl.Config`, saying which parameter to set).
    pub async fn configured(
        settings: &Settings,
        secret_var: &'static str,
        secret: impl Fn(&'static str) -> crate::mail::SecretRead,
    ) -> Result<Option<Self>, HitlError> {
        let Some(bot) = BotSettings::from_settings(settings)? else {
            return Ok(None);
        };
        let app_secret = secret(secret_var).await?.ok_or_else(|| {
            HitlError::Config(format!(
                "TEAMS_BOT_APP_ID is set but the bot's client secret is not ({secret_var}: the TeamsBotAppSecret parameter)"
            ))
        })?;
        TeamsBot::new(bot, &app_secret).map(Some)
    }

    pub fn new(settings: BotSettings, app_secret: &SecretString) -> Result<Self, HitlError> {
        let login = base_url(&settings.login_url, "TEAMS_BOT_LOGIN_URL")?;
        let token_url = login
            .join(&format!("{}/oauth2/v2.0/token", settings.tenant_id))
            .map_err(|_| HitlError::Config("TEAMS_BOT_TENANT_ID is not a tenant id".into()))?;
        let app = AppCredentials {
            token_url: &token_url,
            client_id: &settings.app_id,
            secret: app_secret,
        };
        let graph_scope = format!("{}/.default", settings.graph_url.trim_end_matches('/'));
        let token = |scope: &str| {
            let name = format!("{} for {scope}", errors::TOKEN);
            AppToken::new(&app, scope, name, errors::CHECK_APP)
        };
        Ok(TeamsBot {
            http: ServiceHttp::new::<crate::teams::TeamsError>().with_budget(SEND_BUDGET),
            graph: base_url(&settings.graph_url, "TEAMS_BOT_GRAPH_URL")?,
            service: base_url(&settings.service_url, "TEAMS_BOT_SERVICE_URL")?,
            bot_token: token(BOT_FRAMEWORK_SCOPE),
            graph_token: token(&graph_scope),
            token_url,
            settings,
            conversations: Mutex::new(HashMap::new()),
        })
    }

    /// What init opens connections with: the token endpoint, Graph and the Bot Connector.
    pub fn connection_urls(&self) -> Vec<String> {
        [&self.token_url, &self.graph, &self.service]
            .iter()
            .map(|u| u.origin().ascii_serialization() + "/")
            .collect()
    }

    /// Another HTTP client (shorter retry waits, for tests).
    pub fn with_http(mut self, http: ServiceHttp) -> Self {
        self.http = http.with_budget(SEND_BUDGET);
        self
    }

    /// A bot whose token endpoint, Graph and Bot Connector are all under `base` (a test
    /// server), waiting at most `max_retry_wait` before a retry.
    #[cfg(test)]
    pub(crate) fn at_test_server(base: &str, max_retry_wait: std::time::Duration) -> Self {
        let settings = BotSettings {
            app_id: "app-1".into(),
            tenant_id: "tenant-1".into(),
            service_url: format!("{base}/connector/"),
            login_url: format!("{base}/login"),
            graph_url: format!("{base}/graph"),
        };
        let http =
            ServiceHttp::new::<crate::teams::TeamsError>().with_max_retry_wait(max_retry_wait);
        TeamsBot::new(settings, &SecretString::from("s3cret"))
            .unwrap()
            .with_http(http)
    }

    /// The token a call needs: Graph's, or the Bot Connector's.
    fn token(&self, call: BotCall) -> &AppToken {
        match call {
            BotCall::Graph => &self.graph_token,
            _ => &self.bot_token,
        }
    }

    /// Sends the request `build` makes with a token for `call`; a 401 renews the token once
    /// (nothing was done with a refused token).
    async fn call(
        &self,
        call: BotCall,
        deadline: Instant,
        repeat: Repeat,
        build: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    ) -> Result<Reply, HitlError> {
        let mut renewed = false;
        loop {
            let token = self.token(call).get(&self.http, deadline).await?;
            let bearer = format!("Bearer {}", token.expose_secret());
            let reply = self
                .http
                .send_until(deadline, repeat, call.what(), |client| {
                    build(client, &bearer)
                })
                .await?;
            if reply.status != 401 || renewed {
                return Ok(reply);
            }
            self.token(call).forget().await;
            renewed = true;
        }
    }

    /// The Entra object id of the person with this address.
    async fn user_id(&self, email: &str, deadline: Instant) -> Result<String, HitlError> {
        let user = self.graph_user(email, "id", deadline).await?;
        Ok(user.id)
    }

    /// The person Graph knows as `who` (the `select`ed fields): `GET /v1.0/users/{who}` (an
    /// object id or a user principal name), then, for an address that is no sign-in name,
    /// `GET /v1.0/users?$filter=mail eq '{who}'`.
    async fn graph_user(
        &self,
        who: &str,
        select: &str,
        deadline: Instant,
    ) -> Result<errors::GraphUser, HitlError> {
        let mut by_upn = self.graph.clone();
        by_upn
            .path_segments_mut()
            .map_err(|_| HitlError::Config("TEAMS_BOT_GRAPH_URL".into()))?
            .pop_if_empty()
            .extend(["v1.0", "users", who]);
        by_upn.set_query(Some(&format!("$select={select}")));
        let get = |url: Url| {
            move |c: &reqwest::Client, bearer: &str| {
                c.get(url.clone()).header(AUTHORIZATION, bearer)
            }
        };
        let reply = self
            .call(BotCall::Graph, deadline, Repeat::Idempotent, get(by_upn))
            .await?;
        // An object id that is not there has no other name to try.
        if reply.status != 404 || !who.contains('@') {
            return errors::graph_user_answer(&reply, who);
        }
        // Not a user principal name: the address as the mailbox's primary address.
        let mut by_mail = self.graph.join("v1.0/users").expect("a relative path");
        let filter = format!("mail eq '{}'", who.replace('\'', "''"));
        by_mail
            .query_pairs_mut()
            .append_pair("$filter", &filter)
            .append_pair("$select", select);
        let reply = self
            .call(BotCall::Graph, deadline, Repeat::Idempotent, get(by_mail))
            .await?;
        errors::graph_user_answer(&reply, who)
    }

    /// The bot's 1:1 conversation with the person (created, or the one Teams already has).
    async fn conversation(&self, email: &str, deadline: Instant) -> Result<String, HitlError> {
        if let Some(id) = self.conversations.lock().await.get(email) {
            return Ok(id.clone());
        }
        let user_id = self.user_id(email, deadline).await?;
        self.open_conversation(email, &user_id, email, deadline)
            .await
    }

    /// The bot's 1:1 conversation with the person whose object id is `user_id` (`who` in
    /// errors), kept under `key` (their address, or their object id).
    async fn open_conversation(
        &self,
        key: &str,
        user_id: &str,
        who: &str,
        deadline: Instant,
    ) -> Result<String, HitlError> {
        if let Some(id) = self.conversations.lock().await.get(key) {
            return Ok(id.clone());
        }
        let tenant = &self.settings.tenant_id;
        let body = json!({
            "isGroup": false,
            "bot": {"id": format!("28:{}", self.settings.app_id)},
            "members": [{"id": user_id}],
            "tenantId": tenant,
            "channelData": {"tenant": {"id": tenant}},
        })
        .to_string();
        let url = self
            .service
            .join("v3/conversations")
            .expect("a relative path");
        // Creating a 1:1 conversation is idempotent: the same person, the same conversation.
        let reply = self
            .call(
                BotCall::CreateConversation,
                deadline,
                Repeat::Idempotent,
                |c, bearer| {
                    c.post(url.clone())
                        .header(AUTHORIZATION, bearer)
                        .header(CONTENT_TYPE, "application/json; charset=utf-8")
                        .body(body.clone())
                },
            )
            .await?;
        let id = errors::conversation_answer(&reply, who)?;
        self.conversations
            .lock()
            .await
            .insert(key.to_string(), id.clone());
        Ok(id)
    }

    /// `{serviceUrl}/v3/conversations/{conversation}/activities[/{activity_id}]`.
    fn activities_url(
        &self,
        conversation: &str,
        activity_id: Option<&str>,
    ) -> Result<Url, HitlError> {
        let mut url = self.service.clone();
        url.path_segments_mut()
            .map_err(|_| HitlError::Config("TEAMS_BOT_SERVICE_URL".into()))?
            .pop_if_empty()
            .extend(["v3", "conversations", conversation, "activities"])
            .extend(activity_id);
        Ok(url)
    }

    /// Posts `activity` (JSON) to `conversation`: not repeated after an ambiguous failure.
    async fn post_activity(
        &self,
        conversation: &str,
        activity: &str,
        call: BotCall,
        deadline: Instant,
    ) -> Result<Reply, HitlError> {
        let url = self.activities_url(conversation, None)?;
        self.call(call, deadline, Repeat::Once, |c, bearer| {
            c.post(url.clone())
                .header(AUTHORIZATION, bearer)
                .header(CONTENT_TYPE, "application/json; charset=utf-8")
                .body(activity.to_string())
        })
        .await
    }

    /// Posts `message` to the 1:1 chat of the person whose address is `email`.
    pub async fn send_to_user(
        &self,
        email: &str,
        message: &TeamsMessage,
    ) -> Result<PostedMessage, HitlError> {
        let deadline = self.http.deadline();
        let activity = activity(message).to_string();
        let mut retried = false;
        loop {
            let conversation = self.conversation(email, deadline).await?;
            let reply = self
                .post_activity(&conversation, &activity, BotCall::SendActivity, deadline)
                .await?;
            if reply.status == 404 && !retried {
                // The cached conversation is gone (nothing was posted): open it again.
                self.conversations.lock().await.remove(email);
                retried = true;
                continue;
            }
            errors::activity_answer(&reply, email)?;
            return Ok(PostedMessage { via: Via::Bot });
        }
    }
}

/// The message activity: the card as an Adaptive Card attachment (the webhook's envelope is a
/// Bot Framework activity too), plain text as `text`.
pub fn activity(message: &TeamsMessage) -> Value {
    match message {
        TeamsMessage::Card(card) => webhook_envelope(card),
        TeamsMessage::Text(text) => json!({"type": "message", "text": text, "textFormat": "plain"}),
    }
}

/// The approval use cases' `TeamsBot` port.
#[path = "bot_cards.rs"]
mod cards;

#[cfg(test)]
#[path = "bot_tests.rs"]
mod tests;
