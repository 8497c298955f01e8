//! Slack: approval requests with buttons, plain messages a workflow can wait on, and the
//! interactivity endpoint that turns a signed `block_actions` click into a decision.
//!
//! What is ours lives here: the input contracts, the Block Kit we post, the v0 request
//! signature check, and the click use case (allow-list, first click wins, message update,
//! ephemeral replies). Talking to Slack is the [`SlackMessenger`] port.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::approval::rfc3339;
pub use crate::input::keyed_approval_id;
use crate::input::{
    capitalized, check_length, check_one_line, non_blank, one_line, request_key, task_token,
};
use crate::ports::{ChatApprovals, MessageStore};
use crate::{ApprovalRecord, Channel, Decision, HitlError, MessageRef, RecordedDecision};

mod signature;
pub use signature::{sign, verify_signature, SignatureError, SIGNATURE_MAX_AGE_SECONDS};
pub const MAX_BUTTONS: usize = 6;
/// Slack's limit for a button's `value`.
pub const MAX_BUTTON_VALUE_CHARS: usize = 255;
/// Slack's limit for a button's label (plain_text in a button element).
pub const MAX_BUTTON_LABEL_CHARS: usize = 75;
pub const MAX_HEADER_CHARS: usize = 150;
/// A section's text is limited to 3000 characters.
pub const MAX_TEXT_CHARS: usize = 3000;
pub const MAX_BLOCKS: usize = 50;
pub const DEFAULT_EXPIRES_IN_SECONDS: i64 = 24 * 60 * 60;
/// `block_id` prefix of the buttons of a Request Action message: `hitl:{approvalId}`.
pub(crate) const BLOCK_ID_PREFIX: &str = "hitl:";

// ---------------------------------------------------------------------------------------------
// The port

/// A message to post or to put in place of another: `text` is the notification fallback and
/// what shows where blocks cannot.
#[derive(Debug, Clone, PartialEq)]
pub struct SlackMessage {
    pub text: String,
    pub blocks: Option<Vec<Value>>,
    pub thread_ts: Option<String>,
}

#[async_trait]
pub trait SlackMessenger: Send + Sync {
    /// `chat.postMessage`; `channel` may be a channel id, a `#name`, or a user id (DM).
    async fn post(&self, channel: &str, message: &SlackMessage) -> Result<MessageRef, HitlError>;
    /// `chat.update` of a message the bot posted.
    async fn update(
        &self,
        message_ref: &MessageRef,
        message: &SlackMessage,
    ) -> Result<(), HitlError>;
    /// `chat.postEphemeral`: only `user` sees it.
    async fn post_ephemeral(&self, channel: &str, user: &str, text: &str) -> Result<(), HitlError>;
}

// ---------------------------------------------------------------------------------------------
// Inputs

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ButtonConfirm {
    pub title: Option<String>,
    pub text: Option<String>,
    pub confirm: Option<String>,
    pub deny: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Button {
    pub label: Option<String>,
    pub value: Option<String>,
    /// `primary`, `danger`, or absent for Slack's default style.
    pub style: Option<String>,
    pub confirm: Option<ButtonConfirm>,
}

/// Input of Slack Request Action (a `.waitForTaskToken` Task).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestActionInput {
    pub channel: Option<String>,
    /// A user id (`U…`): the request goes to the bot's DM with them.
    pub user: Option<String>,
    pub header: Option<String>,
    pub text: Option<String>,
    pub buttons: Option<Vec<Button>>,
    /// Slack user ids allowed to answer; empty or absent: anyone who sees the message.
    pub allowed_users: Option<Vec<String>>,
    pub expires_in_seconds: Option<i64>,
    pub task_token: Option<String>,
    /// Idempotency key (e.g. the execution id and state name): an ASL retry of the same state
    /// reuses the first attempt's request and message instead of posting again.
    pub request_key: Option<String>,
}

