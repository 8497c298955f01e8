//! Wait For Approval (`.waitForTaskToken`): stores the task token on the approval; if someone
//! already decided, resumes the execution at once.

use approvals::use_cases::{wait_for_approval, WaitInput, WaitOutput};
use approvals::HitlError;
use aws_adapters::cold_start::ColdContext;
use aws_adapters::sdk_config::WaitDeps;
use aws_adapters::startup::{serve_task, Dependencies, Task};
use lambda_kit::now;

struct Deps(WaitDeps);

impl Dependencies for Deps {
    /// Only its settings can fail, and they are read again after a minute.
    async fn build(cold: ColdContext) -> Result<Self, HitlError> {
        WaitDeps::new(&cold.config, &cold.settings).map(Deps)
    }
}

impl Task for Deps {
    type Input = WaitInput;
    type Output = WaitOutput;

    async fn handle(&self, input: WaitInput) -> Result<WaitOutput, HitlError> {
        let output = wait_for_approval(input, &self.0.store, &self.0.resumer, now()).await?;
        tracing::info!(approval_id = %output.approval_id, status = ?output.status, "waiting for approval");
        Ok(output)
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_kit::Error> {
    serve_task::<Deps>(env!("CARGO_PKG_NAME")).await
}
