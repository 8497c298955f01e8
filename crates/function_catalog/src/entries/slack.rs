//! The Slack functions, the expiry sweeper and the Decision Relay.

use std::time::Duration;

use super::links::{WAIT_BUDGET, WAIT_PORT_CALLS, WAIT_SDK};
use super::*;
use crate::{Aws, Budget, Trigger};

/// slack::request_action and slack::send_message with a requestKey (create_or_resume)
const CREATE_OR_RESUME: &[&str] = &["create", "get", "attach_task_token", "attach_message"];
const CREATE_OR_RESUME_SDK: &[Sdk] = &[PUT_ITEM, UPDATE_ITEM, GET_ITEM, READ_SECRET];

/// `slack::post_to_request` (approvalId): the approvers' addresses looked up in Slack, ten at a
/// time (`MAX_PARALLEL_LOOKUPS`), so a round takes one lookup's worst.
const LOOKUP_ROUND: Call = call(
    "Slack users.lookupByEmail: a round of ten approvers",
    Worst::SlackCall,
);

pub const SLACK_REQUEST_ACTION: Function = Function {
    logical_id: "SlackRequestActionFunction",
    package: "slack_request_action",
    binary: "slack-request-action",
    trigger: Trigger::Task,
    aws: &[Aws::DynamoDb, Aws::SecretsManager],
    secrets: &[SLACK_BOT_TOKEN],
    budgets: &[
        Budget::plain(
            "a retry that finds its request",
            &[
                sdk("DynamoDB PutItem: the request (refused: it exists)"),
                sdk("DynamoDB UpdateItem: attach the new task token"),
                call("Slack chat.postMessage", Worst::SlackCall),
                sdk("DynamoDB UpdateItem: the message"),
            ],
        ),
        Budget::plain(
            "approvalId: 50 approvers, the requester and user looked up",
            &[
                sdk("DynamoDB GetItem: the request"),
                LOOKUP_ROUND,
                LOOKUP_ROUND,
                LOOKUP_ROUND,
                LOOKUP_ROUND,
                LOOKUP_ROUND,
                call("Slack users.lookupByEmail: the requester", Worst::SlackCall),
                call("Slack users.lookupByEmail: user", Worst::SlackCall),
                call("Slack chat.postMessage", Worst::SlackCall),
                sdk("DynamoDB UpdateItem: attach the companion"),
            ],
        ),
    ],
    // create_or_resume; slack::post_to_request (get, attach_companion)
    port_calls: &[
        "create",
        "get",
        "attach_task_token",
        "attach_message",
        "attach_companion",
    ],
    sdk: CREATE_OR_RESUME_SDK,
};

pub const SLACK_SEND_MESSAGE: Function = Function {
    logical_id: "SlackSendMessageFunction",
    package: "slack_send_message",
    binary: "slack-send-message",
    trigger: Trigger::Task,
    aws: &[Aws::DynamoDb, Aws::SecretsManager],
    secrets: &[SLACK_BOT_TOKEN],
    budgets: &[Budget::plain(
        "requestKey, buttons",
        &[
            sdk("DynamoDB PutItem: the requestKey marker (refused: it exists)"),
            sdk("DynamoDB GetItem: what the first attempt sent"),
            call("Slack chat.postMessage", Worst::SlackCall),
            sdk("DynamoDB UpdateItem: the marker's message"),
            sdk("DynamoDB PutItem: a waitable message"),
            sdk("DynamoDB UpdateItem: the message"),
        ],
    )],
    port_calls: CREATE_OR_RESUME,
    sdk: CREATE_OR_RESUME_SDK,
};

pub const SLACK_UPDATE_MESSAGE: Function = Function {
    logical_id: "SlackUpdateMessageFunction",
    package: "slack_update_message",
    binary: "slack-update-message",
    trigger: Trigger::Task,
    aws: &[Aws::SecretsManager],
    secrets: &[SLACK_BOT_TOKEN],
    budgets: &[Budget::plain(
        "",
        &[call("Slack chat.update", Worst::SlackCall)],
    )],
    port_calls: &[],
    sdk: &[READ_SECRET],
};

pub const SLACK_WAIT_FOR_USER_ACTION: Function = Function {
    logical_id: "SlackWaitForUserActionFunction",
    package: "slack_wait_for_user_action",
    binary: "slack-wait-for-user-action",
    trigger: Trigger::Task,
    aws: &[Aws::DynamoDb, Aws::StepFunctions],
    secrets: &[],
    budgets: WAIT_BUDGET,
    port_calls: WAIT_PORT_CALLS,
    sdk: WAIT_SDK,
};

