//! `POST /slack/interactions`: Slack's interactivity requests (button clicks). The signature is
//! checked on the raw body before anything else; the click is then decided within Slack's
//! 3 seconds (one conditional write, one `SendTaskSuccess`, one `chat.update`).

use hitl_aws::lambda_support::now;
use hitl_domain::ports::{ApprovalStore, WorkflowResumer};
use hitl_domain::slack::{handle_click, parse_interaction, verify_signature, ClickOutcome};
use hitl_domain::HitlError;
use hitl_services::slack::SlackWebApi;
use lambda_http::{Body, Error, Request, Response};

/// Interactivity payloads are a few KB (the message's blocks come along); cap what we read.
const MAX_BODY_BYTES: usize = 64 * 1024;

pub struct SlackInteractivity {
    signing_secret: String,
    api: SlackWebApi,
}

impl SlackInteractivity {
    /// `None` when Slack is not set up (no `SLACK_SIGNING_SECRET`): the route then answers 404.
    pub fn from_env() -> Option<Result<Self, HitlError>> {
        let secret = std::env::var("SLACK_SIGNING_SECRET")
            .ok()
            .filter(|s| !s.trim().is_empty())?;
        Some(SlackWebApi::from_env().map(|api| SlackInteractivity {
            signing_secret: secret,
            api,
        }))
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
    store: &dyn ApprovalStore,
    resumer: &dyn WorkflowResumer,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let slack = match slack {
        None => return reply(404, "Slack interactivity is not configured"),
        Some(Err(err)) => {
            tracing::error!(error = err.name(), message = %err, "Slack misconfigured");
            return reply(503, "Slack interactivity is misconfigured");
        }
        Some(Ok(slack)) => slack,
    };
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
    match handle_click(payload, store, resumer, &slack.api, now).await {
        Ok(ClickOutcome::Decided {
            approval_id,
            delivered,
        }) => {
            tracing::info!(approval_id, delivered, "Slack decision recorded");
            reply(200, "")
        }
        Ok(ClickOutcome::Refused { reason }) => {
            tracing::info!(reason, "Slack click refused");
            reply(200, "")
        }
        Ok(ClickOutcome::Ignored) => reply(200, ""),
        Err(err) => {
            // Not recorded: a non-200 makes Slack show the clicker that it failed.
            tracing::error!(error = err.name(), message = %err, "Slack click failed");
            reply(503, "could not record the decision, please click again")
        }
    }
}
