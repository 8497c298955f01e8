//! The bot's cards (Universal Actions): the card the Teams bot sends for a request, whose
//! buttons are `Action.Execute` (Teams sends each click to the bot's messaging endpoint as an
//! `adaptiveCard/action` invoke carrying who clicked), and the cards a click is answered with.
//!
//! Version 1.5 ([`BOT_CARD_VERSION`]), not the webhook cards' 1.4: Teams' "Work with Universal
//! Actions for Adaptive Cards" (learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/
//! cards/universal-actions-for-adaptive-cards/work-with-universal-actions-for-adaptive-cards)
//! says Universal Actions come with schema 1.5 and a card's `version` must be 1.5; below it, a
//! card with `Action.Execute` or `refresh` is not refreshed and its `Action.Execute` may not
//! render, depending on the client, unless each carries an `Action.Submit` fallback. Cards a
//! bot sends render up to 1.5 in Teams (Copilot Studio's "Adaptive Cards overview": "Teams is
//! also limited to version 1.5"). No `Action.Submit` (Teams would send it as a message, not an
//! invoke) and no `Action.OpenUrl` (a link cannot tell who opens it).
//!
//! The follow-up question is a card input (`followUp`): Teams merges input values into the
//! clicked action's `data`. A button after which the question is not asked does not take the
//! input (`associatedInputs: none`), so a required answer does not block it.

use serde_json::{json, Map, Value};

use super::card::{adaptive_card, check_size};
use super::AdaptiveCards;
use approvals::buttons::default_buttons;
use approvals::follow_up::MAX_TEXT_ANSWER_CHARS;
use approvals::ports::{CardRefusal, Fact, TeamsBotFormat, TeamsMessage};
use approvals::{AnswerKind, ButtonLink, ChoiceButton, CreateLinksOutput, FollowUp};
use approvals::{HitlError, TeamsUser};

/// The verb of a choice button; its `data` is `{approvalId, value}`.
pub const DECIDE_VERB: &str = "decide";
/// The verb of the card's `refresh` action; its `data` is `{approvalId}`.
pub const REFRESH_VERB: &str = "refresh";
/// The id of the follow-up question's input, the key of its answer in an action's `data`
/// (where the use case reads it).
pub use approvals::use_cases::teams_card::FOLLOW_UP_INPUT;
/// Teams shows a user-specific view (the card's `refresh`) to at most 60 users.
pub const MAX_REFRESH_USERS: usize = 60;
/// The version every card [`TeamsBotFormat`] renders declares (request, outcome, refusal):
/// the first with Universal Actions in Teams. A Workflows webhook takes 1.4 at most
/// ([`super::CARD_VERSION`]), so the two kinds of card differ.
pub const BOT_CARD_VERSION: &str = "1.5";

/// Ids of the elements that only make sense while the request is pending: the outcome and
/// refusal cards drop them along with every input and action.
const PENDING_NOTE: &str = "pending";
const FOLLOW_UP_HINT: &str = "followUpHint";
/// Ids of what the outcome and refusal cards add: replaced, not repeated, when a card already
/// settled is settled again (an outcome shown to a late clicker, a refusal refused again).
const OUTCOME_LINE: &str = "outcome";
const NOTICE: &str = "notice";
/// The votes of a request with a quorum, under the outcome line.
const VOTES: &str = "votes";
/// The progress line of an open request with a quorum: replaced by the next vote's.
const PROGRESS: &str = "progress";

impl TeamsBotFormat for AdaptiveCards {
    fn bot_request_card(
        &self,
        links: &CreateLinksOutput,
        facts: &[Fact],
        follow_up: Option<&FollowUp>,
        refresh_for: &[TeamsUser],
    ) -> Result<Value, HitlError> {
        let choices = bot_choices(links);
        let mut body = super::card::request_head(&links.title, links.description.as_deref(), facts);
        if let Some(question) = follow_up {
            body.extend(follow_up_inputs(question, &choices));
        }
        body.push(pending_note(refresh_for, &links.expires_at));
        let actions = choices
            .iter()
            .map(|c| decide_action(&links.approval_id, c, follow_up))
            .collect();
        let mut card = bot_card(body, actions);
        if let Some(refresh) = refresh(&links.approval_id, refresh_for) {
            card["refresh"] = refresh;
        }
        check_size(&TeamsMessage::Card(card.clone()))?;
        Ok(card)
    }

