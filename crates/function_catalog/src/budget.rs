//! A function's time budget: what one event does, each call at its worst.
//!
//! The worst cases are classes, not durations: the limits live beside the code that sets them
//! (`aws_adapters::timeouts` for the SDK's, `saas_adapters` for each vendor call's), and the
//! timeouts test in `aws_adapters` resolves each class and checks the sums against the
//! function's `Timeout` in `template.yaml`.

use std::time::Duration;

/// One path of a function, one event at its worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Which of its paths, when it has several (empty when it has one).
    pub path: &'static str,
    /// Calls made on every event, in order.
    pub calls: &'static [Call],
    /// Calls made only while each still fits in what is left of `answer_within`; what does
    /// not fit is left to the relay.
    pub if_time_left: &'static [Call],
    /// A limit tighter than the function's timeout (Slack's, Teams'), if any.
    pub answer_within: Option<Deadline>,
}

impl Budget {
    /// A path whose calls are all made on every event, with no limit but the timeout.
    pub const fn plain(path: &'static str, calls: &'static [Call]) -> Budget {
        Budget {
            path,
            calls,
            if_time_left: &[],
            answer_within: None,
        }
    }
}

/// One call a function makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    pub what: &'static str,
    pub worst: Worst,
}

/// How long a call may take at its worst, by the limit that bounds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Worst {
    /// An SDK call of a Task function (`timeouts::TASK_SDK`).
    TaskSdk,
    /// An SDK call behind a link page (`timeouts::LINK_SDK`).
    LinkSdk,
    /// An SDK call while a Slack click waits (`timeouts::INTERACTIVE_SDK`).
    ClickSdk,
    /// One Slack Web API call in a Task function.
    SlackCall,
    /// One Slack Web API call while a click waits for its answer.
    SlackClickCall,
    /// One Teams webhook post.
    TeamsPost,
    /// One message to a person's 1:1 chat through the Teams bot; one call of the bot (a
    /// person's lookup, a card sent or updated).
    TeamsBotSend,
    /// Fetching the Bot Framework's OpenID metadata and signing keys.
    TeamsBotKeys,
    /// One Jira read.
    JiraRead,
    /// One Jira write.
    JiraWrite,
    /// One message over SMTP.
    SmtpSend,
    /// One Outlook message (a token when none is held, and Graph `sendMail`).
    OutlookSend,
    /// A budget of the function's own (a run's `RUN_BUDGET`).
    Fixed(Duration),
}

/// A deadline tighter than the function's timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// Slack wants a click's answer within 3 s.
    SlackAnswer,
    /// Teams wants a card click's answer (the invoke's) within a few seconds.
    TeamsAnswer,
}
