//! Teams Send Chat Message: posts a text or an Adaptive Card to the chat of the
//! Workflows webhook, or with `user` (an email address) to that person's 1:1 chat with the bot
//! (a proactive Bot Framework message), and waits for nothing. (Microsoft Graph takes app-only
//! chat messages only for imports, so there is no `target`.)

use approvals::HitlError;
use aws_adapters::cold_start::ColdContext;
use aws_adapters::secrets::{secret_text, TEAMS_BOT_APP_SECRET, TEAMS_WEBHOOK_URL};
use channels::teams::{send_message, TeamsSendMessageOutput};
use lambda_kit::http_client::open_connections;
use lambda_kit::{init_tracing, parse_input, run_task};
use saas_adapters::teams::destination::TeamsDestinations;
use serde_json::Value;

async fn handle(
    teams: &TeamsDestinations,
    payload: Value,
) -> Result<TeamsSendMessageOutput, HitlError> {
    let output = send_message(parse_input(payload)?, teams).await?;
    tracing::info!(via = ?output.via, "Teams chat message sent");
    Ok(output)
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let cold = ColdContext::load().await;
    // Built at cold start; a transient failure is built again by the next event (ColdStart).
    let teams = cold
        .build(|cold| async move {
            // The webhook's channel or chat, and the bot for a `user` (when configured).
            let teams = TeamsDestinations::configured(
                &cold.settings,
                (TEAMS_WEBHOOK_URL, TEAMS_BOT_APP_SECRET),
                secret_text(&cold.secrets),
            )
            .await?;
            open_connections(&teams.connection_urls()).await;
            Ok(teams)
        })
        .await;
    run_task(&teams, handle).await
}
