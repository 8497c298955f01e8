//! The inputs of Request Action and Send Channel/Chat Message, and their checks.

use serde::Deserialize;
use serde_json::Value;

use super::card::{
    check_size, prepare_card, text_card, MAX_FACTS, MAX_FACT_TITLE_CHARS, MAX_FACT_VALUE_CHARS,
    MAX_TEXT_CHARS,
};
use approvals::approval::team::{email_identity, own_choices, slot_count, TeamFields};
use approvals::approval::{normalize_email, MAX_TITLE_CHARS};
use approvals::input::{check_fields, check_length, non_blank, request_key, task_token};
use approvals::ports::{Fact, TeamsMessage};
use approvals::quorum::{QuorumInput, RemindersInput};
use approvals::use_cases::teams::TeamsRequest;
use approvals::{CreateLinksInput, HitlError};

/// Input of Teams Request Action (a `.waitForTaskToken` Task). Unknown fields are refused, at
/// every depth (`facts[0]`, `buttons[0]`, `followUp`).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(transform = super::companion_input::schema)]
pub struct TeamsRequestActionInput {
    /// What is being approved: one line, the card's heading.
    #[schemars(required, length(min = 1, max = MAX_TITLE_CHARS), pattern(approvals::schema::ONE_LINE_PATTERN))]
    pub title: Option<String>,
    #[schemars(length(max = MAX_TEXT_CHARS))]
    pub text: Option<String>,
    /// `[{"title", "value"}]`; a value may be a string, number or boolean.
    #[schemars(with = "Option<Vec<crate::schema::Fact>>", length(max = MAX_FACTS))]
    pub facts: Option<Value>,
    #[schemars(range(min = approvals::approval::MIN_EXPIRES_IN_SECONDS, max = approvals::approval::MAX_EXPIRES_IN_SECONDS))]
    pub expires_in_seconds: Option<i64>,
    /// Email addresses. A webhook card cannot tell who clicks it, so with approvers the card
    /// has no buttons: each approver gets a personal link by email, which only they hold. With
    /// `conversationId` (the bot's card), also user principal names or Entra object ids: each is
    /// resolved by the bot, and only they can decide in the card.
    #[schemars(with = "Option<Vec<String>>", length(max = approvals::approval::MAX_APPROVERS), inner(pattern(APPROVER_PATTERN), length(max = approvals::schema::MAX_EMAIL_CHARS)))]
    pub approvers: Option<Value>,
    /// One person's email address: the card goes to their 1:1 chat with the bot, and its
    /// links are personal to them (see [`super::bot`]). Not with `approvers`.
    #[schemars(
        with = "Option<crate::schema::Email>",
        description = "One person's email address (in your Microsoft 365 tenant): the message goes to their 1:1 chat with the bot instead of the webhook's channel or chat; a request's links are then personal to them. Not with `approvers`."
    )]
    pub user: Option<Value>,
    /// A channel (`19:…@thread.tacv2`) or group chat (`19:…@thread.v2`) the Teams bot is
    /// installed in: the bot sends the card there, and its buttons decide in the card as the
    /// person who clicks. Needs the bot; not with `user`.
    #[schemars(
        with = "Option<String>",
        length(max = MAX_CONVERSATION_ID_CHARS),
        pattern(CONVERSATION_ID_PATTERN),
        description = "A channel (19:…@thread.tacv2) or group chat (19:…@thread.v2) the Teams bot is installed in (the bot logs the id when it is added): the bot sends the card there, and each approver decides in the card, as themselves. Needs the Teams bot. Not with `user`."
    )]
    pub conversation_id: Option<Value>,
    /// A question asked on the confirmation page after a choice (see `approvals::follow_up`).
    pub follow_up: Option<approvals::FollowUpInput>,
    /// `[{label, value, style?}]`, 1 to 6 (see [`super::buttons`]); absent: Approve / Reject.
    #[schemars(with = "Option<Vec<crate::schema::LinkButton>>", length(min = 1, max = approvals::buttons::MAX_BUTTONS), description = "1 to 6 buttons, values told apart; absent: Approve / Reject. A button's value is the decision its link carries.")]
    pub buttons: Option<Value>,
    /// Create Approval Links' `approvalId`: posts that request as the Teams bot's card
    /// (`conversationId` or `user`) instead of making one. Then call this Task without
    /// .waitForTaskToken (Wait For Approval waits) and leave out taskToken and the request's
    /// own fields (title, text, approvers, quorum...).
    #[schemars(regex(pattern = approvals::schema::APPROVAL_ID_PATTERN))]
    pub approval_id: Option<String>,
    /// Refused unless absent or null: see [`NO_TARGET`].
    #[schemars(
        with = "Option<crate::schema::Refused>",
        description = "Not supported: leave it out. Microsoft Graph takes channel and chat messages from an app only to import history, so every message goes to the channel or chat of the Workflows webhook; use one webhook per channel."
    )]
    pub target: Option<Value>,
    /// `"taskToken.$": "$$.Task.Token"`, in a `.waitForTaskToken` Task.
    #[schemars(required, length(max = approvals::input::MAX_TASK_TOKEN_CHARS), pattern(approvals::schema::NON_BLANK_PATTERN))]
    pub task_token: Option<String>,
    /// Idempotency key (e.g. the execution id and state name): an ASL retry of the same state
    /// reuses the first attempt's request and does not post the card again.
    pub request_key: Option<String>,
    /// `"executionArn.$": "$$.Execution.Id"` (optional): kept on the record to correlate logs.
    #[schemars(length(max = approvals::input::MAX_EXECUTION_ARN_CHARS), pattern(approvals::schema::EXECUTION_ARN_PATTERN))]
    pub execution_arn: Option<String>,
    /// Our state machines' asking Task (optional): `{"contract": "RdsIdleReview",
    /// "input.$": "$$.Execution.Input"}`, so a field the execution input does not know is
    /// refused by name before anything is stored or sent (`approvals::input::execution`).
    pub execution_input: Option<approvals::input::ExecutionInput>,
    /// How many of `approvers` must agree: `{"approvals": 2 | "all" | "first", "rejections":
    /// 1}` (absent, or `"first"`: the first answer decides). Needs `approvers` (with the bot,
    /// its votes are its resolved approvers), and Approve / Reject.
    pub quorum: Option<approvals::quorum::QuorumInput>,
    /// Who asked: their vote never counts. An email address; with `conversationId` also a user
    /// principal name or Entra object id (the bot resolves it, like the approvers).
    #[schemars(length(max = approvals::schema::MAX_EMAIL_CHARS), pattern(APPROVER_PATTERN))]
    pub requested_by: Option<String>,
    /// Remind the approvers who have not answered every `everySeconds`, and after
    /// `escalateAfter` reminders let `escalateTo` (named as approvers are) fill the unfilled
    /// slots.
    pub reminders: Option<approvals::quorum::RemindersInput>,
}

