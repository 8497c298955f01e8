//! The inputs of Request Action, Send Message, Update Message and Wait For User Action, and
//! their checks (Slack's own limits included). Every input refuses a field it does not know, at
//! every depth (`buttons[0].confirm.titel`); raw Block Kit `blocks` pass through as given.

use serde::{Deserialize, Serialize};

use super::*;
use approvals::buttons::{check_buttons, ButtonFields, CHAT_BUTTONS};
use approvals::input::non_blank;

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ButtonConfirm {
    pub title: Option<String>,
    pub text: Option<String>,
    pub confirm: Option<String>,
    pub deny: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Button {
    #[schemars(required, length(min = 1, max = MAX_BUTTON_LABEL_CHARS), pattern(approvals::schema::NON_BLANK_PATTERN))]
    pub label: Option<String>,
    /// What the decision says when this button is clicked (`decision` and `value`).
    #[schemars(required, length(min = 1, max = MAX_BUTTON_VALUE_CHARS), pattern(approvals::schema::NON_BLANK_PATTERN))]
    pub value: Option<String>,
    /// `primary`, `danger`, or absent for Slack's default style.
    #[schemars(with = "Option<crate::schema::SlackButtonStyle>")]
    pub style: Option<String>,
    pub confirm: Option<ButtonConfirm>,
}

/// Input of Slack Request Action: a new request (a `.waitForTaskToken` Task), or with
/// `approvalId` the request Create Approval Links made, posted to Slack too (a plain Task).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(transform = super::companion::new_or_named_request)]
pub struct RequestActionInput {
    /// Create Approval Links' `approvalId`: posts that request to Slack (its buttons decide it,
    /// as its links do) instead of making a new one. Then leave out `taskToken` (Wait For
    /// Approval waits) and the request's own fields (`allowedUsers`, `quorum`, `requestedBy`,
    /// `reminders`, `expiresInSeconds`, `followUp`, `buttons`, `requestKey`).
    #[schemars(regex(pattern = approvals::schema::APPROVAL_ID_PATTERN))]
    pub approval_id: Option<String>,
    /// A channel id (`C…`) or `#name`; or give `user`.
    pub channel: Option<String>,
    /// A user id (`U…`) or an email address (looked up with `users.lookupByEmail`): the
    /// request goes to the bot's DM with them.
    pub user: Option<String>,
    /// Post as a reply in the thread of this message (its `ts`) in `channel`.
    pub thread_ts: Option<String>,
    /// Who the message appears to come from (needs the `chat:write.customize` scope).
    pub username: Option<String>,
    pub icon_emoji: Option<String>,
    pub icon_url: Option<String>,
    /// Previews of links in the text (`unfurl_links`) and of media (`unfurl_media`).
    pub unfurl_links: Option<bool>,
    pub unfurl_media: Option<bool>,
    #[schemars(length(max = MAX_HEADER_CHARS))]
    pub header: Option<String>,
    /// What is being asked (Slack mrkdwn).
    #[schemars(required, length(min = 1, max = MAX_TEXT_CHARS), pattern(approvals::schema::NON_BLANK_PATTERN))]
    pub text: Option<String>,
    /// 1 to 6 buttons; absent: Approve and Reject.
    #[schemars(length(min = 1, max = MAX_BUTTONS))]
    pub buttons: Option<Vec<Button>>,
    /// A question asked in a modal after a click (`after`: the button values that ask it).
    pub follow_up: Option<approvals::FollowUpInput>,
    /// Slack user ids allowed to answer; empty or absent: anyone who sees the message.
    #[schemars(inner(regex(pattern = crate::schema::SLACK_USER_ID_PATTERN)))]
    pub allowed_users: Option<Vec<String>>,
    #[schemars(range(min = approvals::approval::MIN_EXPIRES_IN_SECONDS, max = approvals::approval::MAX_EXPIRES_IN_SECONDS))]
    pub expires_in_seconds: Option<i64>,
    /// `"taskToken.$": "$$.Task.Token"`, in a `.waitForTaskToken` Task (required unless
    /// `approvalId` is given, which refuses it).
    #[schemars(length(max = approvals::input::MAX_TASK_TOKEN_CHARS), pattern(approvals::schema::NON_BLANK_PATTERN))]
    pub task_token: Option<String>,
    /// Idempotency key (e.g. the execution id and state name): an ASL retry of the same state
    /// reuses the first attempt's request and message instead of posting again.
    pub request_key: Option<String>,
    /// `"executionArn.$": "$$.Execution.Id"` (optional): kept on the record to correlate logs.
    #[schemars(length(max = approvals::input::MAX_EXECUTION_ARN_CHARS), pattern(approvals::schema::EXECUTION_ARN_PATTERN))]
    pub execution_arn: Option<String>,
    /// Our state machines' first Task (optional): `{"contract": "SlackRequestAction",
    /// "input.$": "$$.Execution.Input"}`, so a field the execution input does not know is
    /// refused by name before anything is posted (`approvals::input::execution`).
    pub execution_input: Option<approvals::input::ExecutionInput>,
    /// How many of `allowedUsers` must agree: `{"approvals": 2 | "all" | "first",
    /// "rejections": 1}` (absent, or `"first"`: the first click decides). Needs
    /// `allowedUsers`, and Approve / Reject (no buttons of its own).
    pub quorum: Option<approvals::quorum::QuorumInput>,
    /// Who asked (a Slack user id): their click never counts, even when `allowedUsers` names
    /// them.
    #[schemars(regex(pattern = crate::schema::SLACK_USER_ID_PATTERN))]
    pub requested_by: Option<String>,
    /// Remind the `allowedUsers` who have not answered every `everySeconds`, and after
    /// `escalateAfter` reminders let `escalateTo` (Slack user ids) fill the unfilled slots.
    pub reminders: Option<approvals::quorum::RemindersInput>,
}

/// Input of Slack Send Message.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendMessageInput {
    pub channel: Option<String>,
    pub user: Option<String>,
    #[schemars(length(max = 40_000))]
    pub text: Option<String>,
    /// Raw Block Kit blocks.
    #[schemars(with = "Option<crate::schema::Blocks>")]
    pub blocks: Option<Vec<Value>>,
    pub thread_ts: Option<String>,
    /// Who the message appears to come from (needs the `chat:write.customize` scope).
    pub username: Option<String>,
    pub icon_emoji: Option<String>,
    pub icon_url: Option<String>,
    /// Previews of links in the text (`unfurl_links`) and of media (`unfurl_media`).
    pub unfurl_links: Option<bool>,
    pub unfurl_media: Option<bool>,
    /// For messages with buttons that a Wait For User Action will wait on.
    #[schemars(inner(regex(pattern = crate::schema::SLACK_USER_ID_PATTERN)))]
    pub allowed_users: Option<Vec<String>>,
    /// The `action_id`s whose actions count for a Wait For User Action; absent: every
    /// interactive element of the message.
    pub action_ids: Option<Vec<String>>,
    #[schemars(range(min = approvals::approval::MIN_EXPIRES_IN_SECONDS, max = approvals::approval::MAX_EXPIRES_IN_SECONDS))]
    pub expires_in_seconds: Option<i64>,
    /// Idempotency key, as in Request Action: a retry returns the first attempt's message.
    pub request_key: Option<String>,
}

