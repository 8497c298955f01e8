//! Teams Send Channel Message: posts a text or an Adaptive Card to the channel of the
//! Workflows webhook (or, with `user`, to that person's 1:1 chat with the bot) and waits for
//! nothing. (Microsoft Graph takes app-only channel messages only for imports, so there is no
//! `target`.)

use approvals::use_cases::teams::send_message;
use approvals::HitlError;
use aws_adapters::cold_start::ColdContext;
use aws_adapters::secrets::{secret_text, TEAMS_BOT_APP_SECRET, TEAMS_WEBHOOK_URL};
use aws_adapters::startup::{serve_task, Dependencies, Task};
use channels::teams::{TeamsSendMessageInput, TeamsSendMessageOutput};
use lambda_kit::http_client::open_connections;
use saas_adapters::teams::destination::TeamsDestinations;

struct Deps(TeamsDestinations);

impl Dependencies for Deps {
    async fn build(cold: ColdContext) -> Result<Self, HitlError> {
        // The webhook's channel or chat, and the bot for a `user` (when configured).
        let teams = TeamsDestinations::configured(
            &cold.settings,
            (TEAMS_WEBHOOK_URL, TEAMS_BOT_APP_SECRET),
            secret_text(&cold.secrets),
        )
        .await?;
        // Its hosts are known once the webhook's secret is read.
        open_connections(&teams.connection_urls()).await;
        Ok(Deps(teams))
    }
}

impl Task for Deps {
    type Input = TeamsSendMessageInput;
    type Output = TeamsSendMessageOutput;

    async fn handle(
        &self,
        input: TeamsSendMessageInput,
    ) -> Result<TeamsSendMessageOutput, HitlError> {
        let (user, message) = input.validate_with_user()?;
        let output = send_message(user, message, &self.0).await?;
        tracing::info!(via = ?output.via, "Teams channel message sent");
        Ok(output)
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_kit::Error> {
    serve_task::<Deps>(env!("CARGO_PKG_NAME")).await
}
