//! How long every call may take, and what that adds up to per function.
//!
//! Each AWS SDK call ends within its operation timeout (retries included); each Slack, Teams
//! or Jira call within its budget (`saas_adapters`). [`BUDGETS`] lists what one event of each
//! function does, each call at its worst; a test checks that every sum, plus a margin for our
//! own work, stays under the function's `Timeout` in `template.yaml` (and the Slack click under
//! Slack's 3 s, with room to spare).

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

/// One Slack Web API call in a Task function (`saas_adapters::slack::DEFAULT_BUDGET`).
pub const SLACK_CALL: Duration = Duration::from_secs(3);
/// One Slack Web API call while a click waits for its answer (`SlackWebApi::with_budget`;
/// decision_api's `SLACK_CALL_BUDGET`).
pub const SLACK_CLICK_CALL: Duration = Duration::from_millis(700);
/// One Teams webhook post (`saas_adapters::teams::DEFAULT_BUDGET`).
pub const TEAMS_POST: Duration = Duration::from_millis(3500);
/// One message to a person's 1:1 chat through the bot (`saas_adapters::teams::bot::SEND_BUDGET`):
/// its tokens, the Graph lookup, opening the conversation and the post, on one deadline.
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

/// One call a function makes, at its worst.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    pub what: &'static str,
    pub worst: Duration,
}

const fn sdk(what: &'static str) -> Call {
    Call {
        what,
        worst: TASK_SDK.operation,
    }
}

const fn click_sdk(what: &'static str) -> Call {
    Call {
        what,
        worst: INTERACTIVE_SDK.operation,
    }
}

const fn http(what: &'static str, worst: Duration) -> Call {
    Call { what, worst }
}

/// What one event of a function does, in order.
#[derive(Debug, Clone, Copy)]
pub struct FunctionBudget {
    /// The function's logical id in `template.yaml`.
    pub function: &'static str,
    /// Which of its paths, when it has several.
    pub path: &'static str,
    /// Calls made on every event.
    pub calls: &'static [Call],
    /// Calls made only while each still fits in what is left of `answer_within`; what does
    /// not fit is left to the re-driver.
    pub if_time_left: &'static [Call],
    /// A limit tighter than the function's timeout (Slack's), if any.
    pub answer_within: Option<Duration>,
}

impl FunctionBudget {
    /// The worst case of the calls made on every event.
    pub fn worst_case(&self) -> Duration {
        self.calls.iter().map(|c| c.worst).sum()
    }

    /// The worst case of everything, the gated calls included (for a path with an answer
    /// limit, the gate keeps the real time within that limit).
    pub fn worst_case_ungated(&self) -> Duration {
        self.worst_case() + self.if_time_left.iter().map(|c| c.worst).sum::<Duration>()
    }
}

/// Five rounds of ten sends at once (`channels::email::MAX_PARALLEL_SENDS`): fifty approvers.
const fn five_rounds(what: &'static str, worst: Duration) -> [Call; 5] {
    [Call { what, worst }; 5]
}

const WAIT: &[Call] = &[
    sdk("DynamoDB UpdateItem: attach the task token"),
    sdk("DynamoDB GetItem: a decision made before the wait"),
    sdk("Step Functions SendTaskSuccess"),
    sdk("DynamoDB UpdateItem: mark delivered"),
];

