//! Slack Send Message: text or raw Block Kit to a channel, a user's DM or a thread. Returns
//! `{channel, ts}` (and `approvalId` when the message has buttons a workflow can wait on).

use approvals::HitlError;
use aws_adapters::cold_start::ColdContext;
use aws_adapters::sdk_config::approval_store;
use aws_adapters::sdk_config::{endpoints, AwsService};
use aws_adapters::secrets::SLACK_BOT_TOKEN;
use aws_adapters::DynamoApprovalStore;
use channels::slack::{send_message, SentMessage};
use lambda_kit::http_client::open_connections;
use lambda_kit::{init_tracing, now, parse_input, run_task};
use saas_adapters::slack::SlackWebApi;
use serde_json::Value;

struct Deps {
    store: DynamoApprovalStore,
    slack: SlackWebApi,
    retention_days: i64,
}

async fn handle(deps: &Deps, payload: Value) -> Result<SentMessage, HitlError> {
    let sent = send_message(
        parse_input(payload)?,
        &deps.store,
        &deps.slack,
        deps.retention_days,
        now(),
    )
    .await?;
    tracing::info!(channel = %sent.channel, ts = %sent.ts, waitable = sent.approval_id.is_some(), "Slack message sent");
    Ok(sent)
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let cold = ColdContext::load().await;
    // Opened while init runs at full speed, not by the first event (lambda_kit::http_client).
    let mut urls = endpoints(&cold.config, &cold.settings, &[AwsService::DynamoDb]);
    urls.push(SlackWebApi::connection_url(cold.settings.slack_api_url()));
    open_connections(&urls).await;
    // Built at cold start; a transient failure is built again by the next event (ColdStart).
    let deps = cold
        .build(|cold| async move {
            let token = cold.secrets.required_text(SLACK_BOT_TOKEN).await?;
            Ok(Deps {
                store: approval_store(&cold.config, &cold.settings)?,
                slack: SlackWebApi::from_token(cold.settings.slack_api_url(), &token),
                retention_days: cold.settings.retention_days()?,
            })
        })
        .await;
    run_task(&deps, handle).await
}
