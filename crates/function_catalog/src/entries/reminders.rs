//! Approval Reminders: the approvers who have not answered reminded, on a schedule.

use std::time::Duration;

use super::*;
use crate::{Aws, Budget, Trigger};

/// `BUDGET` of approval_reminders: no request is started once it is spent.
const REMINDER_RUN: Call = call(
    "requests reminded before it",
    Worst::Fixed(Duration::from_secs(20)),
);
/// One request at its worst: the index, read, claim, read again (then its messages).
const REMINDER_CLAIM: [Call; 4] = [
    sdk("DynamoDB Query: the reminder index"),
    sdk("DynamoDB GetItem: the request"),
    sdk("DynamoDB UpdateItem: claim the reminder"),
    sdk("DynamoDB GetItem: settled since the claim?"),
];

pub const APPROVAL_REMINDERS: Function = Function {
    logical_id: "ApprovalRemindersFunction",
    package: "approval_reminders",
    binary: "approval-reminders",
    trigger: Trigger::Schedule,
    aws: &[Aws::DynamoDb, Aws::Ses, Aws::SecretsManager],
    // Personal links by email (any transport), Slack thread replies, the Teams bot's cards.
    secrets: &[
        LINK_SIGNING_KEYS,
        SMTP_PASSWORD,
        OUTLOOK_CLIENT_SECRET,
        SLACK_BOT_TOKEN,
        TEAMS_BOT_APP_SECRET,
    ],
    // SES (ten at a time, 1.2 s), Outlook (3 s) and Slack (3 s) are within these two.
    budgets: &[
        Budget::plain(
            "a run, its last request 50 approvers over SMTP",
            &[
                REMINDER_RUN,
                REMINDER_CLAIM[0],
                REMINDER_CLAIM[1],
                REMINDER_CLAIM[2],
                REMINDER_CLAIM[3],
                call("SMTP message: round 1", Worst::SmtpSend),
                call("SMTP message: round 2", Worst::SmtpSend),
                call("SMTP message: round 3", Worst::SmtpSend),
                call("SMTP message: round 4", Worst::SmtpSend),
                call("SMTP message: round 5", Worst::SmtpSend),
            ],
        ),
        Budget::plain(
            "a run, its last request a Teams bot card",
            &[
                REMINDER_RUN,
                REMINDER_CLAIM[0],
                REMINDER_CLAIM[1],
                REMINDER_CLAIM[2],
                REMINDER_CLAIM[3],
                call("Teams bot: the reminder card", Worst::TeamsBotSend),
            ],
        ),
    ],
    // reminders::send_due_reminders
    port_calls: &[
        "due_for_reminder",
        "get",
        "claim_reminder",
        "stop_reminders",
        "send",
    ],
    // Each transport's grant only where it is used: SES with ses, a secret where it is set.
    sdk: &[
        Sdk::query("Remind"),
        GET_ITEM,
        UPDATE_ITEM,
        SEND_EMAIL_OP,
        READ_SECRET,
    ],
};
