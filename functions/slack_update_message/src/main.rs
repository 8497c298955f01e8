//! Slack Update Message: replaces the text/blocks of a message the bot posted (by channel + ts,
//! or Send Message's whole output as `message`).

use approvals::HitlError;
use aws_adapters::cold_start::ColdContext;
use aws_adapters::secrets::SLACK_BOT_TOKEN;
use channels::slack::{update_message, SentMessage};
use lambda_kit::http_client::open_connections;
use lambda_kit::{init_tracing, parse_input, run_task};
use saas_adapters::slack::SlackWebApi;
use serde_json::Value;

async fn handle(slack: &SlackWebApi, payload: Value) -> Result<SentMessage, HitlError> {
    let updated = update_message(parse_input(payload)?, slack).await?;
    tracing::info!(channel = %updated.channel, ts = %updated.ts, "Slack message updated");
    Ok(updated)
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let cold = ColdContext::load().await;
    // Opened while init runs at full speed, not by the first event (lambda_kit::http_client).
    open_connections(&[SlackWebApi::connection_url(cold.settings.slack_api_url())]).await;
    // Built at cold start; a transient failure is built again by the next event (ColdStart).
    let slack = cold
        .build(|cold| async move {
            let token = cold.secrets.required_text(SLACK_BOT_TOKEN).await?;
            Ok(SlackWebApi::from_token(
                cold.settings.slack_api_url(),
                &token,
            ))
        })
        .await;
    run_task(&slack, handle).await
}
