//! Decision Relay (scheduled every minute): delivers the decisions a fault left
//! undelivered, fails Tasks still waiting on expired requests with `Hitl.Expired`, and brings
//! Slack messages and the Teams bot's cards up to date with the final outcome (and a bot card
//! with an open request's progress after each vote the Decision API counts: it holds no bot
//! secret). Its input (the schedule's event) is not used.
//! One run's passes and budget are the model's (`approvals::delivery::run`).

use std::time::{Duration, Instant};

use approvals::delivery::run::{relay_run, RunClock, RunLimits, RunReport};
use approvals::delivery::RelayReport;
use approvals::ports::OutcomeNotifier;
use approvals::use_cases::slack_click::{Chat, SlackOutcome};
use approvals::use_cases::teams_card::TeamsCardOutcome;
use approvals::{ApprovalRecord, Channel, HitlError};
use aws_adapters::cold_start::ColdContext;
use aws_adapters::sdk_config::WaitDeps;
use aws_adapters::secrets::{secret_text, SLACK_BOT_TOKEN, TEAMS_BOT_APP_SECRET};
use aws_adapters::startup::{serve_task, Dependencies, Task};
use channels::slack::BlockKit;
use channels::teams::AdaptiveCards;
use lambda_kit::{metrics, now, ScheduleEvent};
use saas_adapters::slack::SlackWebApi;
use saas_adapters::teams::bot::TeamsBot;

/// How long one run starts new work. The function's timeout is 60 s; one record's worst case
/// (seven SDK calls of at most 1.5 s and one Slack update of at most 4 s) fits in what is left.
/// Passes every 3 s while work is due; one pass reads up to 100 records.
const LIMITS: RunLimits = RunLimits {
    budget: Duration::from_secs(40),
    pass_interval: Duration::from_secs(3),
    batch: 100,
};

struct Deps {
    wait: WaitDeps,
    /// Set when the deployment has Slack: messages get their final outcome.
    slack: Option<SlackWebApi>,
    /// Set when the deployment has the Teams bot: its cards get their final outcome.
    teams: Option<TeamsBot>,
}

impl Dependencies for Deps {
    fn saas_urls(cold: &ColdContext) -> Vec<String> {
        vec![SlackWebApi::connection_url(cold.settings.slack_api_url())]
    }

    async fn build(cold: ColdContext) -> Result<Self, HitlError> {
        // Slack and the bot are optional: without either the relay only resumes workflows.
        let token = cold.secrets.optional_text(SLACK_BOT_TOKEN).await?;
        let bot = TeamsBot::configured(
            &cold.settings,
            TEAMS_BOT_APP_SECRET,
            secret_text(&cold.secrets),
        );
        let teams = keep_relaying(bot.await)?;
        if let Some(bot) = &teams {
            lambda_kit::http_client::open_connections(&bot.connection_urls()).await;
        }
        Ok(Deps {
            wait: WaitDeps::new(&cold.config, &cold.settings)?,
            slack: token.map(|t| SlackWebApi::from_token(cold.settings.slack_api_url(), &t)),
            teams,
        })
    }
}

/// The bot, or none when its configuration is wrong: a missing tenant or client secret must not
/// stop the relay for every channel (Slack's messages, email decisions, expiries), so it is
/// logged and the bot's cards are given up with `Hitl.Config` by [`ByChannel`]. A transient
/// failure (reading the secret) is not kept: the build is tried again by the next run.
fn keep_relaying(bot: Result<Option<TeamsBot>, HitlError>) -> Result<Option<TeamsBot>, HitlError> {
    match bot {
        Err(err) if err.is_transient() => Err(err),
        Err(err) => {
            tracing::error!(error = err.name(), message = %err, "the Teams bot is misconfigured: its cards are not updated; everything else is relayed");
            Ok(None)
        }
        ok => ok,
    }
}

/// Each record's message through the notifier of its channel: Slack's messages, the Teams
/// bot's cards. A channel the deployment no longer has cannot be updated: given up, saying so.
struct ByChannel<'a> {
    slack: Option<&'a dyn OutcomeNotifier>,
    teams: Option<&'a dyn OutcomeNotifier>,
}

impl<'a> ByChannel<'a> {
    /// The notifier of the record's channel, or why there is none.
    fn of(&self, record: &ApprovalRecord) -> Result<&'a dyn OutcomeNotifier, HitlError> {
        let (notifier, missing) = match record.origin {
            Channel::Teams => (
                self.teams,
                "the Teams bot (TeamsBotAppId, TeamsBotAppSecret)",
            ),
            _ => (self.slack, "Slack (SlackBotToken)"),
        };
        notifier.ok_or_else(|| {
            HitlError::Config(format!(
                "the message cannot be updated: {missing} is not configured"
            ))
        })
    }
}

