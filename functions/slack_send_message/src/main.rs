//! Slack Send Message: text or raw Block Kit to a channel, a user's DM or a thread. Returns
//! `{channel, ts}` (and `approvalId` when the message has buttons a workflow can wait on).

use approvals::use_cases::slack::{send_message, SentMessage};
use approvals::HitlError;
use aws_adapters::cold_start::ColdContext;
use aws_adapters::sdk_config::approval_store;
use aws_adapters::secrets::SLACK_BOT_TOKEN;
use aws_adapters::startup::{serve_task, Dependencies, Task};
use aws_adapters::DynamoApprovalStore;
use channels::slack::SendMessageInput;
use lambda_kit::now;
use saas_adapters::slack::SlackWebApi;

struct Deps {
    store: DynamoApprovalStore,
    slack: SlackWebApi,
    retention_days: i64,
}

impl Dependencies for Deps {
    fn saas_urls(cold: &ColdContext) -> Vec<String> {
        vec![SlackWebApi::connection_url(cold.settings.slack_api_url())]
    }

    async fn build(cold: ColdContext) -> Result<Self, HitlError> {
        let token = cold.secrets.required_text(SLACK_BOT_TOKEN).await?;
        Ok(Deps {
            store: approval_store(&cold.config, &cold.settings)?,
            slack: SlackWebApi::from_token(cold.settings.slack_api_url(), &token),
            retention_days: cold.settings.retention_days()?,
        })
    }
}

impl Task for Deps {
    type Input = SendMessageInput;
    type Output = SentMessage;

    async fn handle(&self, input: SendMessageInput) -> Result<SentMessage, HitlError> {
        let post = input.validate()?;
        let sent = send_message(post, &self.store, &self.slack, self.retention_days, now()).await?;
        tracing::info!(channel = %sent.channel, ts = %sent.ts, waitable = sent.approval_id.is_some(), "Slack message sent");
        Ok(sent)
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_kit::Error> {
    serve_task::<Deps>(env!("CARGO_PKG_NAME")).await
}
