//! Create Approval Links: stores a pending approval and returns its signed approve/reject URLs.

use approvals::use_cases::create_approval_links;
use approvals::{Channel, CreateLinksOutput, HitlError};
use aws_adapters::cold_start::ColdContext;
use aws_adapters::sdk_config::{approval_store, LinkConfig};
use aws_adapters::sdk_config::{endpoints, AwsService};
use aws_adapters::DynamoApprovalStore;
use lambda_kit::http_client::open_connections;
use lambda_kit::{correlation, init_tracing, now, parse_input, run_task};
use serde_json::Value;

struct Deps {
    links: LinkConfig,
    store: DynamoApprovalStore,
}

async fn handle(deps: &Deps, payload: Value) -> Result<CreateLinksOutput, HitlError> {
    let approval_id = uuid::Uuid::new_v4().to_string();
    correlation::approval_id(&approval_id);
    let output = create_approval_links(
        parse_input(payload)?,
        &deps.links.settings(Channel::Email),
        &deps.store,
        approval_id,
        now(),
    )
    .await?;
    tracing::info!(approval_id = %output.approval_id, approvers = output.links.len(), "approval links created");
    Ok(output)
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let cold = ColdContext::load().await;
    // Opened while init runs at full speed, not by the first event (lambda_kit::http_client).
    open_connections(&endpoints(
        &cold.config,
        &cold.settings,
        &[AwsService::DynamoDb],
    ))
    .await;
    // Built at cold start; a transient failure is built again by the next event (ColdStart).
    let deps = cold
        .build(|cold| async move {
            Ok(Deps {
                links: LinkConfig::load(&cold.secrets, &cold.settings).await?,
                store: approval_store(&cold.config, &cold.settings)?,
            })
        })
        .await;
    run_task(&deps, handle).await
}
