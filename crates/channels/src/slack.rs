//! Slack: approval requests with buttons, plain messages a workflow can wait on, and the
//! interactivity endpoint that turns a signed `block_actions` click into a decision.
//!
//! What is ours: the input contracts and their checks ([`input`]), the Block Kit we post
//! ([`blocks`]), the v0 request signature check ([`signature`]), the expiry sweep ([`sweep`]),
//! and here the use cases (Request Action, Send Message, Update Message, Wait For User
//! Action); the click itself is [`crate::slack_click`]. Talking to Slack is the
//! [`SlackMessenger`] port.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use approvals::approval::rfc3339;
pub use approvals::input::keyed_approval_id;
use approvals::input::{
    capitalized, check_length, check_one_line, non_blank, one_line, request_key, task_token,
};
use approvals::ports::ChatApprovals;
use approvals::{ApprovalRecord, Channel, Decision, HitlError, MessageRef, RecordedDecision};

mod address;
mod blocks;
mod input;
mod signature;
mod sweep;
pub(crate) use address::{destination, resolve};
pub use address::{Persona, MAX_USERNAME_CHARS};
/// The button rules every channel shares ([`approvals::buttons`]); Slack's label limit
/// (plain_text in a button element) is the shared one.
pub use approvals::buttons::{MAX_BUTTONS, MAX_BUTTON_LABEL_CHARS};
pub use blocks::*;
pub use input::*;
pub use signature::{sign, verify_signature, SignatureError, SIGNATURE_MAX_AGE_SECONDS};
pub use sweep::*;
/// Slack's limit for a button's `value`.
pub const MAX_BUTTON_VALUE_CHARS: usize = approvals::buttons::MAX_CHAT_VALUE_CHARS;
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
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SlackMessage {
    pub text: String,
    pub blocks: Option<Vec<Value>>,
    pub thread_ts: Option<String>,
    /// Who it appears to come from (posts only; an update keeps the original's).
    pub persona: Persona,
    /// Link and media previews (posts only); `None`: Slack's defaults.
    pub unfurl: Unfurl,
}

/// `unfurl_links` (previews of text content such as articles; off for bots by default) and
/// `unfurl_media` (images, video; on by default) of a post.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unfurl {
    pub links: Option<bool>,
    pub media: Option<bool>,
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
    /// `users.lookupByEmail`: the id of the person with this address (`Slack.UserNotFound`
    /// when nobody in the workspace has it).
    async fn lookup_user_by_email(&self, email: &str) -> Result<String, HitlError>;
    /// `views.open`: opens a modal for the person who clicked, with the click's `trigger_id`
    /// (good once, for 3 seconds).
    async fn open_view(&self, trigger_id: &str, view: &Value) -> Result<(), HitlError>;
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
    let thread_ts = thread_ts(input.thread_ts)?;
    let persona = address::persona(input.username, input.icon_emoji, input.icon_url)?;
    let unfurl = Unfurl {
        links: input.unfurl_links,
        media: input.unfurl_media,
    };
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
    let follow_up = follow_up_question(input.follow_up, &buttons)?;
    let approvers = allowed_users(input.allowed_users)?;
    let expires_at = now + expiry(input.expires_in_seconds)?;
    let token = task_token(input.task_token)?;
    let key = request_key(input.request_key)?;
    let execution_arn = approvals::input::execution_arn(input.execution_arn)?;
    let approval_id = key.as_deref().map(keyed_approval_id).unwrap_or(approval_id);
    let destination = resolve(destination, slack).await?;

    let title = header.clone().unwrap_or_else(|| {
        let first_line = text.lines().next().unwrap_or_default();
        one_line(first_line, approvals::approval::MAX_TITLE_CHARS)
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
    record.follow_up = follow_up;
    record.execution_arn = execution_arn;
    let (record, posted) = create_or_resume(&record, key.is_some(), store, now).await?;
    let posted = match posted {
        Some(posted) => posted,
        None => {
            let message = SlackMessage {
                thread_ts,
                persona,
                unfurl,
                ..request_message(&approval_id, header.as_deref(), &text, &buttons)
            };
            post_request(&approval_id, &destination, &message, store, slack).await?
        }
    };
    Ok(RequestActionOutput {
        approval_id,
        channel: posted.channel,
        ts: posted.ts,
        expires_at: rfc3339(record.expires_at),
    })
}

/// Posts the request's message and keeps what it showed (for the message's later updates).
async fn post_request(
    approval_id: &str,
    destination: &str,
    message: &SlackMessage,
    store: &dyn ChatApprovals,
    slack: &dyn SlackMessenger,
) -> Result<MessageRef, HitlError> {
    let posted = slack.post(destination, message).await?;
    let shown = message.blocks.as_deref().and_then(shown_blocks);
    store
        .attach_message(approval_id, &posted, shown.as_deref())
        .await?;
    Ok(posted)
}

/// The request as posted: its blocks, and a text for notifications and clients without them.
fn request_message(
    approval_id: &str,
    header: Option<&str>,
    text: &str,
    buttons: &[Button],
) -> SlackMessage {
    SlackMessage {
        text: match header {
            Some(h) => format!("{h}: {text}"),
            None => text.to_string(),
        },
        blocks: Some(request_blocks(approval_id, header, text, buttons)),
        ..SlackMessage::default()
    }
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
    let thread_ts = thread_ts(input.thread_ts)?;
    let persona = address::persona(input.username, input.icon_emoji, input.icon_url)?;
    let approvers = allowed_users(input.allowed_users)?;
    let expires_at = now + expiry(input.expires_in_seconds)?;
    let interactive = message.blocks.as_deref().is_some_and(has_buttons);
    let action_ids = counting_actions(
        input.action_ids,
        message.blocks.as_deref().unwrap_or_default(),
    )?;
    let title = one_line(&message.text, approvals::approval::MAX_TITLE_CHARS);
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
            return Ok(SentMessage::new(sent, approval_id));
        }
    }
    let destination = resolve(destination, slack).await?;
    let posted = slack
        .post(
            &destination,
            &SlackMessage {
                thread_ts,
                persona,
                unfurl: Unfurl {
                    links: input.unfurl_links,
                    media: input.unfurl_media,
                },
                ..message.clone()
            },
        )
        .await?;
    let blocks = message.blocks.as_deref().unwrap_or_default();
    if let Some(key) = &key {
        store.attach_message(key, &posted, None).await?;
    }
    let approval_id = match interactive {
        true => {
            let mut record = new_record(message_approval_id(&posted));
            record.approvers = approvers;
            record.action_ids = action_ids;
            Some(register_for_waiting(record, &posted, blocks, store).await?)
        }
        false => None,
    };
    Ok(SentMessage::new(posted, approval_id))
}