/// Input of Slack Update Message: Send Message's output plus the new content.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateMessageInput {
    pub channel: Option<String>,
    /// The message's timestamp (`1700000000.000100`).
    #[schemars(regex(pattern = crate::schema::SLACK_TS_PATTERN))]
    pub ts: Option<String>,
    /// Send Message's whole output may be passed here instead of `channel` + `ts`.
    pub message: Option<MessageRefInput>,
    #[schemars(length(max = 40_000))]
    pub text: Option<String>,
    #[schemars(with = "Option<crate::schema::Blocks>")]
    pub blocks: Option<Vec<Value>>,
}

/// A message as Send Message returns it ([`SentMessage`]): its `approvalId` is allowed (a
/// workflow passes the whole output) and not used; any other field is refused.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MessageRefInput {
    pub channel: Option<String>,
    #[schemars(regex(pattern = crate::schema::SLACK_TS_PATTERN))]
    pub ts: Option<String>,
    #[allow(dead_code)]
    approval_id: Option<String>,
}

/// Input of Slack Wait For User Action (a `.waitForTaskToken` Task).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WaitForUserActionInput {
    pub channel: Option<String>,
    #[schemars(regex(pattern = crate::schema::SLACK_TS_PATTERN))]
    pub ts: Option<String>,
    /// Send Message's whole output, instead of `channel` + `ts`.
    pub message: Option<MessageRefInput>,
    /// `"taskToken.$": "$$.Task.Token"`, in a `.waitForTaskToken` Task.
    #[schemars(required, length(max = approvals::input::MAX_TASK_TOKEN_CHARS), pattern(approvals::schema::NON_BLANK_PATTERN))]
    pub task_token: Option<String>,
    /// Refused with a pointer to Send Message's `actionIds`: which actions count is fixed
    /// when the message is sent, as a click may come before the wait.
    #[schemars(with = "Option<crate::schema::Refused>")]
    pub action_ids: Option<Vec<String>>,
}

