//! Slack Request Action (`.waitForTaskToken`): posts a message with buttons to a channel or a
//! user's DM and stores the task token; the click (through the Decision API) resumes the Task
//! with the decision.

use approvals::HitlError;
use aws_adapters::cold_start::ColdContext;
use aws_adapters::sdk_config::approval_store;
use aws_adapters::sdk_config::{endpoints, AwsService};
use aws_adapters::secrets::SLACK_BOT_TOKEN;
use aws_adapters::DynamoApprovalStore;
use channels::slack::{request_action, RequestActionOutput};
use lambda_kit::http_client::open_connections;
use lambda_kit::{correlation, init_tracing, now, parse_input, run_task};
use saas_adapters::slack::SlackWebApi;
use serde_json::Value;

struct Deps {
    store: DynamoApprovalStore,
    slack: SlackWebApi,
    retention_days: i64,
}

async fn handle(deps: &Deps, payload: Value) -> Result<RequestActionOutput, HitlError> {
    let output = request_action(
        parse_input(payload)?,
        &deps.store,
        &deps.slack,
        uuid::Uuid::new_v4().to_string(),
        deps.retention_days,
        now(),
    )
    .await?;
    correlation::approval_id(&output.approval_id);
    tracing::info!(approval_id = %output.approval_id, channel = %output.channel, ts = %output.ts, "Slack request posted");
    Ok(output)
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