impl SentMessage {
    fn new(message: MessageRef, approval_id: Option<String>) -> Self {
        SentMessage {
            channel: message.channel,
            ts: message.ts,
            approval_id,
        }
    }
}

/// `threadTs`, when given, must be a message timestamp.
fn thread_ts(thread_ts: Option<String>) -> Result<Option<String>, HitlError> {
    let thread_ts = non_blank(thread_ts);
    match &thread_ts {
        Some(ts) if !is_ts(ts) => Err(HitlError::invalid_input(format!(
            "threadTs must be a Slack message timestamp, not {ts:?}"
        ))),
        _ => Ok(thread_ts),
    }
}

/// What a message showed, as the open-message store keeps it: its blocks as JSON (none for a
/// message without blocks, which has nothing to close).
fn shown_blocks(blocks: &[Value]) -> Option<String> {
    (!blocks.is_empty()).then(|| Value::from(blocks.to_vec()).to_string())
}

/// Stores a message with buttons as a request a Wait For User Action can wait on (a click
/// that comes first is kept); returns its approval id.
async fn register_for_waiting(
    mut record: ApprovalRecord,
    posted: &MessageRef,
    blocks: &[Value],
    store: &dyn ChatApprovals,
) -> Result<String, HitlError> {
    record.message = Some(posted.clone());
    store.create(&record).await?;
    store
        .attach_message(&record.approval_id, posted, shown_blocks(blocks).as_deref())
        .await?;
    Ok(record.approval_id)
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
            ..SlackMessage::default()
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
pub fn wait_target(
    input: WaitForUserActionInput,
) -> Result<approvals::use_cases::WaitInput, HitlError> {
    if input.action_ids.is_some() {
        return Err(HitlError::invalid_input(
            "actionIds goes to Slack Send Message, which registers the message: a click can come before the wait, so which actions count is fixed when it is sent",
        ));
    }
    let target = message_ref(input.channel, input.ts, input.message)?;
    Ok(approvals::use_cases::WaitInput {
        approval_id: Some(message_approval_id(&target)),
        task_token: Some(task_token(input.task_token)?),
        execution_arn: None,
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
        ..SlackMessage::default()
    }
}
