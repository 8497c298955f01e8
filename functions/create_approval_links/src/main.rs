//! Create Approval Links: stores a pending approval and returns its signed approve/reject URLs.

use approvals::use_cases::create_approval_links;
use approvals::{Channel, CreateLinksInput, CreateLinksOutput, HitlError};
use aws_adapters::cold_start::ColdContext;
use aws_adapters::sdk_config::{approval_store, LinkConfig};
use aws_adapters::startup::{serve_task, Dependencies, Task};
use aws_adapters::DynamoApprovalStore;
use lambda_kit::{correlation, now};

struct Deps {
    links: LinkConfig,
    store: DynamoApprovalStore,
}

impl Dependencies for Deps {
    async fn build(cold: ColdContext) -> Result<Self, HitlError> {
        Ok(Deps {
            links: LinkConfig::load(&cold.secrets, &cold.settings).await?,
            store: approval_store(&cold.config, &cold.settings)?,
        })
    }
}

impl Task for Deps {
    type Input = CreateLinksInput;
    type Output = CreateLinksOutput;

    async fn handle(&self, input: CreateLinksInput) -> Result<CreateLinksOutput, HitlError> {
        let approval_id = uuid::Uuid::new_v4().to_string();
        correlation::approval_id(&approval_id);
        let output = create_approval_links(
            input,
            &self.links.settings(Channel::Email),
            &self.store,
            approval_id,
            now(),
        )
        .await?;
        tracing::info!(approval_id = %output.approval_id, approvers = output.links.len(), "approval links created");
        Ok(output)
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_kit::Error> {
    serve_task::<Deps>(env!("CARGO_PKG_NAME")).await
}
