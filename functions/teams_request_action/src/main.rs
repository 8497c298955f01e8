//! Teams Request Action (`.waitForTaskToken`): stores a pending approval with the task token
//! and posts an Adaptive Card whose Approve / Reject buttons open the signed, scanner-safe
//! links, or, with named approvers, emails each their personal links (through the transport
//! `EMAIL_TRANSPORT` names: SES, SMTP or Outlook) and posts a card
//! that says who may decide; with `user` (an email address), sends the card with links bound to
//! that person to their 1:1 chat with the bot instead. The Decision API resumes the execution
//! when someone decides.

use approvals::ports::EmailSender;
use approvals::use_cases::teams::{request_action, ApproverMail, TeamsChat};
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
use saas_adapters::teams::destination::TeamsDestinations;

struct Deps {
    links: LinkConfig,
    store: DynamoApprovalStore,
    teams: TeamsDestinations,
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
        // Their hosts are known once their secrets are read.
        let mut urls = mail.connection_urls;
        urls.extend(teams.connection_urls());
        open_connections(&urls).await;
        Ok(Deps {
            links: LinkConfig::load(secrets, settings).await?,
            store: approval_store(config, settings)?,
            teams,
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
        let chat = TeamsChat {
            messenger: &self.teams,
            format: &AdaptiveCards,
        };
        let output = request_action(
            input.validate()?,
            &self.links.settings(Channel::Teams),
            &self.store,
            chat,
            &ApproverMail {
                sender: &self.sender,
                from: &self.sender_email,
            },
            uuid::Uuid::new_v4().to_string(),
            now(),
        )
        .await?;
        correlation::approval_id(&output.approval_id);
        tracing::info!(approval_id = %output.approval_id, expires_at = %output.expires_at, "Teams approval requested; waiting");
        Ok(output)
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_kit::Error> {
    serve_task::<Deps>(env!("CARGO_PKG_NAME")).await
}
