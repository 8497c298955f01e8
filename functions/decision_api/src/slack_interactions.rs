//! `POST /slack/interactions`: Slack's interactivity requests (button clicks). The signature is
//! checked on the raw body before anything else. The answer goes back within 2.5 s whatever
//! happens (Slack gives 3): recording the click has [`RECORD_BUDGET`]; delivering it, updating
//! the message and telling the clicker share what is left of [`ANSWER_BUDGET`], and whatever
//! is cut short the relay finishes (the decision write made the record due). A click whose
//! choice asks a follow-up question opens a modal (`views.open`, within the same budget) and
//! decides nothing; its `view_submission` decides, or answers `response_action: errors`.

use std::time::{Duration, Instant};

use approvals::use_cases::slack_click::{follow_up, record_click, Chat, ClickOutcome, ClickStep};
use approvals::HitlError;
use aws_adapters::sdk_config::{approval_store, interactive_sdk_config};
use aws_adapters::secrets::{SecretReader, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET};
use aws_adapters::{DynamoApprovalStore, StepFunctionsResumer};
use aws_config::SdkConfig;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use channels::slack::{verify_signature, BlockKit};
use channels::slack_click::{answer_errors, interaction, parse_interaction};
use lambda_kit::Settings;
use lambda_kit::{correlation, now};
use saas_adapters::slack::SlackWebApi;
use secrecy::{ExposeSecret, SecretString};

/// From the request's arrival to our answer: Slack's limit is 3 s.
pub const ANSWER_BUDGET: Duration = Duration::from_millis(2300);
/// Reading the record and the conditional decision write.
pub const RECORD_BUDGET: Duration = Duration::from_millis(1200);
/// One Slack call (`chat.update`, `chat.postEphemeral`) during a click, retries included.
pub const SLACK_CALL_BUDGET: Duration = Duration::from_millis(700);

/// The largest interactivity request we read. A click carries the whole message: up to 50
/// blocks of up to 3000 characters each (more with section fields), plus the state of its
/// inputs, JSON-escaped and then form-encoded (up to 3 bytes per ASCII symbol, 9 to 12 per
/// non-ASCII character). Real clicks on large messages run to a few hundred KB; 1 MiB leaves
/// room for them and still refuses bodies no Slack click sends (Lambda's own limit is 6 MB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub struct SlackInteractivity {
    signing_secret: SecretString,
    /// `SLACK_TEAM_ID`: when set, clicks from any other workspace are refused.
    team_id: Option<String>,
    api: SlackWebApi,
    /// The table and Step Functions with the click's short SDK limits (they share the
    /// link pages' connections).
    store: DynamoApprovalStore,
    resumer: StepFunctionsResumer,
}

impl SlackInteractivity {
    /// `None` when Slack is not set up (no signing secret named by
    /// `SLACK_SIGNING_SECRET_SECRET_ID`): the route then answers 404.
    pub async fn load(
        config: &SdkConfig,
        settings: &Settings,
        secrets: &SecretReader,
    ) -> Option<Result<Self, HitlError>> {
        let signing_secret = match secrets.optional_text(SLACK_SIGNING_SECRET).await {
            Ok(None) => return None,
            Ok(Some(secret)) => secret,
            Err(e) => return Some(Err(e)),
        };
        let config = interactive_sdk_config(config);
        let built = async {
            let token = secrets.required_text(SLACK_BOT_TOKEN).await?;
            Ok(SlackInteractivity {
                api: SlackWebApi::from_token(settings.slack_api_url(), &token)
                    .with_budget(SLACK_CALL_BUDGET),
                signing_secret,
                team_id: settings.slack_team_id().map(str::to_string),
                store: approval_store(&config, settings)?,
                resumer: StepFunctionsResumer::from_config(&config),
            })
        };
        Some(built.await)
    }
}

/// The form body of a request Slack signed, or the answer that refuses it: 413 for a body no
/// Slack click sends, 401 for a missing, stale or wrong signature, 400 for a body that is not
/// UTF-8. Nothing is read or written before this passes.
pub fn signed_form<'a>(
    signing_secret: &str,
    headers: &HeaderMap,
    body: &'a [u8],
    now: i64,
) -> Result<&'a str, (u16, String)> {
    if body.len() > MAX_BODY_BYTES {
        return Err((413, "payload too large".into()));
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Err(refused) = verify_signature(
        signing_secret,
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
        body,
        now,
    ) {
        tracing::warn!(reason = %refused, "Slack request refused");
        return Err((401, format!("invalid request: {refused}")));
    }
    std::str::from_utf8(body).map_err(|_| (400, "the body is not UTF-8".into()))
}

