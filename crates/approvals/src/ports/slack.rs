//! The Slack port: Slack's Web API as the chat use cases need it (Slack-shaped: its messages
//! are Block Kit), implemented in `saas_adapters::slack`, and [`SlackFormat`], what the use
//! cases need rendered (Block Kit, mrkdwn, modals), implemented in `channels::slack`.

use async_trait::async_trait;
use serde_json::Value;

use crate::quorum::{Tally, Vote};
use crate::use_cases::slack_click::{Click, ClickRefusal};
use crate::{
    ApprovalRecord, Decision, FollowUp, HitlError, MessageRef, RecordedDecision, SlackUserId,
};

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

/// Who the message appears to come from, instead of the app's own name and icon. Slack
/// applies it only with the `chat:write.customize` scope (without it, it posts under the
/// app's name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Persona {
    pub username: Option<String>,
    /// `:robot_face:`; wins over `icon_url` when both are set.
    pub icon_emoji: Option<String>,
    pub icon_url: Option<String>,
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
    async fn post_ephemeral(
        &self,
        channel: &str,
        user: &SlackUserId,
        text: &str,
    ) -> Result<(), HitlError>;
    /// `users.lookupByEmail`: the id of the person with this address (`Slack.UserNotFound`
    /// when nobody in the workspace has it).
    async fn lookup_user_by_email(&self, email: &str) -> Result<String, HitlError>;
    /// `views.open`: opens a modal for the person who clicked, with the click's `trigger_id`
    /// (good once, for 3 seconds).
    async fn open_view(&self, trigger_id: &str, view: &Value) -> Result<(), HitlError>;
}

/// What the Slack use cases say, rendered for Slack: the messages a request ends with.
pub trait SlackFormat: Send + Sync {
    /// The message of a request whose outcome is final: what it showed (`shown`, its blocks)
    /// with `line` in place of its buttons, then, for a request with a quorum, its `votes`
    /// (who, what, when, where; none for a request decided by its first answer).
    fn outcome_message(
        &self,
        title: &str,
        shown: &[Value],
        line: &str,
        votes: &[Vote],
    ) -> SlackMessage;
    /// The message of a request with a quorum that is still open: what it showed, buttons
    /// kept, with `line` (the progress) under them, in place of any earlier progress line.
    fn progress_message(&self, title: &str, shown: &[Value], line: &str) -> SlackMessage;
    /// "1 of 2 approved; waiting for <@U2>, <@U3>".
    fn progress_line(&self, tally: &Tally) -> String;
    /// The line of a settled request with a quorum: its outcome and the tally that made it.
    fn settled_line(&self, outcome: &Decision, tally: &Tally) -> String;
    /// What a voter is told when their vote was counted and the request is still open.
    fn counted_note(&self, vote: &RecordedDecision, tally: &Tally) -> String;
    /// The message of a request that expired unanswered: what it showed without buttons, and
    /// when it expired.
    fn expired_message(&self, title: &str, expires_at: i64, shown: &[Value]) -> SlackMessage;
    /// The line saying who decided what, and when.
    fn decided_line(&self, decision: &RecordedDecision) -> String;
    /// The line of a decision the workflow no longer waited for.
    fn too_late_line(&self) -> String;
    /// The line of a decision Step Functions refused for good: recorded, never delivered.
    fn not_delivered_line(&self) -> String;
    /// What the clicker is told when their click changed nothing.
    fn refusal(&self, refusal: &ClickRefusal) -> String;
    /// The modal that asks `question` after `click` on `record`'s message.
    fn follow_up_view(&self, record: &ApprovalRecord, question: &FollowUp, click: &Click) -> Value;
}
