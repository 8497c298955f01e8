//! Request Action's, Send Message's and Update Message's inputs checked (Slack's own limits
//! included) into what their use cases take, with the message that goes out rendered.

use approvals::input::{execution_arn, request_key};
use approvals::use_cases::slack::{SlackPost, SlackRequest};

use super::*;

impl RequestActionInput {
    /// Every check, before anything is stored or posted. `approval_id` names the request
    /// unless a `requestKey` does.
    pub fn validate(mut self, approval_id: String) -> Result<SlackRequest, HitlError> {
        // First: with a typo in the execution input, what follows would be read without it.
        approvals::input::check_execution_input(self.execution_input.as_ref())?;
        if self.names_request() {
            return Err(HitlError::invalid_input(
                "approvalId names an existing request: it is posted with validate_companion",
            ));
        }
        let super::companion::Layout {
            destination,
            thread_ts,
            persona,
            unfurl,
            header,
            text,
        } = self.take_layout()?;
        let buttons = validate_buttons(self.buttons)?;
        let follow_up = follow_up_question(self.follow_up, &buttons)?;
        let approvers = allowed_users(self.allowed_users)?;
        let team = team_rules(
            self.quorum,
            self.requested_by,
            self.reminders,
            &approvers,
            &buttons,
        )?;
        let expires_in_seconds = expiry(self.expires_in_seconds)?;
        let token = task_token(self.task_token)?;
        let key = request_key(self.request_key)?;
        let execution_arn = execution_arn(self.execution_arn)?;
        let approval_id = key.as_deref().map(keyed_approval_id).unwrap_or(approval_id);
        let title = header.clone().unwrap_or_else(|| {
            let first_line = text.lines().next().unwrap_or_default();
            one_line(first_line, approvals::approval::MAX_TITLE_CHARS)
        });
        let message = SlackMessage {
            thread_ts,
            persona,
            unfurl,
            ..request_message(&approval_id, header.as_deref(), &text, &buttons)
        };
        Ok(SlackRequest {
            approval_id,
            keyed: key.is_some(),
            destination,
            title,
            description: text,
            message,
            approvers,
            follow_up,
            expires_in_seconds,
            task_token: token,
            execution_arn,
            team,
        })
    }
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

impl SendMessageInput {
    /// Every check, before anything is posted.
    pub fn validate(self) -> Result<SlackPost, HitlError> {
        let destination = destination(self.channel, self.user)?;
        let message = message_content(self.text, self.blocks)?;
        let thread_ts = thread_ts(self.thread_ts)?;
        let persona = address::persona(self.username, self.icon_emoji, self.icon_url)?;
        let approvers = allowed_users(self.allowed_users)?;
        let expires_in_seconds = expiry(self.expires_in_seconds)?;
        let blocks = message.blocks.as_deref().unwrap_or_default();
        let interactive = has_buttons(blocks);
        let action_ids = counting_actions(self.action_ids, blocks)?;
        let title = one_line(&message.text, approvals::approval::MAX_TITLE_CHARS);
        let keyed_id = request_key(self.request_key)?.map(|k| keyed_approval_id(&k));
        Ok(SlackPost {
            destination,
            message: SlackMessage {
                thread_ts,
                persona,
                unfurl: Unfurl {
                    links: self.unfurl_links,
                    media: self.unfurl_media,
                },
                ..message
            },
            title,
            interactive,
            action_ids,
            approvers,
            expires_in_seconds,
            keyed_id,
        })
    }
}

impl UpdateMessageInput {
    /// The message to change, and what it shows from now on.
    pub fn validate(self) -> Result<(MessageRef, SlackMessage), HitlError> {
        let target = message_ref(self.channel, self.ts, self.message)?;
        let message = message_content(self.text, self.blocks)?;
        Ok((target, message))
    }
}