pub const SLACK_EXPIRY_SWEEPER: Function = Function {
    logical_id: "SlackExpirySweeperFunction",
    package: "slack_expiry_sweeper",
    binary: "slack-expiry-sweeper",
    trigger: Trigger::Schedule,
    aws: &[Aws::DynamoDb, Aws::SecretsManager],
    secrets: &[SLACK_BOT_TOKEN],
    budgets: &[Budget::plain(
        "a run, its last message",
        &[
            // `RUN_BUDGET` of slack_expiry_sweeper: no message is started once it is spent.
            call(
                "messages closed before it",
                Worst::Fixed(Duration::from_secs(45)),
            ),
            sdk("DynamoDB Query: expired open messages"),
            sdk("DynamoDB UpdateItem: claim the close"),
            call("Slack chat.update", Worst::SlackCall),
            sdk("DynamoDB UpdateItem: give the claim back"),
        ],
    )],
    // slack::close_expired_messages_while
    port_calls: &[
        "expired_open_messages",
        "claim_message_close",
        "release_message_close",
    ],
    sdk: &[Sdk::query("OpenMessages"), UPDATE_ITEM, READ_SECRET],
};

/// `RUN_BUDGET` of decision_relay: no record is started once it is spent.
const RELAY_PASSES: Call = call(
    "passes over the relay index",
    Worst::Fixed(Duration::from_secs(40)),
);
const RELAY_DELIVERY: [Call; 3] = [
    sdk("DynamoDB UpdateItem: lease the delivery"),
    sdk("Step Functions SendTaskSuccess"),
    sdk("DynamoDB UpdateItem: mark delivered"),
];

pub const DECISION_RELAY: Function = Function {
    logical_id: "DecisionRelayFunction",
    package: "decision_relay",
    binary: "decision-relay",
    trigger: Trigger::Schedule,
    aws: &[Aws::DynamoDb, Aws::StepFunctions, Aws::SecretsManager],
    // Slack messages and the Teams bot's cards get their final outcome.
    secrets: &[SLACK_BOT_TOKEN, TEAMS_BOT_APP_SECRET],
    budgets: &[
        Budget::plain(
            "a run, its last record",
            &[
                RELAY_PASSES,
                RELAY_DELIVERY[0],
                RELAY_DELIVERY[1],
                RELAY_DELIVERY[2],
                call("Slack chat.update", Worst::SlackCall),
            ],
        ),
        Budget::plain(
            "a run, its last record a Teams bot card",
            &[
                RELAY_PASSES,
                RELAY_DELIVERY[0],
                RELAY_DELIVERY[1],
                RELAY_DELIVERY[2],
                call("Teams bot updateActivity", Worst::TeamsBotSend),
            ],
        ),
        // delivery::progress: the progress, recorded (twice when a vote landed since), and
        // after an overlapping run's newer update, the card shown once more.
        Budget::plain(
            "a run, its last record a Teams bot card's progress",
            &[
                RELAY_PASSES,
                call("Teams bot updateActivity", Worst::TeamsBotSend),
                sdk("DynamoDB UpdateItem: record the progress"),
                sdk("DynamoDB UpdateItem: record it, a vote since"),
                sdk("DynamoDB GetItem: the card as it now is"),
                call("Teams bot updateActivity: shown again", Worst::TeamsBotSend),
            ],
        ),
    ],
    // delivery::relay_while (deliver_decision, fail_expired, update_message, settle,
    // relay_progress); the stored index keeps its 0.2 name, Redrive.
    port_calls: &[
        "due_for_relay",
        "get",
        "claim_delivery",
        "finish_delivery",
        "release_lease",
        "give_up_delivery",
        "settle",
        "reschedule",
        "resume",
        "claim_expiry",
        "fail",
        "finish_expiry",
        "every_message_updated",
        "message_update_failed",
        "give_up_message_update",
        "progress_shown",
    ],
    sdk: &[
        Sdk::query("Redrive"),
        GET_ITEM,
        UPDATE_ITEM,
        SEND_TASK_SUCCESS,
        SEND_TASK_FAILURE,
        READ_SECRET,
    ],
};
