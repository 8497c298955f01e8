//! One scheduled run of the Decision Relay: passes over the relay index every few
//! seconds while work falls due within the run's budget, so a fault that clears is followed
//! within seconds, and runs a minute apart leave no gap longer than a quarter of a minute.

use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;

use super::{relay_while, RelayReport};
use crate::error::HitlError;
use crate::ports::{Approvals, OutcomeNotifier, WorkflowResumer};
use crate::ApprovalId;

/// How long a run starts new work, how long it pauses between passes, and how many records
/// one pass reads.
#[derive(Debug, Clone, Copy)]
pub struct RunLimits {
    pub budget: Duration,
    pub pass_interval: Duration,
    pub batch: usize,
}

/// Time as a run sees it: the wall clock (Unix seconds, what records hold), the time the run
/// has taken, and a pause. Tests drive it by hand.
#[async_trait]
pub trait RunClock: Send + Sync {
    fn now(&self) -> i64;
    fn elapsed(&self) -> Duration;
    async fn pause(&self, duration: Duration);
}

/// What a run did, summed over its passes.
#[derive(Debug, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    pub passes: u32,
    pub delivered: usize,
    pub late: usize,
    pub expired: usize,
    pub messages_updated: usize,
    /// Teams bot cards brought up to their open request's progress.
    pub progress_shown: usize,
    pub settled: usize,
    /// Still failing when the run ended: the next run goes on.
    pub retry_later: Vec<ApprovalId>,
    /// Messages given up for good this run (each logged once at warn with its reason).
    pub gave_up: Vec<ApprovalId>,
    /// Decisions or expiries Step Functions refused for good this run (each logged once at
    /// warn with its reason): settled without them.
    pub delivery_gave_up: Vec<ApprovalId>,
}

impl RunReport {
    fn add(&mut self, pass: RelayReport) {
        self.passes += 1;
        self.delivered += pass.delivered.len();
        self.late += pass.late.len();
        self.expired += pass.expired.len();
        self.messages_updated += pass.messages_updated.len();
        self.progress_shown += pass.progress_shown.len();
        self.settled += pass.settled;
        self.retry_later = pass.retry_later;
        self.gave_up.extend(pass.gave_up);
        self.delivery_gave_up.extend(pass.delivery_gave_up);
    }
}

/// Passes until nothing falls due before the budget ends (or the budget is spent), each pass
/// reported to `on_pass` with the time it started. No pass starts a record after the budget.
pub async fn relay_run(
    store: &dyn Approvals,
    resumer: &dyn WorkflowResumer,
    notifier: Option<&dyn OutcomeNotifier>,
    clock: &dyn RunClock,
    limits: RunLimits,
    on_pass: &(dyn Fn(&RelayReport, i64) + Sync),
) -> Result<RunReport, HitlError> {
    let mut run = RunReport::default();
    loop {
        let in_budget = || clock.elapsed() < limits.budget;
        let at = clock.now();
        let pass = relay_while(store, resumer, notifier, at, limits.batch, &in_budget).await?;
        on_pass(&pass, at);
        run.add(pass);
        let horizon = limits.budget.saturating_sub(clock.elapsed());
        if horizon < limits.pass_interval {
            break;
        }
        // Keep going only while something falls due before this run's budget ends.
        let until = clock.now() + horizon.as_secs() as i64;
        if store.due_for_relay(until, 1).await?.is_empty() {
            break;
        }
        clock.pause(limits.pass_interval).await;
    }
    Ok(run)
}

#[cfg(test)]
mod tests;
