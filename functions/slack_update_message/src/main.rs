//! Slack Update Message: replaces the text/blocks of a message the bot posted (by channel + ts,
//! or Send Message's whole output as `message`).

use approvals::use_cases::slack::{update_message, SentMessage};
use approvals::HitlError;
use aws_adapters::cold_start::ColdContext;
use aws_adapters::secrets::SLACK_BOT_TOKEN;
use aws_adapters::startup::{serve_task, Dependencies, Task};
use channels::slack::UpdateMessageInput;
use saas_adapters::slack::SlackWebApi;

struct Deps(SlackWebApi);

impl Dependencies for Deps {
    fn saas_urls(cold: &ColdContext) -> Vec<String> {
        vec![SlackWebApi::connection_url(cold.settings.slack_api_url())]
    }

    async fn build(cold: ColdContext) -> Result<Self, HitlError> {
        let token = cold.secrets.required_text(SLACK_BOT_TOKEN).await?;
        let slack = SlackWebApi::from_token(cold.settings.slack_api_url(), &token);
        Ok(Deps(slack))
    }
}

impl Task for Deps {
    type Input = UpdateMessageInput;
    type Output = SentMessage;

    async fn handle(&self, input: UpdateMessageInput) -> Result<SentMessage, HitlError> {
        let (target, message) = input.validate()?;
        let updated = update_message(target, message, &self.0).await?;
        tracing::info!(channel = %updated.channel, ts = %updated.ts, "Slack message updated");
        Ok(updated)
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_kit::Error> {
    serve_task::<Deps>(env!("CARGO_PKG_NAME")).await
}
