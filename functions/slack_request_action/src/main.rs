//! Slack Request Action (`.waitForTaskToken`): posts a message with buttons to a channel or a
//! user's DM and stores the task token; the click (through the Decision API) resumes the Task
//! with the decision.

use approvals::HitlError;
use aws_adapters::sdk_config::{approval_store, aws_config};
use aws_adapters::sdk_config::{endpoints, AwsService};
use aws_adapters::secrets::{SecretReader, SLACK_BOT_TOKEN};
use aws_adapters::DynamoApprovalStore;
use channels::slack::{request_action, RequestActionOutput};
use lambda_kit::http::open_connections;
use lambda_kit::{init_tracing, now, parse_input, run_task, Settings};
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
    tracing::info!(approval_id = %output.approval_id, channel = %output.channel, ts = %output.ts, "Slack request posted");
    Ok(output)
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let settings = Settings::from_env();
    let config = aws_config().await;
    // Starts reading this function's secrets now, beside the connections opened below.
    let secrets = SecretReader::new(&config, &settings);
    // Opened while init runs at full speed, not by the first event (lambda_kit::http).
    let mut urls = endpoints(&config, &settings, &[AwsService::DynamoDb]);
    urls.push(SlackWebApi::connection_url(settings.slack_api_url()));
    open_connections(&urls).await;
    // Built once per cold start; a configuration error fails every Task with Hitl.Config.
    let deps: Result<Deps, HitlError> = async {
        Ok(Deps {
            store: approval_store(&config, &settings)?,
            slack: SlackWebApi::from_token(
                settings.slack_api_url(),
                &secrets.required_text(SLACK_BOT_TOKEN).await?,
            ),
            retention_days: settings.retention_days()?,
        })
    }
    .await;
    run_task(&deps, handle).await
}
