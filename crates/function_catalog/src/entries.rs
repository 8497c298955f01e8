//! The entries of the catalog, in the template's order.

use crate::{Aws, Function, Trigger};

const SLACK_BOT_TOKEN: &str = "SLACK_BOT_TOKEN_SECRET_ID";
const TEAMS: &[&str] = &[
    "TEAMS_WEBHOOK_URL_SECRET_ID",
    "TEAMS_BOT_APP_SECRET_SECRET_ID",
];

/// Teams Request Action also signs links and emails them to named approvers.
const TEAMS_REQUEST: &[&str] = &[
    "TEAMS_WEBHOOK_URL_SECRET_ID",
    "TEAMS_BOT_APP_SECRET_SECRET_ID",
    "LINK_SIGNING_KEYS_SECRET_ID",
    "SMTP_PASSWORD_SECRET_ID",
    "OUTLOOK_CLIENT_SECRET_SECRET_ID",
];

/// Every function of `template.yaml`.
pub const FUNCTIONS: &[Function] = &[
    Function {
        logical_id: "CreateApprovalLinksFunction",
        package: "create_approval_links",
        binary: "create-approval-links",
        trigger: Trigger::Task,
        aws: &[Aws::DynamoDb, Aws::SecretsManager],
        secrets: &["LINK_SIGNING_KEYS_SECRET_ID"],
    },
    Function {
        logical_id: "WaitForApprovalFunction",
        package: "wait_for_approval",
        binary: "wait-for-approval",
        trigger: Trigger::Task,
        aws: &[Aws::DynamoDb, Aws::StepFunctions],
        secrets: &[],
    },
    Function {
        logical_id: "SendEmailFunction",
        package: "send_email",
        binary: "send-email",
        trigger: Trigger::Task,
        aws: &[Aws::Ses, Aws::SecretsManager],
        secrets: &["SMTP_PASSWORD_SECRET_ID", "OUTLOOK_CLIENT_SECRET_SECRET_ID"],
    },
    Function {
        logical_id: "DecisionApiFunction",
        package: "decision_api",
        binary: "decision-api",
        trigger: Trigger::Http,
        aws: &[Aws::DynamoDb, Aws::StepFunctions, Aws::SecretsManager],
        secrets: &[
            "LINK_SIGNING_KEYS_SECRET_ID",
            "SLACK_SIGNING_SECRET_SECRET_ID",
            SLACK_BOT_TOKEN,
        ],
    },
    Function {
        logical_id: "SlackRequestActionFunction",
        package: "slack_request_action",
        binary: "slack-request-action",
        trigger: Trigger::Task,
        aws: &[Aws::DynamoDb, Aws::SecretsManager],
        secrets: &[SLACK_BOT_TOKEN],
    },
    Function {
        logical_id: "SlackSendMessageFunction",
        package: "slack_send_message",
        binary: "slack-send-message",
        trigger: Trigger::Task,
        aws: &[Aws::DynamoDb, Aws::SecretsManager],
        secrets: &[SLACK_BOT_TOKEN],
    },
    Function {
        logical_id: "SlackUpdateMessageFunction",
        package: "slack_update_message",
        binary: "slack-update-message",
        trigger: Trigger::Task,
        aws: &[Aws::SecretsManager],
        secrets: &[SLACK_BOT_TOKEN],
    },
    Function {
        logical_id: "SlackWaitForUserActionFunction",
        package: "slack_wait_for_user_action",
        binary: "slack-wait-for-user-action",
        trigger: Trigger::Task,
        aws: &[Aws::DynamoDb, Aws::StepFunctions],
        secrets: &[],
    },
    Function {
        logical_id: "SlackExpirySweeperFunction",
        package: "slack_expiry_sweeper",
        binary: "slack-expiry-sweeper",
        trigger: Trigger::Schedule,
        aws: &[Aws::DynamoDb, Aws::SecretsManager],
        secrets: &[SLACK_BOT_TOKEN],
    },
    Function {
        logical_id: "DecisionRelayFunction",
        package: "decision_relay",
        binary: "decision-relay",
        trigger: Trigger::Schedule,
        aws: &[Aws::DynamoDb, Aws::StepFunctions, Aws::SecretsManager],
        secrets: &[SLACK_BOT_TOKEN],
    },
    Function {
        logical_id: "TeamsRequestActionFunction",
        package: "teams_request_action",
        binary: "teams-request-action",
        trigger: Trigger::Task,
        aws: &[Aws::DynamoDb, Aws::Ses, Aws::SecretsManager],
        secrets: TEAMS_REQUEST,
    },
    Function {
        logical_id: "TeamsSendChannelMessageFunction",
        package: "teams_send_channel_message",
        binary: "teams-send-channel-message",
        trigger: Trigger::Task,
        aws: &[Aws::SecretsManager],
        secrets: TEAMS,
    },
    Function {
        logical_id: "TeamsSendChatMessageFunction",
        package: "teams_send_chat_message",
        binary: "teams-send-chat-message",
        trigger: Trigger::Task,
        aws: &[Aws::SecretsManager],
        secrets: TEAMS,
    },
    Function {
        logical_id: "JiraAddIssueCommentFunction",
        package: "jira_add_issue_comment",
        binary: "jira-add-issue-comment",
        trigger: Trigger::Task,
        aws: &[Aws::SecretsManager],
        secrets: &["JIRA_API_TOKEN_SECRET_ID"],
    },
    Function {
        logical_id: "JiraChangeIssueStatusFunction",
        package: "jira_change_issue_status",
        binary: "jira-change-issue-status",
        trigger: Trigger::Task,
        aws: &[Aws::SecretsManager],
        secrets: &["JIRA_API_TOKEN_SECRET_ID"],
    },
];
