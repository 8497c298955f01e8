//! Teams Request Action (`.waitForTaskToken`): stores a pending approval with the task token
//! and posts an Adaptive Card whose Approve / Reject buttons open the signed, scanner-safe
//! links; the Decision API resumes the execution when someone decides.

use hitl_aws::lambda_support::{
    aws_config, init_tracing, now, parse_input, required_env, retention_days, run_task,
};
use hitl_aws::DynamoApprovalStore;
use hitl_domain::service::LinkSettings;
use hitl_domain::teams::{request_action, TeamsRequestActionOutput};
use hitl_domain::{Channel, HitlError, LinkSigner};
use hitl_services::teams::TeamsClient;
use serde_json::Value;

struct Deps {
    signer: LinkSigner,
    base_url: String,
    retention_days: i64,
    store: DynamoApprovalStore,
    teams: TeamsClient,
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
            teams: TeamsClient::from_env()?,
        })
    }
}

async fn handle(deps: &Deps, payload: Value) -> Result<TeamsRequestActionOutput, HitlError> {
    let settings = LinkSettings {
        signer: &deps.signer,
        base_url: &deps.base_url,
        retention_days: deps.retention_days,
        origin: Channel::Teams,
    };
    let output = request_action(
        parse_input(payload)?,
        &settings,
        &deps.store,
        &deps.teams,
        uuid::Uuid::new_v4().to_string(),
        now(),
    )
    .await?;
    tracing::info!(approval_id = %output.approval_id, expires_at = %output.expires_at, "Teams approval requested; waiting");
    Ok(output)
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    // Built once per cold start; a configuration error fails every Task with Hitl.Config.
    let deps = Deps::from_env(&aws_config().await);
    run_task(deps, handle).await
}