#[async_trait::async_trait]
impl OutcomeNotifier for ByChannel<'_> {
    async fn show_outcome(&self, record: &ApprovalRecord) -> Result<(), HitlError> {
        self.of(record)?.show_outcome(record).await
    }

    /// An open quorum's progress on a Teams bot card, or on a message the request was posted
    /// to (a Slack message of its own shows it from the click that voted).
    async fn show_progress(&self, record: &ApprovalRecord) -> Result<bool, HitlError> {
        self.of(record)?.show_progress(record).await
    }
}

/// The wall clock and the time since the run started, with a real pause.
struct WallClock(Instant);

#[async_trait::async_trait]
impl RunClock for WallClock {
    fn now(&self) -> i64 {
        now()
    }
    fn elapsed(&self) -> Duration {
        self.0.elapsed()
    }
    async fn pause(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
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

    async fn show_progress(&self, record: &ApprovalRecord) -> Result<bool, HitlError> {
        let shown = self.0.show_progress(record).await;
        if let Err(err) = &shown {
            metrics::vendor_refusal(err);
        }
        shown
    }
}

/// A pass's metrics: what it delivered and gave up, and how far behind delivery is.
fn report_pass(pass: &RelayReport, now: i64) {
    let age = pass
        .oldest_undelivered_decided_at
        .map_or(0, |decided_at| now - decided_at);
    metrics::relay_pass(pass.delivered.len(), given_up(pass), age);
}

/// What `RelayGaveUp` counts for a pass: each message it gave up updating and each decision
/// or expiry Step Functions refused for good. Both leave something undone that an operator
/// must see (a stale message; a workflow that never got its decision), so one alarm covers
/// both; a record whose delivery and message were both given up counts twice.
fn given_up(pass: &RelayReport) -> usize {
    pass.gave_up.len() + pass.delivery_gave_up.len()
}

impl Task for Deps {
    type Input = ScheduleEvent;
    type Output = RunReport;

    async fn handle(&self, _event: ScheduleEvent) -> Result<RunReport, HitlError> {
        let slack = self.slack.as_ref().map(|api| {
            SlackOutcome(Chat {
                slack: api,
                format: &BlockKit,
            })
        });
        let teams = self.teams.as_ref().map(|bot| TeamsCardOutcome {
            bot,
            format: &AdaptiveCards,
        });
        let by_channel = ByChannel {
            slack: slack.as_ref().map(|s| s as &dyn OutcomeNotifier),
            teams: teams.as_ref().map(|t| t as &dyn OutcomeNotifier),
        };
        let any = self.slack.is_some() || self.teams.is_some();
        let counted = any.then_some(CountedRefusals(&by_channel));
        let notifier = counted.as_ref().map(|s| s as &dyn OutcomeNotifier);
        let clock = WallClock(Instant::now());
        let run = relay_run(
            &self.wait.store,
            &self.wait.resumer,
            notifier,
            &clock,
            LIMITS,
            &report_pass,
        )
        .await?;
        tracing::info!(
            passes = run.passes,
            delivered = run.delivered,
            late = run.late,
            expired = run.expired,
            messages_updated = run.messages_updated,
            progress_shown = run.progress_shown,
            retry_later = run.retry_later.len(),
            gave_up = run.gave_up.len(),
            delivery_gave_up = run.delivery_gave_up.len(),
            "relay run done"
        );
        Ok(run)
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_kit::Error> {
    serve_task::<Deps>(env!("CARGO_PKG_NAME")).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use approvals::ApprovalId;

    fn ids(list: &[&str]) -> Vec<ApprovalId> {
        list.iter().map(|id| ApprovalId::from(*id)).collect()
    }

    #[test]
    fn a_misconfigured_bot_does_not_stop_the_relay_but_a_transient_failure_is_not_kept() {
        let missing = HitlError::Config("TEAMS_BOT_APP_ID is set but ...".into());
        assert!(matches!(keep_relaying(Err(missing)), Ok(None)));
        let slow = HitlError::transient("Secrets Manager", "timed out");
        assert!(keep_relaying(Err(slow)).is_err_and(|e| e.is_transient()));
        assert!(matches!(keep_relaying(Ok(None)), Ok(None)));
    }

    #[test]
    fn relay_gave_up_counts_given_up_deliveries_as_well_as_messages() {
        let idle = RelayReport::default();
        assert_eq!(given_up(&idle), 0);
        let delivery_only = RelayReport {
            delivery_gave_up: ids(&["refused-by-step-functions"]),
            ..RelayReport::default()
        };
        assert_eq!(
            given_up(&delivery_only),
            1,
            "a workflow never told is a give-up"
        );
        let both = RelayReport {
            gave_up: ids(&["archived-channel", "refused-by-step-functions"]),
            delivery_gave_up: ids(&["refused-by-step-functions", "gone-execution"]),
            delivered: ids(&["fine"]),
            ..RelayReport::default()
        };
        assert_eq!(given_up(&both), 4);
    }
}
