//! Slack's side of interactivity: a click becomes the signed `block_actions` request Slack
//! sends to the interactivity URL.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{channel_name, Message, SlackStandIn, BOT_ID, BOT_USER, TEAM_ID, USERS};

/// A person clicks a button: `{channel, ts, user, value? | actionId? | index?}`, or acts on
/// any other element: `{channel, ts, user, actionId, selected: [values]}` (option values, a
/// date `2027-01-15`, a time `09:30`, unix seconds for a datetimepicker, user or channel
/// ids). Answers with what the interactivity endpoint answered Slack (`{status, body}`).
///
/// Test hooks for what an attacker could send: `timestamp` (unix seconds) signs the request as
/// if sent then (a replay of a captured request), `signingSecret` signs with another secret (a
/// forgery), `stale: true` clicks the message as first posted (a client that still shows the
/// buttons after an update, or two people clicking at once), `teamId` clicks as a member of
/// another workspace (a Slack Connect channel shared with another organisation).
pub(super) async fn click(
    State(slack): State<Arc<SlackStandIn>>,
    Json(body): Json<Value>,
) -> Response {
    let field = |name: &str| body[name].as_str().unwrap_or_default().to_string();
    let selected = body["selected"].as_array().map(|s| {
        s.iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect()
    });
    let button = match (body["value"].as_str(), body["actionId"].as_str()) {
        (_, Some(id)) if selected.is_some() => ButtonChoice::Select {
            action_id: id.to_string(),
            selected: selected.unwrap_or_default(),
        },
        (Some(value), _) => ButtonChoice::Value(value.to_string()),
        (None, Some(id)) => ButtonChoice::ActionId(id.to_string()),
        (None, None) => ButtonChoice::Index(body["index"].as_u64().unwrap_or(0) as usize),
    };
    let options = ClickOptions {
        timestamp: body["timestamp"].as_i64(),
        signing_secret: body["signingSecret"].as_str().map(str::to_string),
        stale: body["stale"].as_bool().unwrap_or(false),
        team_id: body["teamId"].as_str().map(str::to_string),
    };
    match slack
        .click_with(
            &field("channel"),
            &field("ts"),
            &field("user"),
            &button,
            &options,
        )
        .await
    {
        Ok((status, body)) => Json(json!({"status": status, "body": body})).into_response(),
        Err((status, message)) => (status, message).into_response(),
    }
}

/// Which button of a message is clicked.
pub enum ButtonChoice {
    Index(usize),
    Value(String),
    ActionId(String),
    /// Any interactive element, by `action_id`, with what is selected.
    Select {
        action_id: String,
        selected: Vec<String>,
    },
}

/// How the request of a click is signed (tests of replays and forgeries).
#[derive(Default)]
pub struct ClickOptions {
    pub timestamp: Option<i64>,
    pub signing_secret: Option<String>,
    pub stale: bool,
    /// The clicker's workspace, when not this one.
    pub team_id: Option<String>,
}

impl SlackStandIn {
    /// Sends the signed `block_actions` request Slack sends when `user_id` clicks `choice` on
    /// the message; returns the interactivity endpoint's status and body.
    pub async fn click(
        &self,
        channel: &str,
        ts: &str,
        user_id: &str,
        choice: &ButtonChoice,
    ) -> Result<(u16, String), (StatusCode, String)> {
        self.click_with(channel, ts, user_id, choice, &ClickOptions::default())
            .await
    }

    pub async fn click_with(
        &self,
        channel: &str,
        ts: &str,
        user_id: &str,
        choice: &ButtonChoice,
        options: &ClickOptions,
    ) -> Result<(u16, String), (StatusCode, String)> {
        let Some((_, username, _)) = USERS.iter().find(|(id, _, _)| *id == user_id) else {
            return Err((
                StatusCode::BAD_REQUEST,
                format!("unknown user {user_id:?}; one of U0ALICE, U0BOB, U0CAROL"),
            ));
        };
        let Some(message) = self
            .data
            .lock()
            .unwrap()
            .messages
            .iter()
            .find(|m| m.channel == channel && m.ts == ts)
            .cloned()
        else {
            return Err((StatusCode::NOT_FOUND, "no such message".into()));
        };
        let shown = if options.stale {
            &message.original_blocks
        } else {
            &message.blocks
        };
        let Some((block_id, button)) = chosen_button(shown, choice) else {
            return Err((
                StatusCode::CONFLICT,
                "the message has no such button (any more)".into(),
            ));
        };
        let clicker = Clicker {
            id: user_id,
            username,
            team: options.team_id.as_deref().unwrap_or(TEAM_ID),
        };
        let mut payload = self.block_actions(&clicker, &message, shown, block_id, &button);
        // The click's trigger opens one modal (views.open) within 3 s.
        self.issue_trigger(payload["trigger_id"].as_str().unwrap_or_default(), user_id);
        if let ButtonChoice::Select { selected, .. } = choice {
            let fields = super::elements::selection(&button, selected)
                .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
            let action = &mut payload["actions"][0];
            action["type"] = button["type"].clone();
            for (k, v) in fields.as_object().into_iter().flatten() {
                action[k] = v.clone();
            }
        }
        self.send_signed(&payload, options).await
    }

