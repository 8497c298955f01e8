//! Slack Request Action (`.waitForTaskToken`): posts a message with buttons to a channel or a
//! user's DM and stores the task token; the click (through the Decision API) resumes the Task
//! with the decision. With `approvalId` (a plain Task): posts the request Create Approval Links
//! made, whose Wait For Approval is resumed by whichever channel decides it.

use approvals::use_cases::slack::{post_to_request, request_action, RequestActionOutput};
use approvals::HitlError;
use aws_adapters::cold_start::ColdContext;
use aws_adapters::sdk_config::approval_store;
use aws_adapters::secrets::SLACK_BOT_TOKEN;
use aws_adapters::startup::{serve_task, Dependencies, Task};
use aws_adapters::DynamoApprovalStore;
use channels::slack::{BlockKit, RequestActionInput};
use lambda_kit::{correlation, now};
use saas_adapters::slack::SlackWebApi;

struct Deps {
    store: DynamoApprovalStore,
    slack: SlackWebApi,
    retention_days: i64,
}

impl Dependencies for Deps {
    fn saas_urls(cold: &ColdContext) -> Vec<String> {
        vec![SlackWebApi::connection_url(cold.settings.slack_api_url())]
    }

    async fn build(cold: ColdContext) -> Result<Self, HitlError> {
        let token = cold.secrets.required_text(SLACK_BOT_TOKEN).await?;
        Ok(Deps {
            store: approval_store(&cold.config, &cold.settings)?,
            slack: SlackWebApi::from_token(cold.settings.slack_api_url(), &token),
            retention_days: cold.settings.retention_days()?,
        })
    }
}

impl Task for Deps {
    type Input = RequestActionInput;
    type Output = RequestActionOutput;

    async fn handle(&self, input: RequestActionInput) -> Result<RequestActionOutput, HitlError> {
        let output = match input.names_request() {
            true => {
                let post = input.validate_companion()?;
                post_to_request(post, &self.store, &self.slack, &BlockKit, now()).await?
            }
            false => {
                let request = input.validate(uuid::Uuid::new_v4().to_string())?;
                let retention_days = self.retention_days;
                request_action(request, &self.store, &self.slack, retention_days, now()).await?
            }
        };
        correlation::approval_id(&output.approval_id);
        tracing::info!(approval_id = %output.approval_id, channel = %output.channel, ts = %output.ts, "Slack request posted");
        Ok(output)
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_kit::Error> {
    serve_task::<Deps>(env!("CARGO_PKG_NAME")).await
}