    fn bot_outcome_card(&self, shown: &Value, line: &str) -> Value {
        let mut card = settled(Some(shown));
        for id in [OUTCOME_LINE, VOTES, PROGRESS] {
            drop_by_id(&mut card, id);
        }
        push_body(&mut card, outcome_block(line));
        card
    }

    fn bot_votes_card(&self, shown: &Value, line: &str, votes: &[String]) -> Value {
        let mut card = self.bot_outcome_card(shown, line);
        if !votes.is_empty() {
            push_body(&mut card, votes_block(votes));
        }
        card
    }

    fn bot_progress_card(&self, shown: &Value, line: &str) -> Value {
        let mut card = shown.clone();
        drop_by_id(&mut card, PROGRESS);
        push_body(&mut card, progress_block(line));
        card
    }

    fn bot_refusal_card(&self, shown: Option<&Value>, refusal: &CardRefusal) -> Value {
        let mut card = settled(shown);
        drop_by_id(&mut card, NOTICE);
        if let Some(Value::Array(body)) = card.get_mut("body") {
            body.insert(0, notice_block(refusal_text(refusal)));
        }
        card
    }
}

/// The choices the card offers: the request's own buttons (shared, or the first approver's
/// personal set: every approver's holds the same labels and values), else Approve / Reject.
/// The links' URLs are not used: a bot card's buttons are `Action.Execute`.
pub fn bot_choices(links: &CreateLinksOutput) -> Vec<ChoiceButton> {
    let own: &[ButtonLink] = match links.buttons.is_empty() {
        false => &links.buttons,
        true => links.links.first().map_or(&[], |l| &l.buttons[..]),
    };
    if own.is_empty() {
        return default_buttons();
    }
    own.iter()
        .map(|b| ChoiceButton::new(&b.label, &b.value, b.style))
        .collect()
}

/// What a person reads on top of a card that changed nothing.
pub fn refusal_text(refusal: &CardRefusal) -> &'static str {
    match refusal {
        CardRefusal::NotAllowed => {
            "You are not one of the approvers of this request: your choice was not recorded."
        }
        CardRefusal::AlreadyDecided => {
            "This request was already decided: your choice was not recorded."
        }
        CardRefusal::Expired => "This request expired: your choice was not recorded.",
        CardRefusal::UnknownCard => {
            "This card was not sent by this app for this request: nothing was recorded."
        }
        CardRefusal::AlreadyVoted => "You voted already: a second vote changes nothing.",
        CardRefusal::Requester => {
            "You asked for this request, so you do not vote on it: your choice was not recorded."
        }
        CardRefusal::SlotFilled => {
            "Your vote is no longer needed: someone voted in your place after the request was escalated. Your choice was not recorded."
        }
        CardRefusal::NoSlotLeft => {
            "Every approver's place has a vote already, so yours is not needed: your choice was not recorded."
        }
    }
}