/// `actionIds`: `action_id`s of elements of the message that can answer (absent or empty:
/// every element counts).
pub(crate) fn counting_actions(
    action_ids: Option<Vec<String>>,
    blocks: &[Value],
) -> Result<Vec<String>, HitlError> {
    let ids: Vec<String> = action_ids.unwrap_or_default();
    let present: Vec<&str> = answering_elements(blocks)
        .iter()
        .filter_map(|e| e["action_id"].as_str())
        .collect();
    if let Some(missing) = ids.iter().find(|id| !present.contains(&id.as_str())) {
        return Err(HitlError::invalid_input(format!(
            "actionIds names {missing:?}, which is no button, select, radio buttons, checkboxes or picker action_id of the blocks (they hold {present:?})"
        )));
    }
    Ok(ids)
}

pub(crate) fn is_slack_id(value: &str) -> bool {
    value.len() >= 2
        && value.len() <= 24
        && value.starts_with(['U', 'W'])
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// `allowedUsers`, checked, without duplicates (each is one slot of a quorum: a name given
/// twice must not be counted twice).
pub(crate) fn allowed_users(users: Option<Vec<String>>) -> Result<Vec<String>, HitlError> {
    let mut unique: Vec<String> = Vec::new();
    for user in users.unwrap_or_default() {
        let user = user.trim().to_string();
        if !is_slack_id(&user) {
            return Err(HitlError::invalid_input(format!(
                "allowedUsers holds Slack user ids such as U0123ABCD, not {user:?}"
            )));
        }
        if !unique.contains(&user) {
            unique.push(user);
        }
    }
    Ok(unique)
}

/// `quorum`, `requestedBy` and `reminders` of a Request Action, checked against its approvers
/// (`allowedUsers`, Slack user ids, as are the requester and the escalation targets) and its
/// buttons (a quorum counts Approve and Reject only).
pub(crate) fn team_rules(
    quorum: Option<approvals::quorum::QuorumInput>,
    requested_by: Option<String>,
    reminders: Option<approvals::quorum::RemindersInput>,
    approvers: &[String],
    buttons: &[Button],
) -> Result<approvals::quorum::TeamRules, HitlError> {
    use approvals::approval::team::{own_choices, slot_count, TeamFields};
    let slack_id = |field: &str, raw: &str| match is_slack_id(raw) {
        true => Ok(raw.to_string()),
        false => Err(HitlError::invalid_input(format!(
            "{field} is a Slack user id such as U0123ABCD, not {raw:?}"
        ))),
    };
    let fields = TeamFields {
        quorum,
        requested_by,
        reminders,
    }
    .normalized(&slack_id)?;
    let slots = slot_count(approvers, fields.requested_by.as_deref());
    let values = buttons
        .iter()
        .filter_map(|b| b.value.as_deref().map(str::trim));
    fields.rules(slots, "allowedUsers", own_choices(values))
}

pub(crate) fn expiry(seconds: Option<i64>) -> Result<i64, HitlError> {
    let seconds = seconds.unwrap_or(DEFAULT_EXPIRES_IN_SECONDS);
    if !(approvals::approval::MIN_EXPIRES_IN_SECONDS..=approvals::approval::MAX_EXPIRES_IN_SECONDS)
        .contains(&seconds)
    {
        return Err(HitlError::invalid_input(format!(
            "expiresInSeconds must be between {} and {}",
            approvals::approval::MIN_EXPIRES_IN_SECONDS,
            approvals::approval::MAX_EXPIRES_IN_SECONDS
        )));
    }
    Ok(seconds)
}

pub(crate) fn message_ref(
    channel: Option<String>,
    ts: Option<String>,
    message: Option<MessageRefInput>,
) -> Result<MessageRef, HitlError> {
    let (channel, ts) = match message {
        Some(m) => (
            non_blank(m.channel).or(non_blank(channel)),
            non_blank(m.ts).or(non_blank(ts)),
        ),
        None => (non_blank(channel), non_blank(ts)),
    };
    match (channel, ts) {
        (Some(channel), Some(ts)) if is_ts(&ts) => Ok(MessageRef { channel, ts }),
        (Some(_), Some(ts)) => Err(HitlError::invalid_input(format!(
            "ts must be a Slack message timestamp such as 1700000000.000100, not {ts:?}"
        ))),
        _ => Err(HitlError::invalid_input(
            "channel and ts are required (pass Send Message's output)",
        )),
    }
}

pub(crate) fn is_ts(ts: &str) -> bool {
    match ts.split_once('.') {
        Some((secs, micros)) => {
            !secs.is_empty()
                && !micros.is_empty()
                && secs.chars().all(|c| c.is_ascii_digit())
                && micros.chars().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

pub(crate) fn validate_buttons(buttons: Option<Vec<Button>>) -> Result<Vec<Button>, HitlError> {
    let buttons = buttons.unwrap_or_else(|| {
        vec![
            Button {
                label: Some("Approve".into()),
                value: Some("approve".into()),
                style: Some("primary".into()),
                confirm: None,
            },
            Button {
                label: Some("Reject".into()),
                value: Some("reject".into()),
                style: Some("danger".into()),
                confirm: None,
            },
        ]
    });
    // The rules every channel shares (count, labels, unique values, styles), with Slack's
    // value limit; Slack keeps its own `confirm` dialogs.
    let fields: Vec<ButtonFields> = buttons
        .iter()
        .map(|b| ButtonFields {
            label: b.label.as_deref(),
            value: b.value.as_deref(),
            style: b.style.as_deref(),
        })
        .collect();
    check_buttons(&fields, &CHAT_BUTTONS)?;
    Ok(buttons)
}

/// `followUp`, checked against the buttons: `after` names button values. A question longer
/// than a modal's input label (2000 characters) cannot be asked, and the model's limit is
/// below it.
pub(crate) fn follow_up_question(
    follow_up: Option<approvals::FollowUpInput>,
    buttons: &[Button],
) -> Result<Option<approvals::FollowUp>, HitlError> {
    let values: Vec<&str> = buttons
        .iter()
        .filter_map(|b| b.value.as_deref().map(str::trim))
        .collect();
    follow_up.map(|f| f.validate(&values)).transpose()
}
