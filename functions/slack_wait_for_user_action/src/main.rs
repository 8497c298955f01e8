//! Slack Wait For User Action (`.waitForTaskToken`): takes Send Message's output and waits for
//! a click on that message's buttons; a click that came before the wait resumes it at once.

use approvals::use_cases::{wait_for_approval, WaitOutput};
use approvals::HitlError;
use aws_adapters::cold_start::ColdContext;
use aws_adapters::sdk_config::WaitDeps;
use aws_adapters::startup::{serve_task, Dependencies, Task};
use channels::slack::{wait_target, WaitForUserActionInput};
use lambda_kit::now;

struct Deps(WaitDeps);

impl Dependencies for Deps {
    /// Only its settings can fail, and they are read again after a minute.
    async fn build(cold: ColdContext) -> Result<Self, HitlError> {
        WaitDeps::new(&cold.config, &cold.settings).map(Deps)
    }
}

impl Task for Deps {
    type Input = WaitForUserActionInput;
    type Output = WaitOutput;

    async fn handle(&self, input: WaitForUserActionInput) -> Result<WaitOutput, HitlError> {
        let wait = wait_target(input)?;
        let output = wait_for_approval(wait, &self.0.store, &self.0.resumer, now())
            .await
            .map_err(|err| {
                match err {
                HitlError::NotFound(_) => HitlError::NotFound(
                    "no waitable Slack message there: send it with Slack Send Message, with buttons"
                        .into(),
                ),
                other => other,
            }
            })?;
        tracing::info!(approval_id = %output.approval_id, status = ?output.status, "waiting for a Slack click");
        Ok(output)
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_kit::Error> {
    serve_task::<Deps>(env!("CARGO_PKG_NAME")).await
}