/// Input of Teams Send Channel Message and Send Chat Message. Exactly one of `text` or `card`.
/// Unknown fields are refused; the `card` itself (an Adaptive Card) passes through as given.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TeamsSendMessageInput {
    #[schemars(length(max = MAX_TEXT_CHARS))]
    pub text: Option<String>,
    /// A raw Adaptive Card (`"type": "AdaptiveCard"`), version 1.4 at most.
    #[schemars(with = "Option<crate::schema::AdaptiveCard>")]
    pub card: Option<Value>,
    /// With `text`: a bold heading above it (the message becomes a card). Ignored with `card`.
    #[schemars(length(max = MAX_TITLE_CHARS))]
    pub title: Option<String>,
    /// One person's email address: the message goes to their 1:1 chat with the bot instead of
    /// the webhook's channel or chat (see [`super::bot`]).
    #[schemars(
        with = "Option<crate::schema::Email>",
        description = "One person's email address (in your Microsoft 365 tenant): the message goes to their 1:1 chat with the bot instead of the webhook's channel or chat; a request's links are then personal to them. Not with `approvers`."
    )]
    pub user: Option<Value>,
    /// Refused unless absent or null: see [`NO_TARGET`].
    #[schemars(
        with = "Option<crate::schema::Refused>",
        description = "Not supported: leave it out. Microsoft Graph takes channel and chat messages from an app only to import history, so every message goes to the channel or chat of the Workflows webhook; use one webhook per channel."
    )]
    pub target: Option<Value>,
}

