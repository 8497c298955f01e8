//! Teams Request Action (`.waitForTaskToken`): stores a pending approval with the task token.
//! With the bot configured and `conversationId` (a channel or group chat the bot is in) or
//! `user`, the bot sends its card, whose `Action.Execute` buttons are decided in Teams as the
//! signed-in person (the Decision API's `/teams/messages`). Otherwise it posts through the
//! webhook an Adaptive Card whose Approve / Reject buttons open the signed, scanner-safe links,
//! or, with named approvers, emails each their personal links (through the transport
//! `EMAIL_TRANSPORT` names: SES, SMTP or Outlook) and posts a card that says who may decide.
//! The Decision API resumes the execution when someone decides.
//! With `approvalId` (not a `.waitForTaskToken` Task), the bot posts the request Create
//! Approval Links made as its card instead; Wait For Approval waits for it.

use approvals::ports::EmailSender;
use approvals::use_cases::teams::{
    post_to_request, request_action, request_action_via_bot, ApproverMail, BotChat, TeamsChat,
    TeamsRequest, NO_BOT_COMPANION,
};
use approvals::{Channel, HitlError};
use aws_adapters::cold_start::ColdContext;
use aws_adapters::sdk_config::{approval_store, LinkConfig};
use aws_adapters::secrets::{secret_text, TEAMS_BOT_APP_SECRET, TEAMS_WEBHOOK_URL};
use aws_adapters::ses_sender::sender_address;
use aws_adapters::startup::{serve_task, Dependencies, Task};
use aws_adapters::{DynamoApprovalStore, SesEmailSender};
use channels::teams::{AdaptiveCards, TeamsRequestActionInput, TeamsRequestActionOutput};
use lambda_kit::http_client::open_connections;
use lambda_kit::{correlation, now};
use saas_adapters::mail::configured_sender;
use saas_adapters::teams::bot::{BotSettings, TeamsBot};
use saas_adapters::teams::destination::TeamsDestinations;

struct Deps {
    links: LinkConfig,
    store: DynamoApprovalStore,
    teams: TeamsDestinations,
    /// The bot, when configured: cards decided in Teams (`conversationId`, `user`).
    bot: Option<TeamsBot>,
    sender: Box<dyn EmailSender>,
    sender_email: String,
}

impl Dependencies for Deps {
    async fn build(cold: ColdContext) -> Result<Self, HitlError> {
        let (settings, config, secrets) = (&cold.settings, &cold.config, &cold.secrets);
        let sender_email = sender_address(settings.sender_email()?)?;
        let mail = configured_sender(
            &settings.email_transport()?,
            &sender_email,
            secret_text(secrets),
            || Box::new(SesEmailSender::new(aws_sdk_sesv2::Client::new(config))),
        )
        .await?;
        // The webhook's channel or chat, and the bot for a `user` (when configured).
        let teams = TeamsDestinations::configured(
            settings,
            (TEAMS_WEBHOOK_URL, TEAMS_BOT_APP_SECRET),
            secret_text(secrets),
        )
        .await?;
        let bot = match BotSettings::from_settings(settings)? {
            None => None,
            // TeamsDestinations checked that its secret is set.
            Some(bot) => match secrets.optional_text(TEAMS_BOT_APP_SECRET).await? {
                Some(secret) => Some(TeamsBot::new(bot, &secret)?),
                None => None,
            },
        };
        // Their hosts are known once their secrets are read.
        let mut urls = mail.connection_urls;
        urls.extend(teams.connection_urls());
        open_connections(&urls).await;
        Ok(Deps {
            links: LinkConfig::load(secrets, settings).await?,
            store: approval_store(config, settings)?,
            teams,
            bot,
            sender: mail.sender,
            sender_email,
        })
    }
}

impl Task for Deps {
    type Input = TeamsRequestActionInput;
    type Output = TeamsRequestActionOutput;

    async fn handle(
        &self,
        input: TeamsRequestActionInput,
    ) -> Result<TeamsRequestActionOutput, HitlError> {
        if input.posts_existing_request() {
            return self.post_existing(input).await;
        }
        let request = input.validate()?;
        let approval_id = uuid::Uuid::new_v4().to_string();
        let settings = self.links.settings(Channel::Teams);
        let output = match self.bot_for(&request) {
            Some(bot) => {
                let chat = BotChat {
                    bot,
                    format: &AdaptiveCards,
                };
                let store = &self.store;
                request_action_via_bot(request, &settings, store, chat, approval_id, now()).await?
            }
            None => {
                let chat = TeamsChat {
                    messenger: &self.teams,
                    format: &AdaptiveCards,
                };
                let mail = ApproverMail {
                    sender: &self.sender,
                    from: &self.sender_email,
                };
                let store = &self.store;
                request_action(request, &settings, store, chat, &mail, approval_id, now()).await?
            }
        };
        correlation::approval_id(&output.approval_id);
        tracing::info!(approval_id = %output.approval_id, expires_at = %output.expires_at, "Teams approval requested; waiting");
        Ok(output)
    }
}

impl Deps {
    /// `approvalId`: the request Create Approval Links made, posted as the bot's card.
    async fn post_existing(
        &self,
        input: TeamsRequestActionInput,
    ) -> Result<TeamsRequestActionOutput, HitlError> {
        let request = input.validate_companion()?;
        let bot = self.bot.as_ref();
        let bot = bot.ok_or_else(|| HitlError::Config(NO_BOT_COMPANION.into()))?;
        let chat = BotChat {
            bot,
            format: &AdaptiveCards,
        };
        let settings = self.links.settings(Channel::Email);
        let output = post_to_request(request, &settings, &self.store, chat, now()).await?;
        correlation::approval_id(&output.approval_id);
        tracing::info!(approval_id = %output.approval_id, "request posted to Teams by the bot");
        Ok(output)
    }

    /// The bot, for a request it sends (to a conversation, or to `user`'s 1:1 chat). Without
    /// the bot such a request goes to the webhook path, which refuses it naming what to set.
    fn bot_for(&self, request: &TeamsRequest) -> Option<&TeamsBot> {
        let through_bot = request.conversation_id.is_some() || request.user.is_some();
        self.bot.as_ref().filter(|_| through_bot)
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_kit::Error> {
    serve_task::<Deps>(env!("CARGO_PKG_NAME")).await
}