/// Input of Slack Send Message.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendMessageInput {
    pub channel: Option<String>,
    pub user: Option<String>,
    pub text: Option<String>,
    /// Raw Block Kit blocks.
    pub blocks: Option<Vec<Value>>,
    pub thread_ts: Option<String>,
    /// For messages with buttons that a Wait For User Action will wait on.
    pub allowed_users: Option<Vec<String>>,
    pub expires_in_seconds: Option<i64>,
    /// Idempotency key, as in Request Action: a retry returns the first attempt's message.
    pub request_key: Option<String>,
}

/// Output of Slack Send Message; the input of Update Message and Wait For User Action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentMessage {
    pub channel: String,
    pub ts: String,
    /// Set when the message has buttons: Wait For User Action can wait on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval_id: Option<String>,
}

/// Input of Slack Update Message: Send Message's output plus the new content.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateMessageInput {
    pub channel: Option<String>,
    pub ts: Option<String>,
    /// Send Message's whole output may be passed here instead of `channel` + `ts`.
    pub message: Option<MessageRefInput>,
    pub text: Option<String>,
    pub blocks: Option<Vec<Value>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct MessageRefInput {
    pub channel: Option<String>,
    pub ts: Option<String>,
}

/// Input of Slack Wait For User Action (a `.waitForTaskToken` Task).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitForUserActionInput {
    pub channel: Option<String>,
    pub ts: Option<String>,
    pub message: Option<MessageRefInput>,
    pub task_token: Option<String>,
}

/// `channel` or `user` (exactly one): where to post.
fn destination(channel: Option<String>, user: Option<String>) -> Result<String, HitlError> {
    match (non_blank(channel), non_blank(user)) {
        (Some(channel), None) => Ok(channel),
        (None, Some(user)) if is_slack_id(&user) => Ok(user),
        (None, Some(user)) => Err(HitlError::invalid_input(format!(
            "user must be a Slack user id such as U0123ABCD, not {user:?}"
        ))),
        (Some(_), Some(_)) => Err(HitlError::invalid_input(
            "give either channel or user, not both",
        )),
        (None, None) => Err(HitlError::invalid_input(
            "channel (an id such as C0123ABCD or #name) or user (a user id, for a DM) is required",
        )),
    }
}