/// The question as an input of its kind, required when the question is, and, when it is asked
/// after some choices only, a line saying which.
fn follow_up_inputs(question: &FollowUp, choices: &[ChoiceButton]) -> Vec<Value> {
    let mut input = match question.kind {
        AnswerKind::Number => json!({"type": "Input.Number"}),
        AnswerKind::Email => json!({"type": "Input.Text", "style": "email"}),
        AnswerKind::Text => json!({
            "type": "Input.Text",
            "isMultiline": true,
            "maxLength": MAX_TEXT_ANSWER_CHARS,
        }),
    };
    input["id"] = json!(FOLLOW_UP_INPUT);
    input["label"] = json!(question.question);
    input["isRequired"] = json!(question.required);
    if question.required {
        input["errorMessage"] = json!("Please answer the question.");
    }
    let mut blocks = vec![input];
    let asked_after: Vec<&str> = choices
        .iter()
        .filter(|c| question.after.contains(&c.value))
        .map(|c| c.label.as_str())
        .collect();
    if !question.after.is_empty() {
        blocks.push(json!({
            "type": "TextBlock",
            "id": FOLLOW_UP_HINT,
            "text": format!("Asked when you choose {}.", asked_after.join(" or ")),
            "wrap": true,
            "isSubtle": true,
            "size": "small",
        }));
    }
    blocks
}

/// Who may decide and until when; dropped once the outcome is known.
fn pending_note(approvers: &[TeamsUser], expires_at: &str) -> Value {
    let who = match approvers {
        [] => "Anyone in this conversation may decide".to_string(),
        named => {
            let names: Vec<&str> = named.iter().map(|a| a.name.as_str()).collect();
            format!("Only {} may decide", names.join(", "))
        }
    };
    json!({
        "type": "TextBlock",
        "id": PENDING_NOTE,
        "text": format!("{who}; the choice is recorded as the person who makes it. The request expires at {expires_at}."),
        "wrap": true,
        "isSubtle": true,
        "size": "small",
    })
}

fn decide_action(approval_id: &str, choice: &ChoiceButton, follow_up: Option<&FollowUp>) -> Value {
    let mut action = json!({
        "type": "Action.Execute",
        "title": choice.label,
        "verb": DECIDE_VERB,
        "data": {"approvalId": approval_id, "value": choice.value},
        "style": choice.style.card_style(),
    });
    // Without this, a required answer would block the choices that do not ask it.
    let asks = follow_up.is_some_and(|q| q.applies_to(&choice.value));
    if follow_up.is_some() && !asks {
        action["associatedInputs"] = json!("none");
    }
    action
}

/// How `refresh.userIds` names an approver by what the request knows of them: the Teams MRI
/// of an Entra user, `8:orgid:<object id>`. Microsoft's examples list the Teams user id the
/// Bot Connector uses in that conversation instead (`29:…`, an activity's `from.id`): the bot
/// adapter looks each approver up in the conversation it posts to and replaces these with
/// [`refresh_object_ids`] and [`set_refresh_user_ids`] before posting.
pub const ORGID_MRI_PREFIX: &str = "8:orgid:";

/// `refresh` for the approvers, by MRI ([`ORGID_MRI_PREFIX`]), at most
/// [`MAX_REFRESH_USERS`]; none without approvers: `userIds` left out would make Teams refresh
/// the card for every member of a small conversation, each time it is shown, and everyone sees
/// the same card anyway (the Decision Relay updates it once decided).
fn refresh(approval_id: &str, approvers: &[TeamsUser]) -> Option<Value> {
    if approvers.is_empty() {
        return None;
    }
    let user_ids: Vec<String> = approvers
        .iter()
        .take(MAX_REFRESH_USERS)
        .map(|a| format!("{ORGID_MRI_PREFIX}{}", a.object_id))
        .collect();
    Some(json!({
        "action": {
            "type": "Action.Execute",
            "verb": REFRESH_VERB,
            "data": {"approvalId": approval_id},
        },
        "userIds": user_ids,
    }))
}

