//! The entries of the catalog, one constant per function, listed in [`FUNCTIONS`] in the
//! template's order. Each names the port calls its use cases make (the comment says which use
//! cases), the SDK operations they come to and its budget.

mod audit;
mod links;
mod reminders;
mod slack;
mod teams_jira;

pub use audit::{AUDIT_PUBLISHER, AUDIT_STREAM_BATCH};
pub use links::{CREATE_APPROVAL_LINKS, DECISION_API, SEND_EMAIL, WAIT_FOR_APPROVAL};
pub use reminders::APPROVAL_REMINDERS;
pub use slack::{
    DECISION_RELAY, SLACK_EXPIRY_SWEEPER, SLACK_REQUEST_ACTION, SLACK_SEND_MESSAGE,
    SLACK_UPDATE_MESSAGE, SLACK_WAIT_FOR_USER_ACTION,
};
pub use teams_jira::{
    JIRA_ADD_ISSUE_COMMENT, JIRA_CHANGE_ISSUE_STATUS, TEAMS_REQUEST_ACTION,
    TEAMS_SEND_CHANNEL_MESSAGE, TEAMS_SEND_CHAT_MESSAGE,
};

use crate::{Call, Function, Sdk, Worst, SECRET_READ};

/// Every function of `template.yaml`.
pub const FUNCTIONS: &[Function] = &[
    CREATE_APPROVAL_LINKS,
    WAIT_FOR_APPROVAL,
    SEND_EMAIL,
    DECISION_API,
    SLACK_REQUEST_ACTION,
    SLACK_SEND_MESSAGE,
    SLACK_UPDATE_MESSAGE,
    SLACK_WAIT_FOR_USER_ACTION,
    SLACK_EXPIRY_SWEEPER,
    DECISION_RELAY,
    TEAMS_REQUEST_ACTION,
    TEAMS_SEND_CHANNEL_MESSAGE,
    TEAMS_SEND_CHAT_MESSAGE,
    JIRA_ADD_ISSUE_COMMENT,
    JIRA_CHANGE_ISSUE_STATUS,
    APPROVAL_REMINDERS,
    AUDIT_PUBLISHER,
];

const SLACK_BOT_TOKEN: &str = "SLACK_BOT_TOKEN_SECRET_ID";
const LINK_SIGNING_KEYS: &str = "LINK_SIGNING_KEYS_SECRET_ID";
const SMTP_PASSWORD: &str = "SMTP_PASSWORD_SECRET_ID";
const OUTLOOK_CLIENT_SECRET: &str = "OUTLOOK_CLIENT_SECRET_SECRET_ID";
const TEAMS_WEBHOOK_URL: &str = "TEAMS_WEBHOOK_URL_SECRET_ID";
const TEAMS_BOT_APP_SECRET: &str = "TEAMS_BOT_APP_SECRET_SECRET_ID";

const GET_ITEM: Sdk = Sdk::op("dynamodb:GetItem");
const PUT_ITEM: Sdk = Sdk::op("dynamodb:PutItem");
const UPDATE_ITEM: Sdk = Sdk::op("dynamodb:UpdateItem");
const SEND_TASK_SUCCESS: Sdk = Sdk::op("states:SendTaskSuccess");
const SEND_TASK_FAILURE: Sdk = Sdk::op("states:SendTaskFailure");
const SEND_EMAIL_OP: Sdk = Sdk::op("ses:SendEmail");
const READ_SECRET: Sdk = Sdk::op(SECRET_READ);

/// A DynamoDB or Step Functions call of a Task function.
const fn sdk(what: &'static str) -> Call {
    Call {
        what,
        worst: Worst::TaskSdk,
    }
}

/// A DynamoDB or Step Functions call behind a link page.
const fn link_sdk(what: &'static str) -> Call {
    Call {
        what,
        worst: Worst::LinkSdk,
    }
}

/// A DynamoDB or Step Functions call while a Slack click waits.
const fn click_sdk(what: &'static str) -> Call {
    Call {
        what,
        worst: Worst::ClickSdk,
    }
}

/// Any other call, bounded by its own limit.
const fn call(what: &'static str, worst: Worst) -> Call {
    Call { what, worst }
}

/// Five rounds of ten sends at once (`approvals::use_cases::email::MAX_PARALLEL_SENDS`): fifty approvers.
const fn five_rounds(what: &'static str, worst: Worst) -> [Call; 5] {
    [Call { what, worst }; 5]
}