/// Every function of `template.yaml`, one event at its worst.
pub const BUDGETS: &[FunctionBudget] = &[
    FunctionBudget {
        function: "CreateApprovalLinksFunction",
        path: "",
        calls: &[sdk("DynamoDB PutItem: the request")],
        if_time_left: &[],
        answer_within: None,
    },
    FunctionBudget {
        function: "WaitForApprovalFunction",
        path: "",
        calls: WAIT,
        if_time_left: &[],
        answer_within: None,
    },
    FunctionBudget {
        function: "SlackWaitForUserActionFunction",
        path: "",
        calls: WAIT,
        if_time_left: &[],
        answer_within: None,
    },
    FunctionBudget {
        function: "SendEmailFunction",
        path: "50 approvers, 10 sends at a time (MAX_PARALLEL_SENDS)",
        calls: &[
            sdk("SES SendEmail: round 1"),
            sdk("SES SendEmail: round 2"),
            sdk("SES SendEmail: round 3"),
            sdk("SES SendEmail: round 4"),
            sdk("SES SendEmail: round 5"),
        ],
        if_time_left: &[],
        answer_within: None,
    },
    FunctionBudget {
        function: "SendEmailFunction",
        path: "50 approvers over SMTP (EMAIL_TRANSPORT=smtp)",
        calls: &five_rounds("SMTP message: a round", SMTP_SEND),
        if_time_left: &[],
        answer_within: None,
    },
    FunctionBudget {
        function: "SendEmailFunction",
        path: "50 approvers through Outlook (EMAIL_TRANSPORT=outlook)",
        calls: &five_rounds("Outlook token and sendMail: a round", OUTLOOK_SEND),
        if_time_left: &[],
        answer_within: None,
    },
    FunctionBudget {
        function: "DecisionApiFunction",
        path: "link POST",
        calls: &[
            sdk("DynamoDB GetItem: the request"),
            sdk("DynamoDB UpdateItem: record the decision"),
            sdk("DynamoDB UpdateItem: lease the delivery"),
            sdk("Step Functions SendTaskSuccess"),
            sdk("DynamoDB UpdateItem: mark delivered, or late"),
            sdk("DynamoDB UpdateItem: give the lease back"),
        ],
        if_time_left: &[],
        answer_within: None,
    },
    FunctionBudget {
        function: "DecisionApiFunction",
        path: "Slack click",
        calls: &[
            click_sdk("DynamoDB GetItem: the request"),
            click_sdk("DynamoDB UpdateItem: record the decision"),
        ],
        if_time_left: &[
            click_sdk("DynamoDB UpdateItem: lease the delivery"),
            click_sdk("Step Functions SendTaskSuccess"),
            click_sdk("DynamoDB UpdateItem: mark delivered"),
            http("Slack chat.update", SLACK_CLICK_CALL),
        ],
        answer_within: Some(SLACK_ANSWER_WITHIN),
    },
    FunctionBudget {
        function: "DecisionApiFunction",
        path: "Slack click that asks a follow-up question (a modal)",
        calls: &[
            click_sdk("DynamoDB GetItem: the request"),
            http(
                "Slack views.open: the click's trigger lives 3 s",
                SLACK_CLICK_CALL,
            ),
            http(
                "Slack chat.postEphemeral: the modal did not open",
                SLACK_CLICK_CALL,
            ),
        ],
        if_time_left: &[],
        answer_within: Some(SLACK_ANSWER_WITHIN),
    },
    FunctionBudget {
        function: "DecisionApiFunction",
        path: "Slack click refused",
        calls: &[
            click_sdk("DynamoDB GetItem: the request"),
            http("Slack chat.postEphemeral", SLACK_CLICK_CALL),
        ],
        if_time_left: &[],
        answer_within: Some(SLACK_ANSWER_WITHIN),
    },
    FunctionBudget {
        function: "SlackRequestActionFunction",
        path: "a retry that finds its request",
        calls: &[
            sdk("DynamoDB PutItem: the request (refused: it exists)"),
            sdk("DynamoDB UpdateItem: attach the new task token"),
            http("Slack chat.postMessage", SLACK_CALL),
            sdk("DynamoDB UpdateItem: the message"),
        ],
        if_time_left: &[],
        answer_within: None,
    },
    FunctionBudget {
        function: "SlackSendMessageFunction",
        path: "requestKey, buttons",
        calls: &[
            sdk("DynamoDB PutItem: the requestKey marker (refused: it exists)"),
            sdk("DynamoDB GetItem: what the first attempt sent"),
            http("Slack chat.postMessage", SLACK_CALL),
            sdk("DynamoDB UpdateItem: the marker's message"),
            sdk("DynamoDB PutItem: a waitable message"),
            sdk("DynamoDB UpdateItem: the message"),
        ],
        if_time_left: &[],
        answer_within: None,
    },
    FunctionBudget {
        function: "SlackUpdateMessageFunction",
        path: "",
        calls: &[http("Slack chat.update", SLACK_CALL)],
        if_time_left: &[],
        answer_within: None,
    },
    FunctionBudget {
        function: "SlackExpirySweeperFunction",
        path: "a run, its last message",
        calls: &[
            // `RUN_BUDGET` of slack_expiry_sweeper: no message is started once it is spent.
            http("messages closed before it", Duration::from_secs(45)),
            sdk("DynamoDB Query: expired open messages"),
            sdk("DynamoDB UpdateItem: claim the close"),
            http("Slack chat.update", SLACK_CALL),
            sdk("DynamoDB UpdateItem: give the claim back"),
        ],
        if_time_left: &[],
        answer_within: None,
    },
    FunctionBudget {
        function: "DecisionRedriverFunction",
        path: "a run, its last record",
        calls: &[
            // `RUN_BUDGET` of decision_redriver: no record is started once it is spent.
            http("passes over the re-drive index", Duration::from_secs(40)),
            sdk("DynamoDB UpdateItem: lease the delivery"),
            sdk("Step Functions SendTaskSuccess"),
            sdk("DynamoDB UpdateItem: mark delivered"),
            http("Slack chat.update", SLACK_CALL),
        ],
        if_time_left: &[],
        answer_within: None,
    },
    FunctionBudget {
        function: "TeamsRequestActionFunction",
        path: "requestKey",
        calls: &[
            sdk("DynamoDB GetItem: an earlier attempt"),
            sdk("DynamoDB PutItem: the request"),
            sdk("DynamoDB UpdateItem: attach the task token"),
            http("Teams webhook post", TEAMS_POST),
            sdk("DynamoDB UpdateItem: mark the card sent"),
        ],
        if_time_left: &[],
        answer_within: None,
    },
    FunctionBudget {
        function: "TeamsRequestActionFunction",
        path: "50 named approvers, their emails over SMTP",
        calls: &[
            sdk("DynamoDB GetItem: an earlier attempt"),
            sdk("DynamoDB PutItem: the request"),
            sdk("DynamoDB UpdateItem: attach the task token"),
            http("SMTP message: round 1", SMTP_SEND),
            http("SMTP message: round 2", SMTP_SEND),
            http("SMTP message: round 3", SMTP_SEND),
            http("SMTP message: round 4", SMTP_SEND),
            http("SMTP message: round 5", SMTP_SEND),
            http("Teams webhook post", TEAMS_POST),
            sdk("DynamoDB UpdateItem: mark the card sent"),
        ],
        if_time_left: &[],
        answer_within: None,
    },
    FunctionBudget {
        function: "TeamsRequestActionFunction",
        path: "user: the bot's 1:1 message",
        calls: &[
            sdk("DynamoDB GetItem: an earlier attempt"),
            sdk("DynamoDB PutItem: the request"),
            sdk("DynamoDB UpdateItem: attach the task token"),
            http("Teams bot 1:1 message", TEAMS_BOT_SEND),
            sdk("DynamoDB UpdateItem: mark the card sent"),
        ],
        if_time_left: &[],
        answer_within: None,
    },
    FunctionBudget {
        function: "TeamsSendChannelMessageFunction",
        path: "",
        calls: &[http("Teams webhook post", TEAMS_POST)],
        if_time_left: &[],
        answer_within: None,
    },
    FunctionBudget {
        function: "TeamsSendChannelMessageFunction",
        path: "user: the bot's 1:1 message",
        calls: &[http("Teams bot 1:1 message", TEAMS_BOT_SEND)],
        if_time_left: &[],
        answer_within: None,
    },
    FunctionBudget {
        function: "TeamsSendChatMessageFunction",
        path: "",
        calls: &[http("Teams webhook post", TEAMS_POST)],
        if_time_left: &[],
        answer_within: None,
    },
    FunctionBudget {
        function: "TeamsSendChatMessageFunction",
        path: "user: the bot's 1:1 message",
        calls: &[http("Teams bot 1:1 message", TEAMS_BOT_SEND)],
        if_time_left: &[],
        answer_within: None,
    },
    FunctionBudget {
        function: "JiraAddIssueCommentFunction",
        path: "",
        calls: &[http("Jira add comment", JIRA_WRITE)],
        if_time_left: &[],
        answer_within: None,
    },
    FunctionBudget {
        function: "JiraChangeIssueStatusFunction",
        path: "status and comment",
        calls: &[
            http("Jira read the status", JIRA_READ),
            http("Jira list transitions", JIRA_READ),
            http("Jira transition", JIRA_WRITE),
            http("Jira add comment", JIRA_WRITE),
        ],
        if_time_left: &[],
        answer_within: None,
    },
];

#[cfg(test)]
mod tests;