fn is_slack_id(value: &str) -> bool {
    value.len() >= 2
        && value.len() <= 24
        && value.starts_with(['U', 'W'])
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn allowed_users(users: Option<Vec<String>>) -> Result<Vec<String>, HitlError> {
    let users: Vec<String> = users
        .unwrap_or_default()
        .into_iter()
        .map(|u| u.trim().to_string())
        .collect();
    if let Some(bad) = users.iter().find(|u| !is_slack_id(u)) {
        return Err(HitlError::invalid_input(format!(
            "allowedUsers holds Slack user ids such as U0123ABCD, not {bad:?}"
        )));
    }
    Ok(users)
}

fn expiry(seconds: Option<i64>) -> Result<i64, HitlError> {
    let seconds = seconds.unwrap_or(DEFAULT_EXPIRES_IN_SECONDS);
    if !(crate::approval::MIN_EXPIRES_IN_SECONDS..=crate::approval::MAX_EXPIRES_IN_SECONDS)
        .contains(&seconds)
    {
        return Err(HitlError::invalid_input(format!(
            "expiresInSeconds must be between {} and {}",
            crate::approval::MIN_EXPIRES_IN_SECONDS,
            crate::approval::MAX_EXPIRES_IN_SECONDS
        )));
    }
    Ok(seconds)
}

fn message_ref(
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

fn is_ts(ts: &str) -> bool {
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

/// The approval id of a message a workflow may wait on: derived from where it is, so a click
/// that comes before the wait finds the same record.
pub fn message_approval_id(message: &MessageRef) -> String {
    format!("slack-{}-{}", message.channel, message.ts)
}

fn validate_buttons(buttons: Option<Vec<Button>>) -> Result<Vec<Button>, HitlError> {
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
    if buttons.is_empty() || buttons.len() > MAX_BUTTONS {
        return Err(HitlError::invalid_input(format!(
            "buttons must hold 1 to {MAX_BUTTONS} buttons"
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, b) in buttons.iter().enumerate() {
        let label = non_blank(b.label.clone())
            .ok_or_else(|| HitlError::invalid_input(format!("buttons[{i}].label is required")))?;
        check_length(
            &format!("buttons[{i}].label"),
            &label,
            MAX_BUTTON_LABEL_CHARS,
        )?;
        let value = non_blank(b.value.clone())
            .ok_or_else(|| HitlError::invalid_input(format!("buttons[{i}].value is required")))?;
        check_length(
            &format!("buttons[{i}].value"),
            &value,
            MAX_BUTTON_VALUE_CHARS,
        )?;
        if !seen.insert(value.clone()) {
            return Err(HitlError::invalid_input(format!(
                "buttons[{i}].value {value:?} is used twice: values tell the answers apart"
            )));
        }
        match b.style.as_deref() {
            None | Some("primary") | Some("danger") => {}
            Some(other) => {
                return Err(HitlError::invalid_input(format!(
                    "buttons[{i}].style must be primary or danger (or absent), not {other:?}"
                )))
            }
        }
    }
    Ok(buttons)
}

// ---------------------------------------------------------------------------------------------
// Block Kit

fn plain(text: &str) -> Value {
    json!({"type": "plain_text", "text": text, "emoji": true})
}

fn button_element(i: usize, b: &Button) -> Value {
    let mut element = json!({
        "type": "button",
        "action_id": format!("hitl_button_{i}"),
        "text": plain(b.label.as_deref().unwrap_or_default().trim()),
        "value": b.value.as_deref().unwrap_or_default().trim(),
    });
    if let Some(style) = &b.style {
        element["style"] = json!(style);
    }
    if let Some(c) = &b.confirm {
        element["confirm"] = json!({
            "title": plain(c.title.as_deref().unwrap_or("Are you sure?")),
            "text": {"type": "mrkdwn", "text": c.text.as_deref().unwrap_or("Please confirm.")},
            "confirm": plain(c.confirm.as_deref().unwrap_or("Yes")),
            "deny": plain(c.deny.as_deref().unwrap_or("Cancel")),
        });
    }
    element
}

/// The blocks of a Request Action message: header, text, and the buttons under a `block_id`
/// that names the approval.
pub fn request_blocks(
    approval_id: &str,
    header: Option<&str>,
    text: &str,
    buttons: &[Button],
) -> Vec<Value> {
    let mut blocks = Vec::new();
    if let Some(header) = header {
        blocks.push(json!({"type": "header", "text": plain(header)}));
    }
    blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": text}}));
    blocks.push(json!({
        "type": "actions",
        "block_id": format!("{BLOCK_ID_PREFIX}{approval_id}"),
        "elements": buttons.iter().enumerate().map(|(i, b)| button_element(i, b)).collect::<Vec<_>>(),
    }));
    blocks
}

/// The message after the outcome: the same blocks without their buttons, and a line that
/// says what happened, who and when.
pub fn outcome_blocks(original: &[Value], outcome: &str) -> Vec<Value> {
    let mut blocks: Vec<Value> = original
        .iter()
        .filter(|b| b["type"] != "actions")
        .cloned()
        .collect();
    blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": outcome}]}));
    blocks
}

fn has_buttons(blocks: &[Value]) -> bool {
    blocks.iter().any(|b| {
        b["type"] == "actions"
            || b["accessory"]["type"] == "button"
            || b["elements"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e["type"] == "button"))
    })
}

/// Text from outside (a click's value, a name, a workspace id) made safe to show in Slack
/// mrkdwn: `&`, `<` and `>` become entities, as Slack asks, so it can never turn into a
/// mention, a link or a `<!channel>` ping.
pub fn mrkdwn_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// "✅ *Approved* by @alice at T": every part that came with the click is escaped.
pub(crate) fn decided_line(record: &RecordedDecision) -> String {
    let mark = match record.decision {
        Decision::Approve => ":white_check_mark:",
        Decision::Reject => ":x:",
        Decision::Custom(_) => ":ballot_box_with_check:",
    };
    let who = match &record.slack_user {
        Some(user) => format!("<@{}>", mrkdwn_escape(&user.id)),
        None => mrkdwn_escape(&record.decided_by.name),
    };
    format!(
        "{mark} *{}* by {who} at {}",
        mrkdwn_escape(&capitalized(&record.decision.past_tense())),
        rfc3339(record.decided_at)
    )
}

// ---------------------------------------------------------------------------------------------
// Use cases

/// What Request Action returns to its (waiting) Task; the Task's real output is the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestActionOutput {
    pub approval_id: String,
    pub channel: String,
    pub ts: String,
    pub expires_at: String,
}

/// Stores `record`, or, under an idempotency key, finds the request a failed attempt of the
/// same state already made and gives it this attempt's task token. `Some(message)` when that
/// attempt's message went out (it is not posted again).
async fn create_or_resume(
    record: &ApprovalRecord,
    keyed: bool,
    store: &dyn ChatApprovals,
    now: i64,
) -> Result<(ApprovalRecord, Option<MessageRef>), HitlError> {
    match store.create(record).await {
        Ok(()) => Ok((record.clone(), None)),
        Err(HitlError::AlreadyExists(id)) if keyed => {
            let existing = match &record.task_token {
                Some(token) => store.attach_task_token(&id, token, now).await?,
                None => store.get(&id).await?,
            }
            .ok_or(HitlError::NotFound(id))?;
            let posted = existing.message.clone();
            Ok((existing, posted))
        }
        Err(err) => Err(err),
    }
}

/// Posts the request and stores the task token; the click resumes the workflow. With a
/// `requestKey`, a retry of the same state reuses the first attempt's message.
pub async fn request_action(
    input: RequestActionInput,
    store: &dyn ChatApprovals,
    slack: &dyn SlackMessenger,
    approval_id: String,
    retention_days: i64,
    now: i64,
) -> Result<RequestActionOutput, HitlError> {
    let destination = destination(input.channel, input.user)?;
    let text = non_blank(input.text).ok_or_else(|| {
        HitlError::invalid_input("text is required: say what is being asked (Slack mrkdwn)")
    })?;
    check_length("text", &text, MAX_TEXT_CHARS)?;
    let header = non_blank(input.header);
    if let Some(h) = &header {
        check_length("header", h, MAX_HEADER_CHARS)?;
        check_one_line("header", h)?;
    }
    let buttons = validate_buttons(input.buttons)?;
    let approvers = allowed_users(input.allowed_users)?;
    let expires_at = now + expiry(input.expires_in_seconds)?;
    let token = task_token(input.task_token)?;
    let key = request_key(input.request_key)?;
    let approval_id = key.as_deref().map(keyed_approval_id).unwrap_or(approval_id);

    let title = header.clone().unwrap_or_else(|| {
        let first_line = text.lines().next().unwrap_or_default();
        one_line(first_line, crate::approval::MAX_TITLE_CHARS)
    });
    let mut record = ApprovalRecord::new(
        approval_id.clone(),
        title,
        Channel::Slack,
        now,
        expires_at,
        retention_days,
    );
    record.description = Some(text.clone());
    record.approvers = approvers;
    record.task_token = Some(token);
    let (record, posted) = create_or_resume(&record, key.is_some(), store, now).await?;
    let posted = match posted {
        Some(posted) => posted,
        None => {
            let fallback = match &header {
                Some(h) => format!("{h}: {text}"),
                None => text.clone(),
            };
            let blocks = request_blocks(&approval_id, header.as_deref(), &text, &buttons);
            let message = SlackMessage {
                text: fallback,
                blocks: Some(blocks.clone()),
                thread_ts: None,
            };
            let posted = slack.post(&destination, &message).await?;
            store.attach_message(&approval_id, &posted, &blocks).await?;
            posted
        }
    };
    Ok(RequestActionOutput {
        approval_id,
        channel: posted.channel,
        ts: posted.ts,
        expires_at: rfc3339(record.expires_at),
    })
}

/// Posts a message; when it has buttons, also registers it so a Wait For User Action can wait
/// on it (and a click that comes first is kept). With a `requestKey`, a retry of the same
/// state returns the first attempt's message instead of posting again.
pub async fn send_message(
    input: SendMessageInput,
    store: &dyn ChatApprovals,
    slack: &dyn SlackMessenger,
    retention_days: i64,
    now: i64,
) -> Result<SentMessage, HitlError> {
    let destination = destination(input.channel, input.user)?;
    let message = message_content(input.text, input.blocks)?;
    let thread_ts = non_blank(input.thread_ts);
    if let Some(ts) = &thread_ts {
        if !is_ts(ts) {
            return Err(HitlError::invalid_input(format!(
                "threadTs must be a Slack message timestamp, not {ts:?}"
            )));
        }
    }
    let approvers = allowed_users(input.allowed_users)?;
    let expires_at = now + expiry(input.expires_in_seconds)?;
    let interactive = message.blocks.as_deref().is_some_and(has_buttons);
    let title = one_line(&message.text, crate::approval::MAX_TITLE_CHARS);
    let new_record = |id: String| {
        ApprovalRecord::new(
            id,
            title.clone(),
            Channel::Slack,
            now,
            expires_at,
            retention_days,
        )
    };
    // Under a key, a marker record guards the post: a retry finds what the first attempt sent.
    let key = request_key(input.request_key)?.map(|k| keyed_approval_id(&k));
    if let Some(key) = &key {
        if let (_, Some(sent)) =
            create_or_resume(&new_record(key.clone()), true, store, now).await?
        {
            let approval_id = interactive.then(|| message_approval_id(&sent));
            return Ok(SentMessage {
                channel: sent.channel,
                ts: sent.ts,
                approval_id,
            });
        }
    }
    let posted = slack
        .post(
            &destination,
            &SlackMessage {
                thread_ts,
                ..message.clone()
            },
        )
        .await?;
    let blocks = message.blocks.as_deref().unwrap_or_default();
    if let Some(key) = &key {
        store.attach_message(key, &posted, &[]).await?;
    }
    let approval_id = if interactive {
        let approval_id = message_approval_id(&posted);
        let mut record = new_record(approval_id.clone());
        record.approvers = approvers;
        record.message = Some(posted.clone());
        store.create(&record).await?;
        store.attach_message(&approval_id, &posted, blocks).await?;
        Some(approval_id)
    } else {
        None
    };
    Ok(SentMessage {
        channel: posted.channel,
        ts: posted.ts,
        approval_id,
    })
}

fn message_content(
    text: Option<String>,
    blocks: Option<Vec<Value>>,
) -> Result<SlackMessage, HitlError> {
    let text = non_blank(text);
    if let Some(t) = &text {
        check_length("text", t, 40_000)?;
    }
    if let Some(blocks) = &blocks {
        if blocks.is_empty() || blocks.len() > MAX_BLOCKS {
            return Err(HitlError::invalid_input(format!(
                "blocks must hold 1 to {MAX_BLOCKS} blocks"
            )));
        }
        if let Some(i) = blocks.iter().position(|b| !b["type"].is_string()) {
            return Err(HitlError::invalid_input(format!(
                "blocks[{i}] is not a Block Kit block (it has no \"type\")"
            )));
        }
    }
    match (text, blocks) {
        (None, None) => Err(HitlError::invalid_input("text or blocks is required")),
        (text, blocks) => Ok(SlackMessage {
            // Slack shows `text` in notifications; blocks alone would notify with nothing.
            text: text.unwrap_or_else(|| "New message".into()),
            blocks,
            thread_ts: None,
        }),
    }
}

pub async fn update_message(
    input: UpdateMessageInput,
    slack: &dyn SlackMessenger,
) -> Result<SentMessage, HitlError> {
    let target = message_ref(input.channel, input.ts, input.message)?;
    let message = message_content(input.text, input.blocks)?;
    slack.update(&target, &message).await?;
    Ok(SentMessage {
        channel: target.channel,
        ts: target.ts,
        approval_id: None,
    })
}

/// The id and token a Wait For User Action hands to the generic wait.
pub fn wait_target(input: WaitForUserActionInput) -> Result<crate::service::WaitInput, HitlError> {
    let target = message_ref(input.channel, input.ts, input.message)?;
    Ok(crate::service::WaitInput {
        approval_id: Some(message_approval_id(&target)),
        task_token: Some(task_token(input.task_token)?),
    })
}

/// The message of a request that expired unanswered: its blocks without buttons, and when.
pub(crate) fn expired_update(title: &str, expires_at: i64, blocks: &[Value]) -> SlackMessage {
    let line = format!(
        ":hourglass: *Expired* at {} without an answer",
        rfc3339(expires_at)
    );
    SlackMessage {
        text: format!("{title}: expired"),
        blocks: Some(outcome_blocks(blocks, &line)),
        thread_ts: None,
    }
}

// ---------------------------------------------------------------------------------------------
// Expiry sweep

/// How many expired messages one sweep closes; the next sweep goes on from there.
pub const SWEEP_BATCH: usize = 50;

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    /// Messages whose buttons were replaced by the expiry line.
    pub closed: Vec<String>,
    /// Messages Slack no longer has (deleted, channel gone): nothing left to close.
    pub gone: Vec<String>,
    /// Updates that failed for now; they stay open and the next sweep tries again.
    pub retry_later: Vec<String>,
}

/// Closes the messages of requests that expired without an answer, so nobody is left looking
/// at live buttons that can only say "too late". Each message is claimed first (a decision
/// recorded in time, or another sweep, wins), then updated; a failed update gives the claim
/// back. A rate limit ends the sweep early: the rest wait for the next one.
pub async fn close_expired_messages(
    store: &dyn MessageStore,
    slack: &dyn SlackMessenger,
    now: i64,
    limit: usize,
) -> Result<SweepReport, HitlError> {
    close_expired_messages_while(store, slack, now, limit, &|| true).await
}

/// [`close_expired_messages`], starting no new message once `keep_going` says no (the
/// function's time budget): the rest stay open for the next sweep.
pub async fn close_expired_messages_while(
    store: &dyn MessageStore,
    slack: &dyn SlackMessenger,
    now: i64,
    limit: usize,
    keep_going: &(dyn Fn() -> bool + Sync),
) -> Result<SweepReport, HitlError> {
    use crate::error::{Service, ServiceErrorKind};
    let mut report = SweepReport::default();
    for approval_id in store.expired_open_messages(now, limit).await? {
        if !keep_going() {
            break;
        }
        let Some(expired) = store.claim_message_close(&approval_id, now).await? else {
            continue;
        };
        let update = expired_update(&expired.title, expired.expires_at, &expired.blocks);
        match slack.update(&expired.message, &update).await {
            Ok(()) => report.closed.push(approval_id),
            Err(HitlError::Service {
                service: Service::Slack,
                kind: ServiceErrorKind::MessageNotFound | ServiceErrorKind::ChannelNotFound,
                ..
            }) => report.gone.push(approval_id),
            Err(err) => {
                tracing::warn!(
                    approval_id,
                    error = err.name(),
                    "expired message not closed yet"
                );
                store.release_message_close(&approval_id).await?;
                let rate_limited = matches!(
                    err,
                    HitlError::Service {
                        kind: ServiceErrorKind::RateLimited,
                        ..
                    }
                );
                report.retry_later.push(approval_id);
                if rate_limited {
                    break;
                }
            }
        }
    }
    Ok(report)
}
