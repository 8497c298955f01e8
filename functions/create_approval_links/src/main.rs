//! Create Approval Links: stores a pending approval and returns its signed approve/reject URLs.

use hitl_aws::lambda_support::{
    aws_config, init_tracing, now, parse_input, required_env, retention_days, run_task,
};
use hitl_aws::DynamoApprovalStore;
use hitl_domain::service::{create_approval_links, LinkSettings};
use hitl_domain::{Channel, CreateLinksOutput, HitlError, LinkSigner};
use serde_json::Value;

struct Deps {
    signer: LinkSigner,
    base_url: String,
    retention_days: i64,
    store: DynamoApprovalStore,
}

impl Deps {
    fn from_env(config: &aws_config::SdkConfig) -> Result<Self, HitlError> {
        let retention_days = retention_days()?;
        Ok(Deps {
            signer: LinkSigner::from_config(&required_env("LINK_SIGNING_KEYS")?)?,
            base_url: required_env("DECISION_BASE_URL")?,
            retention_days,
            store: DynamoApprovalStore::new(
                aws_sdk_dynamodb::Client::new(config),
                required_env("TABLE_NAME")?,
            ),
        })
    }
}

async fn handle(deps: &Deps, payload: Value) -> Result<CreateLinksOutput, HitlError> {
    let settings = LinkSettings {
        signer: &deps.signer,
        base_url: &deps.base_url,
        retention_days: deps.retention_days,
        origin: Channel::Email,
    };
    let output = create_approval_links(
        parse_input(payload)?,
        &settings,
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
    // Built once per cold start; a configuration error fails every Task with Hitl.Config.
    let deps = Deps::from_env(&aws_config().await);
    run_task(deps, handle).await
}
