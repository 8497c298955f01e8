//! Slack Wait For User Action (`.waitForTaskToken`): takes Send Message's output and waits for
//! a click on that message's buttons; a click that came before the wait resumes it at once.

use hitl_aws::lambda_support::{
    aws_config, init_tracing, now, parse_input, required_env, run_task,
};
use hitl_aws::{DynamoApprovalStore, StepFunctionsResumer};
use hitl_domain::service::{wait_for_approval, WaitOutput};
use hitl_domain::slack::wait_target;
use hitl_domain::HitlError;
use serde_json::Value;

struct Deps {
    store: DynamoApprovalStore,
    resumer: StepFunctionsResumer,
}

async fn handle(deps: &Deps, payload: Value) -> Result<WaitOutput, HitlError> {
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
    tracing::info!(approval_id = %output.approval_id, status = %output.status, "waiting for a Slack click");
    Ok(output)
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let config = aws_config().await;
    let deps = required_env("TABLE_NAME").map(|table| Deps {
        store: DynamoApprovalStore::new(aws_sdk_dynamodb::Client::new(&config), table),
        resumer: StepFunctionsResumer::new(aws_sdk_sfn::Client::new(&config)),
    });
    run_task(deps, handle).await
}