/// The object ids `card`'s `refresh.userIds` names by MRI, in order (none without a refresh).
pub fn refresh_object_ids(card: &Value) -> Vec<String> {
    card.pointer("/refresh/userIds")
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(|id| id.as_str()?.strip_prefix(ORGID_MRI_PREFIX))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Replaces `card`'s `refresh.userIds` with `user_ids` (the first [`MAX_REFRESH_USERS`]);
/// a card without a refresh is left as it is.
pub fn set_refresh_user_ids(card: &mut Value, user_ids: &[String]) {
    if let Some(Value::Object(refresh)) = card.get_mut("refresh") {
        let kept: Vec<&String> = user_ids.iter().take(MAX_REFRESH_USERS).collect();
        refresh.insert("userIds".into(), json!(kept));
    }
}

/// An Adaptive Card at [`BOT_CARD_VERSION`].
fn bot_card(body: Vec<Value>, actions: Vec<Value>) -> Value {
    let mut card = adaptive_card(body, actions);
    card["version"] = json!(BOT_CARD_VERSION);
    card
}

/// `shown` with nothing left to click or type and without the pending note: no actions, no
/// `refresh`, no inputs, no `selectAction`, wherever they are. A card that is not one (a
/// corrupt record) becomes an empty card, so the line that follows is still shown.
fn settled(shown: Option<&Value>) -> Value {
    let mut card = match shown {
        Some(card @ Value::Object(_)) => card.clone(),
        _ => bot_card(Vec::new(), Vec::new()),
    };
    if let Value::Object(map) = &mut card {
        // A card shown before the bot's cards were 1.5 is settled as one of today's.
        map.insert("version".into(), json!(BOT_CARD_VERSION));
        map.remove("refresh");
        strip(map);
        if !matches!(map.get("body"), Some(Value::Array(_))) {
            map.insert("body".into(), json!([]));
        }
    }
    card
}

fn strip(map: &mut Map<String, Value>) {
    for key in ["actions", "selectAction", "inlineAction"] {
        map.remove(key);
    }
    for value in map.values_mut() {
        match value {
            Value::Array(items) => {
                items.retain(|item| !is_pending_element(item));
                items.iter_mut().for_each(strip_value);
            }
            Value::Object(child) => strip(child),
            _ => {}
        }
    }
}

fn strip_value(value: &mut Value) {
    if let Value::Object(map) = value {
        strip(map);
    }
}

fn is_pending_element(item: &Value) -> bool {
    let kind = item.get("type").and_then(Value::as_str).unwrap_or("");
    let id = item.get("id").and_then(Value::as_str).unwrap_or("");
    kind.starts_with("Input.")
        || kind == "ActionSet"
        || [PENDING_NOTE, FOLLOW_UP_HINT].contains(&id)
}

/// Drops the body's top-level element `id` (what this module added there earlier).
fn drop_by_id(card: &mut Value, id: &str) {
    if let Some(Value::Array(body)) = card.get_mut("body") {
        body.retain(|item| item.get("id").and_then(Value::as_str) != Some(id));
    }
}

fn push_body(card: &mut Value, block: Value) {
    if let Some(Value::Array(body)) = card.get_mut("body") {
        body.push(block);
    }
}

/// The outcome as plain text: it carries what a clicker typed (their name, a follow-up
/// answer), and a TextBlock would render its markdown (a link the whole conversation sees on
/// the bot's card); a RichTextBlock's TextRun renders no markdown.
fn outcome_block(line: &str) -> Value {
    json!({"type": "RichTextBlock", "id": OUTCOME_LINE,
        "inlines": [{"type": "TextRun", "text": line, "weight": "bolder"}]})
}

/// One plain line per vote (names and answers typed by people: no markdown, as the outcome).
fn votes_block(votes: &[String]) -> Value {
    let items: Vec<Value> = votes
        .iter()
        .map(|v| json!({"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": v}]}))
        .collect();
    json!({"type": "Container", "id": VOTES, "separator": true, "items": items})
}

/// The progress while open: plain text (it names approvers as the request resolved them).
fn progress_block(line: &str) -> Value {
    json!({"type": "RichTextBlock", "id": PROGRESS,
        "inlines": [{"type": "TextRun", "text": line, "isSubtle": true}]})
}

fn notice_block(text: &str) -> Value {
    json!({"type": "TextBlock", "id": NOTICE, "text": text, "weight": "bolder", "color": "attention", "wrap": true})
}
