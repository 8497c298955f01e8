//! Slack Expiry Sweeper (scheduled): closes the Slack messages of requests that expired without
//! an answer, replacing their buttons with the expiry line, so nobody clicks on a request the
//! workflow stopped waiting for. Its input (the schedule's event) is not used.

use approvals::use_cases::slack::{close_expired_messages_while, SweepReport, SWEEP_BATCH};
use approvals::HitlError;
use aws_adapters::cold_start::ColdContext;
use aws_adapters::sdk_config::approval_store;
use aws_adapters::secrets::SLACK_BOT_TOKEN;
use aws_adapters::startup::{serve_task, Dependencies, Task};
use aws_adapters::DynamoApprovalStore;
use channels::slack::BlockKit;
use lambda_kit::{now, ScheduleEvent};
use saas_adapters::slack::SlackWebApi;

/// The sweep starts no new message after this; one message's worst case (claim, update,
/// release: 6.6 s) fits in what is left of the 60 s timeout.
const RUN_BUDGET: std::time::Duration = std::time::Duration::from_secs(45);

struct Deps {
    store: DynamoApprovalStore,
    slack: SlackWebApi,
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
        })
    }
}

impl Task for Deps {
    type Input = ScheduleEvent;
    type Output = SweepReport;

    async fn handle(&self, _event: ScheduleEvent) -> Result<SweepReport, HitlError> {
        let started = std::time::Instant::now();
        let in_budget = || started.elapsed() < RUN_BUDGET;
        let (store, slack) = (&self.store, &self.slack);
        let report =
            close_expired_messages_while(store, slack, &BlockKit, now(), SWEEP_BATCH, &in_budget)
                .await?;
        tracing::info!(
            closed = report.closed.len(),
            gone = report.gone.len(),
            retry_later = report.retry_later.len(),
            "expired Slack messages swept"
        );
        Ok(report)
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_kit::Error> {
    serve_task::<Deps>(env!("CARGO_PKG_NAME")).await
}
