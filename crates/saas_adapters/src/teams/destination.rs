//! Where a Teams message goes: the Workflows webhook's channel or chat, or, for a `user`, that
//! person's 1:1 chat with the bot. Either may be left unconfigured; asking for it then fails
//! with `Hitl.Config`, naming what to set.

use approvals::ports::{PostedMessage, TeamsMessage, TeamsMessenger, NO_BOT};
use approvals::HitlError;
use async_trait::async_trait;
use lambda_kit::Settings;

use crate::mail::SecretRead;

use super::bot::TeamsBot;
use super::TeamsClient;

#[derive(Debug)]
pub struct TeamsDestinations {
    webhook: Result<TeamsClient, HitlError>,
    bot: Option<TeamsBot>,
}

impl TeamsDestinations {
    pub fn new(webhook: Result<TeamsClient, HitlError>, bot: Option<TeamsBot>) -> Self {
        TeamsDestinations { webhook, bot }
    }

    /// The webhook (its URL from the secret `webhook_var` names) and the bot (`TEAMS_BOT_*`,
    /// its client secret from the secret `bot_secret_var` names), each read through `secret`.
    /// With neither, the webhook's configuration error.
    pub async fn configured(
        settings: &Settings,
        (webhook_var, bot_secret_var): (&'static str, &'static str),
        secret: impl Fn(&'static str) -> SecretRead,
    ) -> Result<Self, HitlError> {
        let webhook = match secret(webhook_var).await? {
            Some(url) => TeamsClient::from_secret(&url),
            None => Err(HitlError::Config(format!(
                "Teams is not configured: the secret named by {webhook_var} (a Teams Workflows webhook URL) is not set; messages without user need it"
            ))),
        };
        let bot = TeamsBot::configured(settings, bot_secret_var, secret).await?;
        match (&webhook, &bot) {
            (Err(e), None) => Err(e.clone()),
            _ => Ok(TeamsDestinations::new(webhook, bot)),
        }
    }

    /// What init opens connections with: the webhook's and the bot's hosts.
    pub fn connection_urls(&self) -> Vec<String> {
        let mut urls: Vec<String> = self.webhook.iter().map(|w| w.connection_url()).collect();
        if let Some(bot) = &self.bot {
            urls.extend(bot.connection_urls());
        }
        urls
    }
}

#[async_trait]
impl TeamsMessenger for TeamsDestinations {
    async fn post(&self, message: &TeamsMessage) -> Result<PostedMessage, HitlError> {
        match &self.webhook {
            Ok(webhook) => webhook.post(message).await,
            Err(e) => Err(e.clone()),
        }
    }

    async fn post_to_user(
        &self,
        email: &str,
        message: &TeamsMessage,
    ) -> Result<PostedMessage, HitlError> {
        match &self.bot {
            Some(bot) => bot.send_to_user(email, message).await,
            None => Err(HitlError::Config(NO_BOT.into())),
        }
    }
}