    /// The `block_actions` payload of `clicker` clicking `button` on `message`, which shows
    /// `shown`.
    fn block_actions(
        &self,
        clicker: &Clicker,
        message: &Message,
        shown: &[Value],
        block_id: Value,
        button: &Value,
    ) -> Value {
        let (channel, ts) = (message.channel.as_str(), message.ts.as_str());
        let (user_id, username, team) = (clicker.id, clicker.username, clicker.team);
        let action_ts = self.next_ts();
        let mut action = json!({
            "action_id": button["action_id"], "block_id": block_id, "text": button["text"],
            "type": "button", "action_ts": action_ts,
        });
        for key in ["value", "style"] {
            if !button[key].is_null() {
                action[key] = button[key].clone();
            }
        }
        json!({
            "type": "block_actions",
            "user": {"id": user_id, "username": username, "name": username, "team_id": team},
            "api_app_id": "A0HITL",
            "token": "deprecated-verification-token",
            "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": false},
            "trigger_id": format!("{}.local", action_ts.replace('.', "")),
            "team": {"id": team, "domain": "local"},
            "enterprise": null,
            "is_enterprise_install": false,
            "channel": {"id": channel, "name": channel_name(channel).trim_start_matches('#')},
            "message": {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "ts": ts, "text": message.text, "blocks": shown},
            "state": {"values": {}},
            "response_url": "https://hooks.slack.com/actions/T0LOCAL/local/response",
            "actions": [action],
        })
    }

    /// POSTs the payload form-encoded and signed, as Slack does; returns the interactivity
    /// endpoint's status and body.
    pub(super) async fn send_signed(
        &self,
        payload: &Value,
        options: &ClickOptions,
    ) -> Result<(u16, String), (StatusCode, String)> {
        let form: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("payload", &payload.to_string())
            .finish();
        let timestamp = options
            .timestamp
            .unwrap_or_else(|| time::OffsetDateTime::now_utc().unix_timestamp())
            .to_string();
        let secret = options
            .signing_secret
            .as_deref()
            .unwrap_or(&self.signing_secret);
        let signature = hitl_signature(secret, &timestamp, form.as_bytes());
        let answer = self
            .http
            .post(&self.interactivity_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", &timestamp)
            .header("x-slack-signature", signature)
            .header("user-agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
            .body(form)
            .send()
            .await
            .map_err(|e| (StatusCode::BAD_GATEWAY, e.to_string()))?;
        let status = answer.status().as_u16();
        Ok((status, answer.text().await.unwrap_or_default()))
    }
}

/// Who clicks: a user of this workspace, or of `team` (Slack Connect).
struct Clicker<'a> {
    id: &'a str,
    username: &'a str,
    team: &'a str,
}

/// The (block id, button) `choice` picks among the buttons of the blocks shown.
fn chosen_button(shown: &[Value], choice: &ButtonChoice) -> Option<(Value, Value)> {
    let buttons: Vec<(Value, Value)> = shown
        .iter()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| {
            b["elements"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|e| e["type"] == "button")
                .map(|e| (b["block_id"].clone(), e))
                .collect::<Vec<_>>()
        })
        .collect();
    if let ButtonChoice::Select { action_id, .. } = choice {
        return super::elements::elements(shown)
            .into_iter()
            .find(|(_, e)| e["action_id"] == action_id.as_str());
    }
    let chosen = match choice {
        ButtonChoice::Value(value) => buttons.iter().find(|(_, e)| e["value"] == value.as_str()),
        ButtonChoice::ActionId(id) => buttons.iter().find(|(_, e)| e["action_id"] == id.as_str()),
        ButtonChoice::Index(i) => buttons.get(*i),
        ButtonChoice::Select { .. } => None,
    };
    chosen.cloned()
}

/// Slack's v0 signature, computed here on its own (not with the code under test):
/// `v0=` + hex(HMAC-SHA256(signing secret, "v0:{timestamp}:{body}")).
fn hitl_signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}
