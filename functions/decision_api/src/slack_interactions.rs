//! `POST /slack/interactions`: Slack's interactivity requests (button clicks). The signature is
//! checked on the raw body before anything else. The answer goes back within 2.5 s whatever
//! happens (Slack gives 3): recording the click has [`RECORD_BUDGET`]; delivering it, updating
//! the message and telling the clicker share what is left of [`ANSWER_BUDGET`], and whatever
//! is cut short the re-driver finishes (the decision write made the record due).

use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use hitl_aws::lambda_support::{approval_store, interactive_sdk_config, now};
use hitl_aws::{DynamoApprovalStore, StepFunctionsResumer};
use hitl_domain::slack::verify_signature;
use hitl_domain::slack_click::{follow_up, parse_interaction, record_click, ClickOutcome};
use hitl_domain::HitlError;
use hitl_services::slack::SlackWebApi;
use lambda_http::{Body, Error, Request, Response};

/// From the request's arrival to our answer: Slack's limit is 3 s.
pub const ANSWER_BUDGET: Duration = Duration::from_millis(2300);
/// Reading the record and the conditional decision write.
pub const RECORD_BUDGET: Duration = Duration::from_millis(1200);
/// One Slack call (`chat.update`, `chat.postEphemeral`) during a click, retries included.
pub const SLACK_CALL_BUDGET: Duration = Duration::from_millis(700);

/// Interactivity payloads are a few KB (the message's blocks come along); cap what we read.
const MAX_BODY_BYTES: usize = 64 * 1024;

pub struct SlackInteractivity {
    signing_secret: String,
    api: SlackWebApi,
    /// The table and Step Functions with the click's short SDK limits (they share the
    /// link pages' connections).
    store: DynamoApprovalStore,
    resumer: StepFunctionsResumer,
}

impl SlackInteractivity {
    /// `None` when Slack is not set up (no `SLACK_SIGNING_SECRET`): the route then answers 404.
    pub fn from_env(config: &SdkConfig) -> Option<Result<Self, HitlError>> {
        let secret = std::env::var("SLACK_SIGNING_SECRET")
            .ok()
            .filter(|s| !s.trim().is_empty())?;
        let config = interactive_sdk_config(config);
        let built = SlackWebApi::from_env().and_then(|api| {
            Ok(SlackInteractivity {
                api: api.with_budget(SLACK_CALL_BUDGET),
                signing_secret: secret,
                store: approval_store(&config)?,
                resumer: StepFunctionsResumer::from_config(&config),
            })
        });
        Some(built)
    }
}

fn reply(status: u16, text: &str) -> Result<Response<Body>, Error> {
    Ok(Response::builder()
        .status(status)
        .header("content-type", "text/plain; charset=utf-8")
        .header("cache-control", "no-store")
        .body(Body::Text(text.to_string()))?)
}

pub async fn handle(
    slack: Option<&Result<SlackInteractivity, HitlError>>,
    req: &Request,
) -> Result<Response<Body>, Error> {
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
    let body: &[u8] = req.body().as_ref();
    if body.len() > MAX_BODY_BYTES {
        return reply(413, "payload too large");
    }
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let now = now();
    if let Err(refused) = verify_signature(
        &slack.signing_secret,
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
        body,
        now,
    ) {
        tracing::warn!(reason = %refused, "Slack request refused");
        return reply(401, &format!("invalid request: {refused}"));
    }
    let Ok(form) = std::str::from_utf8(body) else {
        return reply(400, "the body is not UTF-8");
    };
    let payload = match parse_interaction(form) {
        Ok(payload) => payload,
        Err(err) => return reply(400, &err.to_string()),
    };
    let step = match tokio::time::timeout(RECORD_BUDGET, record_click(payload, store, now)).await {
        Ok(Ok(step)) => step,
        Ok(Err(err)) => {
            // Not recorded: a non-200 makes Slack show the clicker that it failed.
            tracing::error!(error = err.name(), message = %err, "Slack click not recorded");
            return reply(503, "could not record the decision, please click again");
        }
        Err(_) => {
            // The write may or may not have landed: if it did, the re-driver delivers it and
            // updates the message; if not, the clicker must know to click again. A non-200
            // makes Slack show the clicker that this click failed.
            tracing::warn!("recording the Slack click took too long; not confirmed");
            return reply(
                503,
                "could not confirm your click; if the message still shows its buttons, click again",
            );
        }
    };
    let left = ANSWER_BUDGET.saturating_sub(started.elapsed());
    let outcome =
        tokio::time::timeout(left, follow_up(step, store, resumer, &slack.api, now)).await;
    match outcome {
        Ok(ClickOutcome::Decided {
            approval_id,
            delivered,
        }) => tracing::info!(approval_id, delivered, "Slack decision recorded"),
        Ok(ClickOutcome::Refused { reason }) => tracing::info!(reason, "Slack click refused"),
        Ok(ClickOutcome::Ignored) => {}
        Err(_) => tracing::warn!("Slack click follow-up cut short; the re-driver finishes it"),
    }
    reply(200, "")
}
