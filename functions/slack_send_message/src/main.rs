//! Slack Send Message: text or raw Block Kit to a channel, a user's DM or a thread. Returns
//! `{channel, ts}` (and `approvalId` when the message has buttons a workflow can wait on).

use hitl_aws::lambda_support::{
    aws_config, init_tracing, now, parse_input, required_env, retention_days, TaskFailure,
};
use hitl_aws::DynamoApprovalStore;
use hitl_domain::slack::{send_message, SentMessage};
use hitl_domain::HitlError;
use hitl_services::slack::SlackWebApi;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

struct Deps {
    store: DynamoApprovalStore,
    slack: SlackWebApi,
    retention_days: i64,
}

async fn handle(
    deps: &Result<Deps, HitlError>,
    payload: Value,
) -> Result<SentMessage, TaskFailure> {
    let deps = deps.as_ref().map_err(Clone::clone)?;
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
    let config = aws_config().await;
    let deps = (|| {
        Ok(Deps {
            store: DynamoApprovalStore::new(
                aws_sdk_dynamodb::Client::new(&config),
                required_env("TABLE_NAME")?,
            ),
            slack: SlackWebApi::from_env()?,
            retention_days: retention_days()?,
        })
    })();
    let deps = &deps;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(deps, event.payload).await
    }))
    .await
}
