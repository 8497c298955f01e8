//! Slack Expiry Sweeper (scheduled): closes the Slack messages of requests that expired without
//! an answer, replacing their buttons with the expiry line, so nobody clicks on a request the
//! workflow stopped waiting for. Its input (the schedule's event) is not used.

use approvals::HitlError;
use aws_adapters::cold_start::ColdContext;
use aws_adapters::sdk_config::approval_store;
use aws_adapters::sdk_config::{endpoints, AwsService};
use aws_adapters::secrets::SLACK_BOT_TOKEN;
use aws_adapters::DynamoApprovalStore;
use channels::slack::{close_expired_messages_while, SweepReport, SWEEP_BATCH};
use lambda_kit::http_client::open_connections;
use lambda_kit::{init_tracing, now, run_task};
use saas_adapters::slack::SlackWebApi;
use serde_json::Value;

/// The sweep starts no new message after this; one message's worst case (claim, update,
/// release: 6.6 s) fits in what is left of the 60 s timeout.
const RUN_BUDGET: std::time::Duration = std::time::Duration::from_secs(45);

struct Deps {
    store: DynamoApprovalStore,
    slack: SlackWebApi,
}

async fn handle(deps: &Deps, _event: Value) -> Result<SweepReport, HitlError> {
    let started = std::time::Instant::now();
    let in_budget = || started.elapsed() < RUN_BUDGET;
    let report =
        close_expired_messages_while(&deps.store, &deps.slack, now(), SWEEP_BATCH, &in_budget)
            .await?;
    tracing::info!(
        closed = report.closed.len(),
        gone = report.gone.len(),
        retry_later = report.retry_later.len(),
        "expired Slack messages swept"
    );
    Ok(report)
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let cold = ColdContext::load().await;
    // Opened while init runs at full speed, not by the first event (lambda_kit::http_client).
    let mut urls = endpoints(&cold.config, &cold.settings, &[AwsService::DynamoDb]);
    urls.push(SlackWebApi::connection_url(cold.settings.slack_api_url()));
    open_connections(&urls).await;
    // Built at cold start; a transient failure is built again by the next event (ColdStart).
    let deps = cold
        .build(|cold| async move {
            let token = cold.secrets.required_text(SLACK_BOT_TOKEN).await?;
            Ok(Deps {
                store: approval_store(&cold.config, &cold.settings)?,
                slack: SlackWebApi::from_token(cold.settings.slack_api_url(), &token),
            })
        })
        .await;
    run_task(&deps, handle).await
}
