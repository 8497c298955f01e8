//! How long every call may take, and what that adds up to per function.
//!
//! Each AWS SDK call ends within its operation timeout (retries included); each Slack, Teams
//! or Jira call within its budget (`saas_adapters`). Each function's entry in `function_catalog`
//! lists what one event does, each call by the class of its worst case; [`worst`] gives each
//! class its duration from the limits below, and a test checks that every sum, plus a margin
//! for our own work, stays under the function's `Timeout` in `template.yaml` (and the Slack
//! click under Slack's 3 s, with room to spare).

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;

/// The limits of one AWS SDK call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdkTimeouts {
    pub connect: Duration,
    pub read: Duration,
    /// One attempt, from sending to the last byte of the answer.
    pub attempt: Duration,
    /// The whole call, its retries and their backoff included: its worst case.
    pub operation: Duration,
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl SdkTimeouts {
    pub fn timeout_config(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .read_timeout(self.read)
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.operation)
            .build()
    }

    pub fn retry_config(&self) -> RetryConfig {
        RetryConfig::standard()
            .with_max_attempts(self.max_attempts)
            .with_initial_backoff(self.initial_backoff)
            .with_max_backoff(self.max_backoff)
    }
}

/// Task functions and the Decision API's link pages. DynamoDB and Step Functions answer in
/// tens of milliseconds; an attempt that takes most of a second is stuck, and one more try is
/// worth more than waiting on it.
pub const TASK_SDK: SdkTimeouts = SdkTimeouts {
    connect: Duration::from_millis(800),
    read: Duration::from_millis(800),
    attempt: Duration::from_millis(800),
    operation: Duration::from_millis(1200),
    max_attempts: 3,
    initial_backoff: Duration::from_millis(50),
    max_backoff: Duration::from_millis(400),
};

/// The link pages' DynamoDB and Step Functions calls: a person waits for the page, with no
/// deadline but HttpApi's 30 s, and a "try again" that a second click would not fix is worse
/// than a slower answer. So an attempt may take most of the 2 s a loaded table can need
/// (a burst of clicks onto cold processes) before it counts as stuck; warm, they answer in
/// milliseconds.
pub const LINK_SDK: SdkTimeouts = SdkTimeouts {
    connect: Duration::from_millis(800),
    read: Duration::from_millis(2000),
    attempt: Duration::from_millis(2000),
    operation: Duration::from_millis(2500),
    max_attempts: 2,
    initial_backoff: Duration::from_millis(50),
    max_backoff: Duration::from_millis(400),
};

/// Secrets Manager reads, at cold start or when an event builds again after a transient
/// failure: a cold process at 128 MB on a slow network may need a second or more for its first
/// TLS handshake, so attempts are longer than a warm call's; three attempts fit in what Lambda
/// gives init (`lambda_kit::cold_start::BUILD_DURING_INIT_WITHIN`).
pub const INIT_SDK: SdkTimeouts = SdkTimeouts {
    connect: Duration::from_millis(2000),
    read: Duration::from_millis(2000),
    attempt: Duration::from_millis(2500),
    operation: Duration::from_millis(6000),
    max_attempts: 3,
    initial_backoff: Duration::from_millis(100),
    max_backoff: Duration::from_millis(1000),
};

/// The Slack click, which must be answered within Slack's 3 s: shorter attempts, two at most,
/// so the record's read and the decision write fit in the click's record budget
/// (decision_api's `RECORD_BUDGET`, 1.2 s).
pub const INTERACTIVE_SDK: SdkTimeouts = SdkTimeouts {
    connect: Duration::from_millis(300),
    read: Duration::from_millis(400),
    attempt: Duration::from_millis(400),
    operation: Duration::from_millis(600),
    max_attempts: 2,
    initial_backoff: Duration::from_millis(50),
    max_backoff: Duration::from_millis(200),
};

/// Our own work in one event (parsing, signing, rendering, logs, the Runtime API round trip:
/// milliseconds, with room to spare).
pub const HANDLER_MARGIN: Duration = Duration::from_millis(500);
/// Slack wants the click's answer within 3 s; we aim for this, network included.
pub const SLACK_ANSWER_WITHIN: Duration = Duration::from_millis(2500);
/// What reading the record and writing the decision may take before the click answers
/// anyway (decision_api's `RECORD_BUDGET`).
pub const SLACK_RECORD_WITHIN: Duration = Duration::from_millis(1200);
/// The click's own work and the answer's way back to Slack.
pub const SLACK_ANSWER_MARGIN: Duration = Duration::from_millis(300);

/// What a Slack click (or a Teams card click) may spend building the Decision API's clients
/// again when a transient failure left them unbuilt (a warm Secrets Manager read takes tens of
/// milliseconds); longer, and the click's own calls would not fit in Slack's 3 s.
pub const SLACK_CLICK_BUILD_AGAIN: Duration = Duration::from_millis(200);

/// Teams waits for the answer to a card click (an `adaptiveCard/action` invoke) and shows the
/// clicker an error when it is late: Microsoft's Teams docs give an app 5 s for an invoke, and
/// the Bot Service times a bot out after 10 to 15 s. We aim for this, network included: the
/// invoke's calls, its key fetch at their worst, with the decision's delivery only while it
/// still fits (the relay finishes it otherwise).
pub const TEAMS_ANSWER_WITHIN: Duration = Duration::from_millis(5000);
/// The hard limit [`TEAMS_ANSWER_WITHIN`] stays under.
pub const TEAMS_INVOKE_LIMIT: Duration = Duration::from_secs(15);
/// Fetching the Bot Framework's OpenID metadata and keys (at cold start, once a day, or for a
/// key id we lack) while a click waits (`saas_adapters::teams::bot_keys::KEYS_BUDGET`).
pub const TEAMS_BOT_KEYS: Duration = Duration::from_millis(2500);

/// One Slack Web API call in a Task function (`saas_adapters::slack::DEFAULT_BUDGET`).
pub const SLACK_CALL: Duration = Duration::from_secs(3);
/// One Slack Web API call while a click waits for its answer (`SlackWebApi::with_budget`;
/// decision_api's `SLACK_CALL_BUDGET`).
pub const SLACK_CLICK_CALL: Duration = Duration::from_millis(700);
/// One Teams webhook post (`saas_adapters::teams::DEFAULT_BUDGET`).
pub const TEAMS_POST: Duration = Duration::from_millis(3500);
/// One message to a person's 1:1 chat through the bot (`saas_adapters::teams::bot::SEND_BUDGET`):
/// its tokens, the Graph lookup, opening the conversation and the post, on one deadline. The
/// bot's other calls (a person's lookup, a card sent or updated) have the same deadline.
pub const TEAMS_BOT_SEND: Duration = Duration::from_secs(6);
/// One Jira read and one Jira write (`saas_adapters::jira::{READ_BUDGET, WRITE_BUDGET}`).
pub const JIRA_READ: Duration = Duration::from_millis(1500);
pub const JIRA_WRITE: Duration = Duration::from_millis(2500);
/// One message over SMTP: connecting, TLS, `AUTH` and the transaction
/// (`saas_adapters::smtp::SEND_BUDGET`).
pub const SMTP_SEND: Duration = Duration::from_secs(5);
/// One Outlook message: a token when none is held (or it expired) and Graph `sendMail`
/// (`saas_adapters::outlook::SEND_BUDGET`).
pub const OUTLOOK_SEND: Duration = Duration::from_secs(3);

mod budgets;
pub use budgets::{budgets, deadline, worst, FunctionBudget};

#[cfg(test)]
mod tests;