/// Why `target` is refused (`Hitl.InvalidInput`).
pub const NO_TARGET: &str = "target is not supported: Microsoft Graph takes channel and chat messages from an app only to import history (migration), so every Teams message goes to the channel or chat of the Workflows webhook (TEAMS_WEBHOOK_URL); remove target, and use one webhook per channel";

/// A Teams conversation id as `conversationId` takes it: `19:`, an id without whitespace or
/// `;` (a thread of a channel is not a place to post a new card), `@thread.` and a word.
pub const CONVERSATION_ID_PATTERN: &str = r"^19:[^\s;@]+@thread\.[a-z0-9]+$";
/// The longest `conversationId` accepted (Teams' are well under 200 characters).
pub const MAX_CONVERSATION_ID_CHARS: u32 = 300;
/// An approver as the bot's card takes them: an email address or user principal name
/// ([`approvals::schema::EMAIL_PATTERN`]) or an Entra object id (a GUID, only with
/// `conversationId`).
pub const APPROVER_PATTERN: &str = r"^([^@\s]+@[^@\s.][^@\s]*\.[^@\s]*[^@\s.]|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$";

/// `conversationId`: absent, null, or a Teams channel or group chat id (see
/// [`CONVERSATION_ID_PATTERN`]).
pub fn parse_conversation_id(id: Option<&Value>) -> Result<Option<String>, HitlError> {
    let id = match id {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(id)) => id.trim(),
        Some(other) => {
            return Err(HitlError::invalid_input(format!(
                "conversationId must be a Teams conversation id (a string such as \"19:…@thread.tacv2\"), not a {}",
                kind(Some(other))
            )))
        }
    };
    if is_conversation_id(id) {
        return Ok(Some(id.to_string()));
    }
    let shown: String = id.chars().take(80).collect();
    Err(HitlError::invalid_input(format!(
        "conversationId must be the id of a channel (\"19:…@thread.tacv2\") or group chat (\"19:…@thread.v2\") the Teams bot is installed in, not {shown:?}"
    )))
}

