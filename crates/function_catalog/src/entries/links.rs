//! The approval-link functions: create the links, wait for the decision, email them, decide.

use super::*;
use crate::{Aws, Budget, Deadline, Trigger};

pub const CREATE_APPROVAL_LINKS: Function = Function {
    logical_id: "CreateApprovalLinksFunction",
    package: "create_approval_links",
    binary: "create-approval-links",
    trigger: Trigger::Task,
    aws: &[Aws::DynamoDb, Aws::SecretsManager],
    secrets: &[LINK_SIGNING_KEYS],
    budgets: &[Budget::plain("", &[sdk("DynamoDB PutItem: the request")])],
    // service::create_approval_links
    port_calls: &["create"],
    // GetItem: a put whose answer was lost and that the SDK retried reads back what it wrote.
    sdk: &[PUT_ITEM, GET_ITEM, READ_SECRET],
};

/// Storing a task token, and resuming at once when the decision came first: Wait For Approval
/// and Slack Wait For User Action.
pub(super) const WAIT_BUDGET: &[Budget] = &[Budget::plain(
    "",
    &[
        sdk("DynamoDB UpdateItem: attach the task token"),
        sdk("DynamoDB GetItem: a decision made before the wait"),
        sdk("Step Functions SendTaskSuccess"),
        sdk("DynamoDB UpdateItem: mark delivered (or late)"),
        sdk("DynamoDB GetItem: a late answer read again (another deliverer took over)"),
    ],
)];
/// service::wait_for_approval (+ delivery::deliver_decision when already decided)
pub(super) const WAIT_PORT_CALLS: &[&str] = &[
    "attach_task_token",
    "get",
    "claim_delivery",
    "finish_delivery",
    "release_lease",
    "give_up_delivery",
    "settle",
    "resume",
];
pub(super) const WAIT_SDK: &[Sdk] = &[GET_ITEM, UPDATE_ITEM, SEND_TASK_SUCCESS];

pub const WAIT_FOR_APPROVAL: Function = Function {
    logical_id: "WaitForApprovalFunction",
    package: "wait_for_approval",
    binary: "wait-for-approval",
    trigger: Trigger::Task,
    aws: &[Aws::DynamoDb, Aws::StepFunctions],
    secrets: &[],
    budgets: WAIT_BUDGET,
    port_calls: WAIT_PORT_CALLS,
    sdk: WAIT_SDK,
};

pub const SEND_EMAIL: Function = Function {
    logical_id: "SendEmailFunction",
    package: "send_email",
    binary: "send-email",
    trigger: Trigger::Task,
    aws: &[Aws::Ses, Aws::SecretsManager],
    secrets: &[SMTP_PASSWORD, OUTLOOK_CLIENT_SECRET],
    budgets: &[
        Budget::plain(
            "50 approvers, 10 sends at a time (MAX_PARALLEL_SENDS)",
            &[
                sdk("SES SendEmail: round 1"),
                sdk("SES SendEmail: round 2"),
                sdk("SES SendEmail: round 3"),
                sdk("SES SendEmail: round 4"),
                sdk("SES SendEmail: round 5"),
            ],
        ),
        Budget::plain(
            "50 approvers over SMTP (EMAIL_TRANSPORT=smtp)",
            &five_rounds("SMTP message: a round", Worst::SmtpSend),
        ),
        Budget::plain(
            "50 approvers through Outlook (EMAIL_TRANSPORT=outlook)",
            &five_rounds("Outlook token and sendMail: a round", Worst::OutlookSend),
        ),
    ],
    // email::send_email
    port_calls: &["send"],
    // Each transport's grant only where it is used: SES with ses, a secret where it is set.
    sdk: &[SEND_EMAIL_OP, READ_SECRET],
};

pub const DECISION_API: Function = Function {
    logical_id: "DecisionApiFunction",
    package: "decision_api",
    binary: "decision-api",
    trigger: Trigger::Http,
    aws: &[Aws::DynamoDb, Aws::StepFunctions, Aws::SecretsManager],
    secrets: &[
        LINK_SIGNING_KEYS,
        "SLACK_SIGNING_SECRET_SECRET_ID",
        SLACK_BOT_TOKEN,
    ],
    budgets: DECISION_API_BUDGETS,
    // service::view_link, service::decide, slack_click::record_click and ::decided,
    // teams_card::answer_card_action, then progress_due. The Teams bot's clicks need no secret:
    // the Bot Framework's published keys verify them.
    port_calls: &[
        "get",
        "record_decision",
        "claim_delivery",
        "finish_delivery",
        "release_lease",
        "give_up_delivery",
        "settle",
        "resume",
        "message_updated",
        "progress_due",
    ],
    sdk: &[GET_ITEM, UPDATE_ITEM, SEND_TASK_SUCCESS, READ_SECRET],
};

const DECISION_API_BUDGETS: &[Budget] = &[
    Budget::plain(
        "link POST",
        &[
            link_sdk("DynamoDB GetItem: the request"),
            link_sdk("DynamoDB UpdateItem: record the decision"),
            link_sdk("DynamoDB GetItem: read back after a failed write"),
            link_sdk("DynamoDB UpdateItem: lease the delivery"),
            link_sdk("Step Functions SendTaskSuccess"),
            link_sdk("DynamoDB UpdateItem: mark delivered, or late"),
            link_sdk("DynamoDB UpdateItem: give the lease back"),
        ],
    ),
    Budget {
        path: "Slack click",
        calls: &[
            click_sdk("DynamoDB GetItem: the request"),
            click_sdk("DynamoDB UpdateItem: record the decision"),
        ],
        if_time_left: &[
            click_sdk("DynamoDB UpdateItem: lease the delivery"),
            click_sdk("Step Functions SendTaskSuccess"),
            click_sdk("DynamoDB UpdateItem: mark delivered"),
            call("Slack chat.update", Worst::SlackClickCall),
        ],
        answer_within: Some(Deadline::SlackAnswer),
    },
    Budget {
        path: "Slack click that asks a follow-up question (a modal)",
        calls: &[
            click_sdk("DynamoDB GetItem: the request"),
            call(
                "Slack views.open: the click's trigger lives 3 s",
                Worst::SlackClickCall,
            ),
            call(
                "Slack chat.postEphemeral: the modal did not open",
                Worst::SlackClickCall,
            ),
        ],
        if_time_left: &[],
        answer_within: Some(Deadline::SlackAnswer),
    },
    Budget {
        path: "Slack click refused",
        calls: &[
            click_sdk("DynamoDB GetItem: the request"),
            call("Slack chat.postEphemeral", Worst::SlackClickCall),
        ],
        if_time_left: &[],
        answer_within: Some(Deadline::SlackAnswer),
    },
    // A refused click (or a refresh) is the first two calls: within this one.
    Budget {
        path: "Teams card click",
        calls: &[
            call(
                "Bot Framework OpenID metadata and keys: cold, daily, or a new key id",
                Worst::TeamsBotKeys,
            ),
            click_sdk("DynamoDB GetItem: the request"),
            click_sdk("DynamoDB UpdateItem: record the decision"),
            click_sdk("DynamoDB GetItem: read back after a failed write"),
        ],
        if_time_left: &[
            click_sdk("DynamoDB UpdateItem: lease the delivery"),
            click_sdk("Step Functions SendTaskSuccess"),
            click_sdk("DynamoDB UpdateItem: mark delivered"),
            click_sdk("DynamoDB UpdateItem: due for the relay to show the progress"),
        ],
        answer_within: Some(Deadline::TeamsAnswer),
    },
];