/// A JSON answer to Slack (a modal's `response_action`).
fn reply_json(body: &serde_json::Value) -> Response {
    let headers = [
        ("content-type", "application/json; charset=utf-8"),
        ("cache-control", "no-store"),
    ];
    (StatusCode::OK, headers, body.to_string()).into_response()
}

fn reply(status: u16, text: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = [
        ("content-type", "text/plain; charset=utf-8"),
        ("cache-control", "no-store"),
    ];
    (status, headers, text.to_string()).into_response()
}

/// One interactivity request: its headers (the signature and its timestamp) and its body, as
/// Slack sent the bytes.
pub async fn handle(
    slack: Option<&Result<SlackInteractivity, HitlError>>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let started = Instant::now();
    let slack = match slack {
        None => return reply(404, "Slack interactivity is not configured"),
        Some(Err(err)) => {
            tracing::error!(error = err.name(), message = %err, "Slack misconfigured");
            return reply(503, "Slack interactivity is misconfigured");
        }
        Some(Ok(slack)) => slack,
    };
    let (store, resumer) = (&slack.store, &slack.resumer);
    let now = now();
    let form = match signed_form(slack.signing_secret.expose_secret(), headers, body, now) {
        Ok(form) => form,
        Err((status, text)) => return reply(status, &text),
    };
    let payload = match parse_interaction(form) {
        Ok(payload) => payload,
        Err(err) => return reply(400, &err.to_string()),
    };
    let recording = record_click(
        interaction(payload, now),
        slack.team_id.as_deref(),
        store,
        now,
    );
    let step = match tokio::time::timeout(RECORD_BUDGET, recording).await {
        Ok(Ok(step)) => step,
        Ok(Err(err)) => {
            // Not recorded: a non-200 makes Slack show the clicker that it failed.
            tracing::error!(error = err.name(), message = %err, "Slack click not recorded");
            return reply(503, "could not record the decision, please click again");
        }
        Err(_) => {
            // The write may or may not have landed: if it did, the relay delivers it and
            // updates the message; if not, the clicker must know to click again. A non-200
            // makes Slack show the clicker that this click failed.
            tracing::warn!("recording the Slack click took too long; not confirmed");
            return reply(
                503,
                "could not confirm your click; if the message still shows its buttons, click again",
            );
        }
    };
    correlate(&step);
    if let ClickStep::AnswerRefused { click, reason } = &step {
        // Shown under the modal's field, which stays open; nothing was recorded.
        // Not the reason: it quotes what the person typed, which may be personal.
        tracing::info!(approval_id = %click.approval_id, "follow-up answer refused");
        return reply_json(&answer_errors(reason));
    }
    let left = ANSWER_BUDGET.saturating_sub(started.elapsed());
    let chat = Chat {
        slack: &slack.api,
        format: &BlockKit,
    };
    let outcome = tokio::time::timeout(left, follow_up(step, store, resumer, chat, now)).await;
    log_outcome(outcome);
    reply(200, "")
}

/// The rest of the click's log lines name its approval and the execution that asked.
fn correlate(step: &ClickStep) {
    let (click, record) = match step {
        ClickStep::Ignored => return,
        ClickStep::Refused { click, .. } | ClickStep::AnswerRefused { click, .. } => (click, None),
        ClickStep::Recorded { click, record }
        | ClickStep::Counted { click, record }
        | ClickStep::AlreadyDecided { click, record }
        | ClickStep::TooLate { click, record }
        | ClickStep::Ask { click, record } => (click, Some(record)),
    };
    correlation::approval_id(&click.approval_id);
    if let Some(record) = record {
        correlation::record_read(&record.approval_id, record.execution_arn.as_deref());
    }
}

/// What became of a recorded click, for the logs (Slack has its answer already).
fn log_outcome(outcome: Result<ClickOutcome, tokio::time::error::Elapsed>) {
    match outcome {
        Ok(ClickOutcome::Decided {
            approval_id,
            delivered,
        }) => tracing::info!(approval_id, delivered, "Slack decision recorded"),
        Ok(ClickOutcome::Refused { error, reason }) => {
            tracing::info!(error, reason, "Slack click refused")
        }
        Ok(ClickOutcome::Asked { approval_id }) => {
            tracing::info!(approval_id, "follow-up question opened")
        }
        Ok(ClickOutcome::Counted { approval_id }) => {
            tracing::info!(approval_id, "Slack vote counted")
        }
        Ok(ClickOutcome::Ignored) => {}
        Err(_) => tracing::warn!("Slack click follow-up cut short; the relay finishes it"),
    }
}