/// [`CONVERSATION_ID_PATTERN`] and [`MAX_CONVERSATION_ID_CHARS`], checked.
pub fn is_conversation_id(id: &str) -> bool {
    let Some((name, kind)) = id
        .strip_prefix("19:")
        .and_then(|r| r.rsplit_once("@thread."))
    else {
        return false;
    };
    id.chars().count() <= MAX_CONVERSATION_ID_CHARS as usize
        && !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == ';' || c == '@')
        && !kind.is_empty()
        && kind
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// Whether an approver is named by Entra object id (a GUID: 8-4-4-4-12 hex digits).
pub fn is_object_id(who: &str) -> bool {
    let groups: Vec<&str> = who.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// With `conversationId`, the approvers named by object id apart from the addresses (which
/// are checked as ever); without it, every approver is an address.
fn split_object_ids(
    approvers: Option<Vec<String>>,
    bot_card: bool,
) -> (Option<Vec<String>>, Vec<String>) {
    let approvers = match approvers {
        Some(approvers) if bot_card => approvers,
        other => return (other, Vec::new()),
    };
    let (ids, addresses): (Vec<String>, Vec<String>) = approvers
        .into_iter()
        .map(|a| a.trim().to_string())
        .partition(|a| is_object_id(a));
    let mut unique: Vec<String> = Vec::new();
    for id in ids.into_iter().map(|id| id.to_ascii_lowercase()) {
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    (Some(addresses).filter(|a| !a.is_empty()), unique)
}

/// `approvers`: absent, null, or a list of email addresses (normalized and checked the way
/// Create Approval Links checks them).
pub fn parse_approvers(approvers: Option<Value>) -> Result<Option<Vec<String>>, HitlError> {
    match approvers {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(address) => Ok(address),
                _ => Err(HitlError::invalid_input(format!(
                    "approvers[{i}] must be an email address"
                ))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(other) => Err(HitlError::invalid_input(format!(
            "approvers must be a list of email addresses, not a {}",
            kind(Some(&other))
        ))),
    }
}

/// `target`: only absent or null (the webhook's own channel or chat).
pub fn refuse_target(target: Option<&Value>) -> Result<(), HitlError> {
    match target {
        None | Some(Value::Null) => Ok(()),
        Some(_) => Err(HitlError::invalid_input(NO_TARGET)),
    }
}

fn kind(value: Option<&Value>) -> &'static str {
    match value {
        None | Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "boolean",
        Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Array(_)) => "list",
        Some(Value::Object(_)) => "object",
    }
}

/// `facts`: at most [`MAX_FACTS`] `{"title", "value"}` objects.
pub fn parse_facts(facts: Option<&Value>) -> Result<Vec<Fact>, HitlError> {
    let items = match facts {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(HitlError::invalid_input(format!(
                "facts must be a list of {{\"title\", \"value\"}}, not a {}",
                kind(facts)
            )))
        }
    };
    if items.len() > MAX_FACTS {
        return Err(HitlError::invalid_input(format!(
            "facts holds {} entries; at most {MAX_FACTS} are allowed",
            items.len()
        )));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            if let Value::Object(fields) = item {
                check_fields(&format!("facts[{i}]"), fields, &["title", "value"])?;
            }
            let title = match item.get("title") {
                Some(Value::String(t)) if !t.trim().is_empty() => t.trim().to_string(),
                _ => {
                    return Err(HitlError::invalid_input(format!(
                        "facts[{i}].title is required (a non-empty string)"
                    )))
                }
            };
            let value = match item.get("value") {
                Some(Value::String(v)) => v.trim().to_string(),
                Some(Value::Number(n)) => n.to_string(),
                Some(Value::Bool(b)) => b.to_string(),
                _ => {
                    return Err(HitlError::invalid_input(format!(
                        "facts[{i}].value is required (a string, number or boolean)"
                    )))
                }
            };
            check_length(&format!("facts[{i}].title"), &title, MAX_FACT_TITLE_CHARS)?;
            check_length(&format!("facts[{i}].value"), &value, MAX_FACT_VALUE_CHARS)?;
            Ok(Fact { title, value })
        })
        .collect()
}

impl TeamsRequestActionInput {
    pub fn validate(self) -> Result<TeamsRequest, HitlError> {
        super::companion_input::refuse_approval_id(self.approval_id.as_deref())?;
        // First: with a typo in the execution input, what follows would be read without it.
        approvals::input::check_execution_input(self.execution_input.as_ref())?;
        let user = super::bot::parse_user(self.user.as_ref())?;
        let conversation_id = parse_conversation_id(self.conversation_id.as_ref())?;
        if conversation_id.is_some() && user.is_some() {
            return Err(HitlError::invalid_input(
                "give either conversationId or user, not both: the bot sends the card to one place (a channel or group chat, or user's 1:1 chat)",
            ));
        }
        let (approvers, approver_ids) =
            split_object_ids(parse_approvers(self.approvers)?, conversation_id.is_some());
        if approvers.iter().flatten().count() + approver_ids.len()
            > approvals::approval::MAX_APPROVERS
        {
            return Err(HitlError::invalid_input(format!(
                "at most {} approvers are supported",
                approvals::approval::MAX_APPROVERS
            )));
        }
        let team = team_fields(
            (self.quorum, self.requested_by, self.reminders),
            conversation_id.is_some(),
        )?;
        let approvers = super::bot::approvers_with_user(user.as_deref(), approvers)?;
        refuse_target(self.target.as_ref())?;
        let buttons = super::buttons::parse_buttons(self.buttons.as_ref())?;
        let text = non_blank(self.text);
        if let Some(text) = &text {
            check_length("text", text, MAX_TEXT_CHARS)?;
        }
        let facts = parse_facts(self.facts.as_ref())?;
        let task_token = task_token(self.task_token)?;
        let request_key = request_key(self.request_key)?;
        if conversation_id.is_some() {
            // Checked again once the bot resolved them (two names of one person are one slot).
            let named: Vec<String> = approvers
                .iter()
                .flatten()
                .chain(&approver_ids)
                .cloned()
                .collect();
            let slots = slot_count(&named, team.requested_by.as_deref());
            let values = buttons.iter().map(|b| b.value.as_str());
            team.clone()
                .rules(slots, "approvers", own_choices(values))?;
        }
        // Title and expiry (and without the bot, the team fields: the approvers are the
        // addresses), checked the way Create Approval Links checks them.
        let webhook_team = Some(team.clone())
            .filter(|_| conversation_id.is_none())
            .unwrap_or_default();
        let links = CreateLinksInput {
            title: self.title,
            description: text.clone(),
            expires_in_seconds: self.expires_in_seconds,
            approvers,
            follow_up: self.follow_up.clone(),
            execution_arn: self.execution_arn,
            execution_input: None,
            quorum: webhook_team.quorum,
            requested_by: webhook_team.requested_by,
            reminders: webhook_team.reminders,
        };
        let links = match buttons.is_empty() {
            true => links.validate()?,
            false => {
                let values: Vec<&str> = buttons.iter().map(|b| b.value.as_str()).collect();
                links.validate_with_choices(&values)?
            }
        };
        Ok(TeamsRequest {
            title: links.title,
            text,
            facts,
            expires_in_seconds: self.expires_in_seconds,
            task_token,
            request_key,
            execution_arn: links.execution_arn,
            approvers: links.approvers,
            user,
            conversation_id,
            approver_ids,
            follow_up: self.follow_up,
            buttons,
            team,
        })
    }
}

