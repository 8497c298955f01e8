//! Decision Re-driver (scheduled every minute): delivers the decisions a fault left
//! undelivered, fails Tasks still waiting on expired requests with `Hitl.Expired`, and brings
//! Slack messages up to date with the final outcome. Its input (the schedule's event) is not
//! used.
//!
//! One run keeps passing over the re-drive index every few seconds while work is due within
//! its budget, so a fault that clears is followed within seconds, and runs a minute apart
//! leave no gap longer than a quarter of a minute.

use std::time::{Duration, Instant};

use approvals::delivery::{redrive_while, RedriveReport};
use approvals::ports::{DeliveryStore, OutcomeNotifier};
use approvals::{ApprovalRecord, HitlError};
use aws_adapters::cold_start::ColdContext;
use aws_adapters::sdk_config::WaitDeps;
use aws_adapters::sdk_config::{endpoints, AwsService};
use aws_adapters::secrets::SLACK_BOT_TOKEN;
use channels::slack_click::SlackOutcome;
use lambda_kit::http::open_connections;
use lambda_kit::{init_tracing, metrics, now, run_task};
use saas_adapters::slack::SlackWebApi;
use serde::Serialize;
use serde_json::Value;

/// How long one run starts new work. The function's timeout is 60 s; one record's worst case
/// (seven SDK calls of at most 1.5 s and one Slack update of at most 4 s) fits in what is left.
const RUN_BUDGET: Duration = Duration::from_secs(40);
/// The pause between two passes while work is due.
const PASS_INTERVAL: Duration = Duration::from_secs(3);
/// Records one pass handles.
const BATCH: usize = 100;

struct Deps {
    wait: WaitDeps,
    /// Set when the deployment has Slack: messages get their final outcome.
    slack: Option<SlackWebApi>,
}

/// What a run did, summed over its passes.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct RunReport {
    passes: u32,
    delivered: usize,
    late: usize,
    expired: usize,
    messages_updated: usize,
    settled: usize,
    /// Still failing when the run ended: the next run goes on.
    retry_later: Vec<String>,
    /// Messages given up for good this run (each logged once at warn with its reason).
    gave_up: Vec<String>,
}

impl RunReport {
    fn add(&mut self, pass: RedriveReport) {
        self.passes += 1;
        self.delivered += pass.delivered.len();
        self.late += pass.late.len();
        self.expired += pass.expired.len();
        self.messages_updated += pass.messages_updated.len();
        self.settled += pass.settled;
        self.retry_later = pass.retry_later;
        self.gave_up.extend(pass.gave_up);
    }
}

/// The message updates, with each refusal counted (`VendorRefusals`): the domain only keeps
/// the reason of the one it gives up.
struct CountedRefusals<'a>(&'a dyn OutcomeNotifier);

#[async_trait::async_trait]
impl OutcomeNotifier for CountedRefusals<'_> {
    async fn show_outcome(&self, record: &ApprovalRecord) -> Result<(), HitlError> {
        let shown = self.0.show_outcome(record).await;
        if let Err(err) = &shown {
            metrics::vendor_refusal(err);
        }
        shown
    }
}

/// A pass's metrics: what it delivered and gave up, and how far behind delivery is.
fn report_pass(pass: &RedriveReport, now: i64) {
    let age = pass
        .oldest_undelivered_decided_at
        .map_or(0, |decided_at| now - decided_at);
    metrics::redrive_pass(pass.delivered.len(), pass.gave_up.len(), age);
}

async fn handle(deps: &Deps, _event: Value) -> Result<RunReport, HitlError> {
    let started = Instant::now();
    let slack = deps
        .slack
        .as_ref()
        .map(|api| SlackOutcome(api as &dyn channels::slack::SlackMessenger));
    let counted = slack.as_ref().map(|s| CountedRefusals(s));
    let notifier = counted.as_ref().map(|s| s as &dyn OutcomeNotifier);
    let store = &deps.wait.store;
    let mut run = RunReport::default();
    loop {
        let in_budget = || started.elapsed() < RUN_BUDGET;
        let at = now();
        let pass =
            redrive_while(store, &deps.wait.resumer, notifier, at, BATCH, &in_budget).await?;
        report_pass(&pass, at);
        run.add(pass);
        let horizon = RUN_BUDGET.saturating_sub(started.elapsed());
        if horizon < PASS_INTERVAL {
            break;
        }
        // Keep going only while something falls due before this run's budget ends.
        let until = now() + horizon.as_secs() as i64;
        if store.due_for_redrive(until, 1).await?.is_empty() {
            break;
        }
        tokio::time::sleep(PASS_INTERVAL).await;
    }
    tracing::info!(
        passes = run.passes,
        delivered = run.delivered,
        late = run.late,
        expired = run.expired,
        messages_updated = run.messages_updated,
        retry_later = run.retry_later.len(),
        gave_up = run.gave_up.len(),
        "re-drive run done"
    );
    Ok(run)
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let cold = ColdContext::load().await;
    // Opened while init runs at full speed, not by the first event (lambda_kit::http).
    let mut urls = endpoints(
        &cold.config,
        &cold.settings,
        &[AwsService::DynamoDb, AwsService::StepFunctions],
    );
    urls.push(SlackWebApi::connection_url(cold.settings.slack_api_url()));
    open_connections(&urls).await;
    // Built at cold start; a transient failure is built again by the next event (ColdStart).
    let deps = cold
        .build(|cold| async move {
            // Slack is optional: without its token the re-driver only resumes workflows.
            let token = cold.secrets.optional_text(SLACK_BOT_TOKEN).await?;
            Ok(Deps {
                wait: WaitDeps::new(&cold.config, &cold.settings)?,
                slack: token.map(|t| SlackWebApi::from_token(cold.settings.slack_api_url(), &t)),
            })
        })
        .await;
    run_task(&deps, handle).await
}
