//! Slack Request Action with `approvalId`: the request Create Approval Links made, posted to
//! Slack too ([`approvals::use_cases::slack::post_to_request`]). What belongs to the request
//! (its approvers, quorum, requester, reminders, expiry, question, buttons) is the request's,
//! and the wait is Wait For Approval's: each such field is refused by name, so a workflow that
//! gives one learns it would have changed nothing. Where and how the message is posted
//! (`channel` or `user`, `threadTs`, `header`, `text`, the persona) works as for a new request.

use schemars::Schema;
use serde_json::{json, Value};

use super::*;
use approvals::buttons::{ButtonStyle, ChoiceButton};
use approvals::use_cases::slack::{Destination, SlackCompanionPost, SlackRequestFormat};

/// The fields that belong to the request Create Approval Links made (input name, and whether
/// it was given).
fn request_fields(input: &RequestActionInput) -> [(&'static str, bool); 8] {
    [
        ("allowedUsers", input.allowed_users.is_some()),
        ("quorum", input.quorum.is_some()),
        ("requestedBy", input.requested_by.is_some()),
        ("reminders", input.reminders.is_some()),
        ("expiresInSeconds", input.expires_in_seconds.is_some()),
        ("followUp", input.follow_up.is_some()),
        ("buttons", input.buttons.is_some()),
        ("requestKey", input.request_key.is_some()),
    ]
}

/// Where the message goes and what it says, as every Request Action takes them.
pub(super) struct Layout {
    pub destination: Destination,
    pub thread_ts: Option<String>,
    pub persona: Persona,
    pub unfurl: Unfurl,
    pub header: Option<String>,
    pub text: String,
}

impl RequestActionInput {
    /// The input names an existing request (`approvalId`): [`Self::validate_companion`] reads
    /// it, not [`Self::validate`].
    pub fn names_request(&self) -> bool {
        self.approval_id.is_some()
    }

    /// Every check of a Request Action with `approvalId`, before anything is read or posted.
    pub fn validate_companion(mut self) -> Result<SlackCompanionPost, HitlError> {
        approvals::input::check_execution_input(self.execution_input.as_ref())?;
        let approval_id = approvals::input::posted_request_id(
            "Slack Request Action",
            self.approval_id.take(),
            self.task_token.is_some(),
            &request_fields(&self),
        )?;
        // Checked only: it names the execution in this call's logs (read from the input as it
        // arrives); the request keeps the one Create Approval Links was given.
        approvals::input::execution_arn(self.execution_arn.take())?;
        let layout = self.take_layout()?;
        Ok(SlackCompanionPost {
            approval_id,
            destination: layout.destination,
            header: layout.header,
            text: layout.text,
            thread_ts: layout.thread_ts,
            persona: layout.persona,
            unfurl: layout.unfurl,
        })
    }

    /// Where the message goes and what it says, checked.
    pub(super) fn take_layout(&mut self) -> Result<Layout, HitlError> {
        let destination = destination(self.channel.take(), self.user.take())?;
        let thread_ts = thread_ts(self.thread_ts.take())?;
        let persona = address::persona(
            self.username.take(),
            self.icon_emoji.take(),
            self.icon_url.take(),
        )?;
        let unfurl = Unfurl {
            links: self.unfurl_links,
            media: self.unfurl_media,
        };
        let text = non_blank(self.text.take()).ok_or_else(|| {
            HitlError::invalid_input("text is required: say what is being asked (Slack mrkdwn)")
        })?;
        check_length("text", &text, MAX_TEXT_CHARS)?;
        let header = non_blank(self.header.take());
        if let Some(h) = &header {
            check_length("header", h, MAX_HEADER_CHARS)?;
            check_one_line("header", h)?;
        }
        Ok(Layout {
            destination,
            thread_ts,
            persona,
            unfurl,
            header,
            text,
        })
    }
}

/// The request's message as a new request's: its buttons (Approve and Reject when it has none
/// of its own) under a block that names the request.
impl SlackRequestFormat for BlockKit {
    fn request_message(
        &self,
        approval_id: &str,
        header: Option<&str>,
        text: &str,
        buttons: &[ChoiceButton],
    ) -> SlackMessage {
        let buttons: Vec<Button> = match buttons.is_empty() {
            true => validate_buttons(None).unwrap_or_default(),
            false => buttons.iter().map(slack_button).collect(),
        };
        SlackMessage {
            text: match header {
                Some(h) => format!("{h}: {text}"),
                None => text.to_string(),
            },
            blocks: Some(request_blocks(approval_id, header, text, &buttons)),
            ..SlackMessage::default()
        }
    }
}

fn slack_button(button: &ChoiceButton) -> Button {
    Button {
        label: Some(button.label.clone()),
        value: Some(button.value.clone()),
        style: match button.style {
            ButtonStyle::Default => None,
            style => Some(style.as_str().to_string()),
        },
        confirm: None,
    }
}

/// The input schema's rule for `approvalId` (`#[schemars(transform)]`): a new request needs
/// `taskToken` (and no `approvalId`); a request named by `approvalId` takes neither `taskToken`
/// nor any field that belongs to the request (absent or `null`, as the code reads them).
pub(crate) fn new_or_named_request(schema: &mut Schema) {
    let refused: serde_json::Map<String, Value> = std::iter::once("taskToken")
        .chain(
            request_fields(&RequestActionInput::default())
                .into_iter()
                .map(|(f, _)| f),
        )
        .map(|field| (field.to_string(), json!({"type": "null"})))
        .chain([("approvalId".to_string(), json!({"type": "string"}))])
        .collect();
    schema.insert(
        "anyOf".into(),
        json!([
            {
                "description": "A new request: the Task waits (`.waitForTaskToken`) with its `taskToken`.",
                "required": ["taskToken"],
                "properties": {"approvalId": {"type": "null"}, "taskToken": {"type": "string"}}
            },
            {
                "description": "The request Create Approval Links made (`approvalId`), posted to Slack too: Wait For Approval waits for it, and the request's own fields are left out.",
                "required": ["approvalId"],
                "properties": Value::Object(refused)
            }
        ]),
    );
}