/// `quorum`, `requestedBy`, `reminders`, the people named as approvers are: email addresses,
/// and with `conversationId` (the bot resolves them) also user principal names or object ids.
fn team_fields(
    (quorum, requested_by, reminders): (
        Option<QuorumInput>,
        Option<String>,
        Option<RemindersInput>,
    ),
    bot_card: bool,
) -> Result<TeamFields, HitlError> {
    let person = |field: &str, raw: &str| {
        match bot_card && is_object_id(raw) {
        true => Ok(raw.to_ascii_lowercase()),
        false if bot_card => normalize_email(raw).map_err(|_| {
            HitlError::invalid_input(format!(
                "{field} must be an email address, a user principal name or an Entra object id, not {raw:?}"
            ))
        }),
        false => email_identity(field, raw),
    }
    };
    let fields = TeamFields {
        quorum,
        requested_by,
        reminders,
    };
    fields.normalized(&person)
}

impl TeamsSendMessageInput {
    /// Who Send Channel/Chat Message posts to (`user`, or the webhook's channel or chat when
    /// `None`) and what.
    pub fn validate_with_user(self) -> Result<(Option<String>, TeamsMessage), HitlError> {
        let user = super::bot::parse_user(self.user.as_ref())?;
        Ok((user, self.validate()?))
    }

    /// What Send Channel/Chat Message posts.
    pub fn validate(self) -> Result<TeamsMessage, HitlError> {
        refuse_target(self.target.as_ref())?;
        let text = non_blank(self.text);
        let card = self.card.filter(|c| !c.is_null());
        let message = match (text, card) {
            (Some(_), Some(_)) => {
                return Err(HitlError::invalid_input(
                    "give either text or card, not both",
                ))
            }
            (None, None) => {
                return Err(HitlError::invalid_input(
                    "text or card is required (card: an Adaptive Card object)",
                ))
            }
            (Some(text), None) => {
                check_length("text", &text, MAX_TEXT_CHARS)?;
                match non_blank(self.title) {
                    Some(title) => {
                        check_length("title", &title, MAX_TITLE_CHARS)?;
                        TeamsMessage::Card(text_card(Some(&title), &text))
                    }
                    None => TeamsMessage::Text(text),
                }
            }
            (None, Some(card)) => TeamsMessage::Card(prepare_card(card)?),
        };
        check_size(&message)?;
        Ok(message)
    }
}
