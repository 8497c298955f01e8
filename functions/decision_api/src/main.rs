//! Decision API (HttpApi): GET on a link shows a confirmation page and never decides; the POST
//! from that page records the decision (first wins) and resumes the waiting execution.

use hitl_aws::lambda_support::{approval_store, aws_config, init_tracing, now};
use hitl_aws::secrets::{RefreshingSigner, SecretReader, KEY_RING_MAX_AGE};
use hitl_aws::{DynamoApprovalStore, StepFunctionsResumer};
use hitl_domain::pages::{bad_request, render, Page, PAGE_HEADERS};
use hitl_domain::service::{decide, view_link, ClientInfo, LinkView};
use hitl_domain::HitlError;
use lambda_http::request::RequestContext;
use lambda_http::{service_fn, Body, Error, Request, RequestExt, Response};

/// Form bodies are a few hundred bytes; anything far larger is not ours.
const MAX_BODY_BYTES: usize = 16 * 1024;

#[cfg(test)]
#[path = "tests/properties.rs"]
mod properties;
mod slack_interactions;

use slack_interactions::SlackInteractivity;

struct Deps {
    /// The key ring, re-read every few minutes so a rotation reaches warm instances.
    signer: RefreshingSigner,
    store: DynamoApprovalStore,
    resumer: StepFunctionsResumer,
    /// Set when the deployment has Slack (a signing secret).
    slack: Option<Result<SlackInteractivity, HitlError>>,
}

impl Deps {
    async fn load(config: &aws_config::SdkConfig) -> Result<Self, HitlError> {
        let secrets = SecretReader::new(config);
        Ok(Deps {
            signer: RefreshingSigner::load(secrets.clone(), KEY_RING_MAX_AGE).await?,
            store: approval_store(config)?,
            resumer: StepFunctionsResumer::from_config(config),
            slack: SlackInteractivity::load(config, &secrets).await,
        })
    }
}

fn respond(page: Page, allow: Option<&str>) -> Result<Response<Body>, Error> {
    let mut response = Response::builder().status(page.status);
    for (name, value) in PAGE_HEADERS {
        response = response.header(name, value);
    }
    if let Some(allow) = allow {
        response = response.header("allow", allow);
    }
    Ok(response.body(Body::Text(page.html))?)
}

fn client_info(req: &Request) -> ClientInfo {
    let source_ip = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        _ => None,
    };
    let user_agent = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    ClientInfo {
        source_ip,
        user_agent,
    }
}

/// The form of a link POST, or the page that says why it cannot be read: 413 for a body far
/// larger than any form of ours, 400 for one that is not UTF-8 text. Nothing is decided.
fn body_text(req: &Request) -> Result<&str, Page> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(bad_request(
            413,
            "The form is too large",
            "This request is far larger than the confirmation form sends.",
        ));
    }
    std::str::from_utf8(bytes).map_err(|_| {
        bad_request(
            400,
            "The form could not be read",
            "The form is not UTF-8 text.",
        )
    })
}

async fn handle(deps: &Result<Deps, HitlError>, req: Request) -> Result<Response<Body>, Error> {
    let deps = match deps {
        Ok(deps) => deps,
        Err(err) => {
            tracing::error!(error = err.name(), message = %err, "misconfigured");
            return respond(
                render(&LinkView::Unavailable {
                    reason: err.to_string(),
                }),
                None,
            );
        }
    };
    if req.uri().path().ends_with("/slack/interactions") {
        return match req.method().as_str() {
            "POST" => slack_interactions::handle(deps.slack.as_ref(), &req).await,
            _ => Ok(Response::builder()
                .status(405)
                .header("allow", "POST")
                .body(Body::Empty)?),
        };
    }
    let path_params = req.path_parameters();
    let Some(approval_id) = path_params.first("approvalId") else {
        return respond(render(&LinkView::NotFound), None);
    };
    let now = now();
    let signer = deps.signer.current().await;
    let view = match req.method().as_str() {
        "GET" | "HEAD" => {
            view_link(
                approval_id,
                req.uri().query().unwrap_or(""),
                &signer,
                &deps.store,
                now,
            )
            .await
        }
        "POST" => match body_text(&req) {
            Err(page) => return respond(page, None),
            Ok(body) => {
                decide(
                    approval_id,
                    body,
                    client_info(&req),
                    &signer,
                    &deps.store,
                    &deps.resumer,
                    now,
                )
                .await
            }
        },
        _ => {
            let page = Page {
                status: 405,
                html: "Method Not Allowed".into(),
            };
            return respond(page, Some("GET, POST"));
        }
    };
    // Log the outcome by kind only: links and their signatures stay out of the logs.
    let outcome = view.kind();
    if let LinkView::Unavailable { reason } = &view {
        tracing::error!(approval_id, reason = %reason, "dependency failed");
    }
    tracing::info!(approval_id, method = %req.method(), outcome, status = view.status(), "link request");
    respond(render(&view), None)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let deps = Deps::load(&aws_config().await).await;
    let deps = &deps;
    lambda_http::run(service_fn(move |req: Request| async move {
        handle(deps, req).await
    }))
    .await
}
