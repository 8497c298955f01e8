//! The Teams and Jira functions.

use super::*;
use crate::{Aws, Budget, Trigger};

/// A Teams message goes through the webhook or, to one person, through the bot.
const TEAMS: &[&str] = &[TEAMS_WEBHOOK_URL, TEAMS_BOT_APP_SECRET];
const TEAMS_BUDGETS: &[Budget] = &[
    Budget::plain("", &[call("Teams webhook post", Worst::TeamsPost)]),
    Budget::plain(
        "user: the bot's 1:1 message",
        &[call("Teams bot 1:1 message", Worst::TeamsBotSend)],
    ),
];

const JIRA: &[&str] = &["JIRA_API_TOKEN_SECRET_ID"];

/// Before the message: an earlier attempt's record, the request and its task token.
const TEAMS_REQUEST_FIRST: [Call; 3] = [
    sdk("DynamoDB GetItem: an earlier attempt"),
    sdk("DynamoDB PutItem: the request"),
    sdk("DynamoDB UpdateItem: attach the task token"),
];
const MARK_SENT: Call = sdk("DynamoDB UpdateItem: mark the card sent");
const SMTP_ROUND: Call = call("SMTP message: a round", Worst::SmtpSend);
/// Through the bot: an earlier attempt's record, then (once every approver is resolved) the
/// request and its task token.
const BOT_REQUEST_FIRST: [Call; 3] = [
    sdk("DynamoDB GetItem: an earlier attempt"),
    sdk("DynamoDB PutItem: the request, its approvers resolved"),
    sdk("DynamoDB UpdateItem: attach the task token"),
];
const BOT_CARD: Call = call("Teams bot: send the card", Worst::TeamsBotSend);
const KEEP_CARD: Call = sdk("DynamoDB UpdateItem: keep the card and what it shows");
/// `teams::bot_card::resolved`: the approvers looked up by the bot, ten at a time
/// (`MAX_PARALLEL_LOOKUPS`), so a round takes one lookup's worst.
const RESOLVE: Call = call("Teams bot: resolve an approver", Worst::TeamsBotSend);
const RESOLVE_ROUND: Call = call(
    "Teams bot: resolve a round of ten approvers",
    Worst::TeamsBotSend,
);

/// The bot's card to a conversation with `MAX_APPROVERS` (50) approvers to resolve first:
/// five rounds of ten.
const BOT_CARD_TO_FIFTY: [Call; 10] = [
    BOT_REQUEST_FIRST[0],
    RESOLVE_ROUND,
    RESOLVE_ROUND,
    RESOLVE_ROUND,
    RESOLVE_ROUND,
    RESOLVE_ROUND,
    BOT_REQUEST_FIRST[1],
    BOT_REQUEST_FIRST[2],
    BOT_CARD,
    KEEP_CARD,
];

/// `approvalId`: Create Approval Links' request with 50 approvers, posted as the bot's card
/// (`teams::companion::post_to_request`): five rounds of lookups, then the requester and the
/// `user`, the card, the companion kept (and read back when that write is refused).
const COMPANION_TO_FIFTY: [Call; 11] = [
    sdk("DynamoDB GetItem: the request"),
    RESOLVE_ROUND,
    RESOLVE_ROUND,
    RESOLVE_ROUND,
    RESOLVE_ROUND,
    RESOLVE_ROUND,
    call("Teams bot: resolve the requester", Worst::TeamsBotSend),
    RESOLVE,
    BOT_CARD,
    sdk("DynamoDB UpdateItem: keep the card as a companion"),
    sdk("DynamoDB GetItem: why the companion was refused"),
];

