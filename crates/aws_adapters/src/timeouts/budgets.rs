//! The catalog's budgets in durations: each class of worst case (`function_catalog::Worst`)
//! resolved to the limit that bounds it, so the catalog stays free of dependencies and every
//! limit is written once, here or in `saas_adapters`.

use std::time::Duration;

use function_catalog::{Budget, Deadline, Function, Worst, FUNCTIONS};

use super::*;

/// How long a call of this class may take, retries included.
pub const fn worst(class: Worst) -> Duration {
    match class {
        Worst::TaskSdk => TASK_SDK.operation,
        Worst::LinkSdk => LINK_SDK.operation,
        Worst::ClickSdk => INTERACTIVE_SDK.operation,
        Worst::SlackCall => SLACK_CALL,
        Worst::SlackClickCall => SLACK_CLICK_CALL,
        Worst::TeamsPost => TEAMS_POST,
        Worst::TeamsBotSend => TEAMS_BOT_SEND,
        Worst::TeamsBotKeys => TEAMS_BOT_KEYS,
        Worst::JiraRead => JIRA_READ,
        Worst::JiraWrite => JIRA_WRITE,
        Worst::SmtpSend => SMTP_SEND,
        Worst::OutlookSend => OUTLOOK_SEND,
        Worst::Fixed(duration) => duration,
    }
}

/// The time a deadline leaves.
pub const fn deadline(deadline: Deadline) -> Duration {
    match deadline {
        Deadline::SlackAnswer => SLACK_ANSWER_WITHIN,
        Deadline::TeamsAnswer => TEAMS_ANSWER_WITHIN,
    }
}

/// One path of a function's budget, in durations.
#[derive(Debug, Clone, Copy)]
pub struct FunctionBudget {
    pub function: &'static Function,
    pub budget: &'static Budget,
}

/// Every path of every function of the catalog.
pub fn budgets() -> impl Iterator<Item = FunctionBudget> {
    FUNCTIONS.iter().flat_map(|function| {
        function
            .budgets
            .iter()
            .map(move |budget| FunctionBudget { function, budget })
    })
}

impl FunctionBudget {
    /// The limit tighter than the function's timeout (Slack's, Teams'), if any.
    pub fn answer_within(&self) -> Option<Duration> {
        self.budget.answer_within.map(deadline)
    }

    /// The worst case of the calls made on every event.
    pub fn worst_case(&self) -> Duration {
        self.budget.calls.iter().map(|c| worst(c.worst)).sum()
    }

    /// The worst case of everything, the gated calls included (for a path with an answer
    /// limit, the gate keeps the real time within that limit), after building the function's
    /// clients again when a transient failure left them unbuilt at cold start.
    pub fn worst_case_ungated(&self) -> Duration {
        self.build_again()
            + self.worst_case()
            + self
                .budget
                .if_time_left
                .iter()
                .map(|c| worst(c.worst))
                .sum::<Duration>()
    }

    /// What an event may spend building the clients a cold start could not
    /// (`lambda_kit::ColdStart`): shorter where Slack or Teams waits for the answer.
    pub fn build_again(&self) -> Duration {
        match self.budget.answer_within {
            Some(_) => SLACK_CLICK_BUILD_AGAIN,
            None => lambda_kit::cold_start::BUILD_AGAIN_WITHIN,
        }
    }
}
