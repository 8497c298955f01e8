//! Create Approval Links: stores a pending approval and returns its signed approve/reject URLs.

use approvals::use_cases::create_approval_links;
use approvals::{Channel, CreateLinksOutput, HitlError};
use aws_adapters::sdk_config::{approval_store, aws_config, LinkConfig};
use aws_adapters::sdk_config::{endpoints, AwsService};
use aws_adapters::secrets::SecretReader;
use aws_adapters::DynamoApprovalStore;
use lambda_kit::http::open_connections;
use lambda_kit::{init_tracing, now, parse_input, run_task, Settings};
use serde_json::Value;

struct Deps {
    links: LinkConfig,
    store: DynamoApprovalStore,
}

async fn handle(deps: &Deps, payload: Value) -> Result<CreateLinksOutput, HitlError> {
    let output = create_approval_links(
        parse_input(payload)?,
        &deps.links.settings(Channel::Email),
        &deps.store,
        uuid::Uuid::new_v4().to_string(),
        now(),
    )
    .await?;
    tracing::info!(approval_id = %output.approval_id, approvers = output.links.len(), "approval links created");
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
    open_connections(&endpoints(&config, &settings, &[AwsService::DynamoDb])).await;
    // Built once per cold start; a configuration error fails every Task with Hitl.Config.
    let deps: Result<Deps, HitlError> = async {
        Ok(Deps {
            links: LinkConfig::load(&secrets, &settings).await?,
            store: approval_store(&config, &settings)?,
        })
    }
    .await;
    run_task(&deps, handle).await
}
