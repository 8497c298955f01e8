//! Every function of `template.yaml`, one event at its worst: the table the timeouts test
//! checks against each function's `Timeout`.

use std::time::Duration;

use super::*;

const fn sdk(what: &'static str) -> Call {
    Call {
        what,
        worst: TASK_SDK.operation,
    }
}

const fn link_sdk(what: &'static str) -> Call {
    Call {
        what,
        worst: LINK_SDK.operation,
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
            link_sdk("DynamoDB GetItem: the request"),
            link_sdk("DynamoDB UpdateItem: record the decision"),
            link_sdk("DynamoDB GetItem: read back after a failed write"),
            link_sdk("DynamoDB UpdateItem: lease the delivery"),
            link_sdk("Step Functions SendTaskSuccess"),
            link_sdk("DynamoDB UpdateItem: mark delivered, or late"),
            link_sdk("DynamoDB UpdateItem: give the lease back"),
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
        function: "DecisionRelayFunction",
        path: "a run, its last record",
        calls: &[
            // `RUN_BUDGET` of decision_relay: no record is started once it is spent.
            http("passes over the relay index", Duration::from_secs(40)),
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
