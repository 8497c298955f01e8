//! Slack Update Message: replaces the text/blocks of a message the bot posted (by channel + ts,
//! or Send Message's whole output as `message`).

use approvals::HitlError;
use aws_adapters::sdk_config::aws_config;
use aws_adapters::secrets::{SecretReader, SLACK_BOT_TOKEN};
use channels::slack::{update_message, SentMessage};
use lambda_kit::http::open_connections;
use lambda_kit::{init_tracing, parse_input, run_task, Settings};
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
    let settings = Settings::from_env();
    let config = aws_config().await;
    // Starts reading this function's secrets now, beside the connections opened below.
    let secrets = SecretReader::new(&config, &settings);
    // Opened while init runs at full speed, not by the first event (lambda_kit::http).
    open_connections(&[SlackWebApi::connection_url(settings.slack_api_url())]).await;
    let slack = secrets
        .required_text(SLACK_BOT_TOKEN)
        .await
        .map(|token| SlackWebApi::from_token(settings.slack_api_url(), &token));
    run_task(&slack, handle).await
}
