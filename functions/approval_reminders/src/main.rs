//! Approval Reminders (scheduled every minute): reminds the approvers who have not answered a
//! request with `reminders` (the approval email again with their own links, a reply in the
//! Slack thread, a card in the Teams bot's conversation), and escalates after the number of
//! reminders the request names. Its input (the schedule's event) is not used. What one run
//! does is the model's (`approvals::use_cases::reminders`).

use std::time::{Duration, Instant};

use approvals::ports::{EmailSender, SlackMessenger};
use approvals::use_cases::reminders::{
    send_due_reminders, ReminderChannels, ReminderMail, ReminderReport,
};
use approvals::{Channel, HitlError};
use aws_adapters::cold_start::ColdContext;
use aws_adapters::sdk_config::{approval_store, LinkConfig};
use aws_adapters::secrets::{secret_text, SLACK_BOT_TOKEN, TEAMS_BOT_APP_SECRET};
use aws_adapters::ses_sender::sender_address;
use aws_adapters::startup::{serve_task, Dependencies, Task};
use aws_adapters::{DynamoApprovalStore, SesEmailSender};
use channels::email::reminder::ReminderMessages;
use lambda_kit::http_client::open_connections;
use lambda_kit::{metrics, now, ScheduleEvent};
use saas_adapters::mail::configured_sender;
use saas_adapters::slack::SlackWebApi;
use saas_adapters::teams::bot::TeamsBot;

/// How long one run starts new requests: the function's timeout is 60 s, and one request at
/// its worst (three SDK calls and five rounds of emails) fits in what is left.
const BUDGET: Duration = Duration::from_secs(30);
/// Requests one run reads from the index; those left wait a minute for the next run.
const BATCH: usize = 100;

/// The email a reminder goes out as: the sender, its address, and the links' signer.
struct Mail {
    sender: Box<dyn EmailSender>,
    from: String,
    links: LinkConfig,
}

struct Deps {
    store: DynamoApprovalStore,
    /// Each channel is optional: one that is misconfigured must not stop the others' reminders.
    mail: Option<Mail>,
    slack: Option<SlackWebApi>,
    teams: Option<TeamsBot>,
}

impl Dependencies for Deps {
    fn saas_urls(cold: &ColdContext) -> Vec<String> {
        vec![SlackWebApi::connection_url(cold.settings.slack_api_url())]
    }

    async fn build(cold: ColdContext) -> Result<Self, HitlError> {
        let mail = keep_reminding("email", mail(&cold).await)?;
        let bot = TeamsBot::configured(
            &cold.settings,
            TEAMS_BOT_APP_SECRET,
            secret_text(&cold.secrets),
        );
        let teams = keep_reminding("the Teams bot", bot.await)?;
        let token = cold.secrets.optional_text(SLACK_BOT_TOKEN).await?;
        let mut urls = teams
            .iter()
            .flat_map(|b| b.connection_urls())
            .collect::<Vec<_>>();
        urls.extend(mail.iter().flat_map(|m| m.1.clone()));
        open_connections(&urls).await;
        Ok(Deps {
            store: approval_store(&cold.config, &cold.settings)?,
            mail: mail.map(|(mail, _)| mail),
            slack: token.map(|t| SlackWebApi::from_token(cold.settings.slack_api_url(), &t)),
            teams,
        })
    }
}

/// The email sender (`EMAIL_TRANSPORT`) and the link signer, with the hosts to open.
async fn mail(cold: &ColdContext) -> Result<Option<(Mail, Vec<String>)>, HitlError> {
    let (settings, secrets) = (&cold.settings, &cold.secrets);
    let from = sender_address(settings.sender_email()?)?;
    let config = cold.config.clone();
    let transport = configured_sender(
        &settings.email_transport()?,
        &from,
        secret_text(secrets),
        || Box::new(SesEmailSender::new(aws_sdk_sesv2::Client::new(&config))),
    )
    .await?;
    let links = LinkConfig::load(secrets, settings).await?;
    let mail = Mail {
        sender: transport.sender,
        from,
        links,
    };
    Ok(Some((mail, transport.connection_urls)))
}

/// A channel, or none when its configuration is wrong (logged at ERROR; its requests' reminders
/// then fail as `Hitl.Config`, counted). A transient failure is not kept: the start-up builds
/// again at the next run (`lambda_kit::ColdStart`), so it never stops reminders for hours.
fn keep_reminding<T>(
    channel: &str,
    built: Result<Option<T>, HitlError>,
) -> Result<Option<T>, HitlError> {
    match built {
        Err(err) if err.is_transient() => Err(err),
        Err(err) => {
            tracing::error!(error = err.name(), message = %err, "{channel} is misconfigured: its reminders fail; the other channels' go out");
            Ok(None)
        }
        ok => ok,
    }
}

impl Task for Deps {
    type Input = ScheduleEvent;
    type Output = ReminderReport;

    async fn handle(&self, _event: ScheduleEvent) -> Result<ReminderReport, HitlError> {
        let started = Instant::now();
        let channels = ReminderChannels {
            mail: self.mail.as_ref().map(|m| ReminderMail {
                sender: m.sender.as_ref(),
                from: &m.from,
                links: m.links.settings(Channel::Email),
            }),
            slack: self.slack.as_ref().map(|s| s as &dyn SlackMessenger),
            bot: self
                .teams
                .as_ref()
                .map(|b| b as &dyn approvals::ports::TeamsBot),
            format: &ReminderMessages,
            on_failure: &metrics::vendor_refusal,
        };
        let in_budget = || started.elapsed() < BUDGET;
        let report = send_due_reminders(&self.store, &channels, now(), BATCH, &in_budget).await?;
        metrics::reminder_run(report.messages_failed);
        tracing::info!(
            reminded = report.reminded.len(),
            escalated = report.escalated.len(),
            decided_meanwhile = report.decided_meanwhile.len(),
            stopped = report.stopped,
            messages_sent = report.messages_sent,
            messages_failed = report.messages_failed,
            retry_later = report.retry_later.len(),
            "reminder run done"
        );
        Ok(report)
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_kit::Error> {
    serve_task::<Deps>(env!("CARGO_PKG_NAME")).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misconfigured_channel_does_not_stop_reminders_but_a_transient_failure_is_not_kept() {
        let missing = HitlError::Config("SENDER_EMAIL is not set".into());
        assert!(matches!(
            keep_reminding::<()>("email", Err(missing)),
            Ok(None)
        ));
        let slow = HitlError::transient("Secrets Manager", "timed out");
        let kept = keep_reminding::<()>("email", Err(slow));
        assert!(kept.is_err_and(|e| e.is_transient()));
        assert!(matches!(keep_reminding("email", Ok(Some(1))), Ok(Some(1))));
    }
}
