//! Slack Wait For User Action (`.waitForTaskToken`): takes Send Message's output and waits for
//! a click on that message's buttons; a click that came before the wait resumes it at once.

use approvals::use_cases::{wait_for_approval, WaitOutput};
use approvals::HitlError;
use aws_adapters::sdk_config::{aws_config, WaitDeps};
use aws_adapters::sdk_config::{endpoints, AwsService};
use channels::slack::wait_target;
use lambda_kit::http_client::open_connections;
use lambda_kit::ColdStart;
use lambda_kit::{init_tracing, now, parse_input, run_task, Settings};
use serde_json::Value;

async fn handle(deps: &WaitDeps, payload: Value) -> Result<WaitOutput, HitlError> {
    let wait = wait_target(parse_input(payload)?)?;
    let output = wait_for_approval(wait, &deps.store, &deps.resumer, now())
        .await
        .map_err(|err| match err {
            HitlError::NotFound(_) => HitlError::NotFound(
                "no waitable Slack message there: send it with Slack Send Message, with buttons"
                    .into(),
            ),
            other => other,
        })?;
    tracing::info!(approval_id = %output.approval_id, status = ?output.status, "waiting for a Slack click");
    Ok(output)
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let settings = Settings::from_env();
    let config = aws_config().await;
    // Opened while init runs at full speed, not by the first event (lambda_kit::http_client).
    open_connections(&endpoints(
        &config,
        &settings,
        &[AwsService::DynamoDb, AwsService::StepFunctions],
    ))
    .await;
    // Built at cold start; only its settings can fail, and they are read again after a minute.
    let deps = ColdStart::start((config, settings), |(config, settings)| async move {
        WaitDeps::new(&config, &settings)
    })
    .await;
    run_task(&deps, handle).await
}