pub const TEAMS_REQUEST_ACTION: Function = Function {
    logical_id: "TeamsRequestActionFunction",
    package: "teams_request_action",
    binary: "teams-request-action",
    trigger: Trigger::Task,
    aws: &[Aws::DynamoDb, Aws::Ses, Aws::SecretsManager],
    // It also signs links and emails them to named approvers.
    secrets: &[
        LINK_SIGNING_KEYS,
        TEAMS_WEBHOOK_URL,
        TEAMS_BOT_APP_SECRET,
        SMTP_PASSWORD,
        OUTLOOK_CLIENT_SECRET,
    ],
    budgets: &[
        Budget::plain(
            "requestKey",
            &[
                TEAMS_REQUEST_FIRST[0],
                TEAMS_REQUEST_FIRST[1],
                TEAMS_REQUEST_FIRST[2],
                call("Teams webhook post", Worst::TeamsPost),
                MARK_SENT,
            ],
        ),
        Budget::plain(
            "50 named approvers, their emails over SMTP",
            &[
                TEAMS_REQUEST_FIRST[0],
                TEAMS_REQUEST_FIRST[1],
                TEAMS_REQUEST_FIRST[2],
                SMTP_ROUND,
                SMTP_ROUND,
                SMTP_ROUND,
                SMTP_ROUND,
                SMTP_ROUND,
                call("Teams webhook post", Worst::TeamsPost),
                MARK_SENT,
            ],
        ),
        Budget::plain(
            "user: the bot's card in their 1:1 chat",
            &[
                BOT_REQUEST_FIRST[0],
                RESOLVE,
                BOT_REQUEST_FIRST[1],
                BOT_REQUEST_FIRST[2],
                BOT_CARD,
                KEEP_CARD,
            ],
        ),
        Budget::plain(
            "conversationId: 50 named approvers resolved, the bot's card",
            &BOT_CARD_TO_FIFTY,
        ),
        Budget::plain(
            "approvalId: 50 approvers resolved, the bot's card kept as a companion",
            &COMPANION_TO_FIFTY,
        ),
    ],
    // teams::request_action (create_approval_links, email::send_email, post_once),
    // teams::request_action_via_bot, teams::post_to_request
    port_calls: &[
        "get",
        "create",
        "attach_message",
        "attach_task_token",
        "attach_companion",
        "send",
    ],
    sdk: &[PUT_ITEM, UPDATE_ITEM, GET_ITEM, SEND_EMAIL_OP, READ_SECRET],
};

pub const TEAMS_SEND_CHANNEL_MESSAGE: Function = Function {
    logical_id: "TeamsSendChannelMessageFunction",
    package: "teams_send_channel_message",
    binary: "teams-send-channel-message",
    trigger: Trigger::Task,
    aws: &[Aws::SecretsManager],
    secrets: TEAMS,
    budgets: TEAMS_BUDGETS,
    port_calls: &[],
    sdk: &[READ_SECRET],
};

pub const TEAMS_SEND_CHAT_MESSAGE: Function = Function {
    logical_id: "TeamsSendChatMessageFunction",
    package: "teams_send_chat_message",
    binary: "teams-send-chat-message",
    trigger: Trigger::Task,
    aws: &[Aws::SecretsManager],
    secrets: TEAMS,
    budgets: TEAMS_BUDGETS,
    port_calls: &[],
    sdk: &[READ_SECRET],
};

pub const JIRA_ADD_ISSUE_COMMENT: Function = Function {
    logical_id: "JiraAddIssueCommentFunction",
    package: "jira_add_issue_comment",
    binary: "jira-add-issue-comment",
    trigger: Trigger::Task,
    aws: &[Aws::SecretsManager],
    secrets: JIRA,
    budgets: &[Budget::plain(
        "",
        &[call("Jira add comment", Worst::JiraWrite)],
    )],
    port_calls: &[],
    sdk: &[READ_SECRET],
};

pub const JIRA_CHANGE_ISSUE_STATUS: Function = Function {
    logical_id: "JiraChangeIssueStatusFunction",
    package: "jira_change_issue_status",
    binary: "jira-change-issue-status",
    trigger: Trigger::Task,
    aws: &[Aws::SecretsManager],
    secrets: JIRA,
    budgets: &[Budget::plain(
        "status and comment",
        &[
            call("Jira read the status", Worst::JiraRead),
            call("Jira list transitions", Worst::JiraRead),
            call("Jira transition", Worst::JiraWrite),
            call("Jira add comment", Worst::JiraWrite),
        ],
    )],
    port_calls: &[],
    sdk: &[READ_SECRET],
};
