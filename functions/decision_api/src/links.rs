//! The link routes: GET (and HEAD) shows the confirmation page and never decides; the POST
//! from that page records the decision (first wins) and resumes the waiting execution.

use approvals::use_cases::{decide as decide_link, view_link, ClientInfo, LinkView};
use channels::pages::{bad_request, render, Page, PAGE_HEADERS};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Error, Request, RequestExt, Response};
use lambda_kit::now;

use crate::Deps;

#[cfg(test)]
#[path = "tests/properties.rs"]
mod properties;

/// Form bodies are a few hundred bytes; anything far larger is not ours.
const MAX_BODY_BYTES: usize = 16 * 1024;

pub fn respond(page: Page, allow: Option<&str>) -> Result<Response<Body>, Error> {
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

/// GET or HEAD on a link: the confirmation page (or why there is none).
pub async fn show(deps: &Deps, approval_id: &str, req: &Request) -> Result<Response<Body>, Error> {
    let signer = deps.signer.current().await;
    let query = req.uri().query().unwrap_or("");
    let view = view_link(approval_id, query, &signer, &deps.store, now()).await;
    finish(approval_id, req, view)
}

/// POST from the confirmation page: records the decision and resumes the execution.
pub async fn decide(
    deps: &Deps,
    approval_id: &str,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let body = match body_text(req) {
        Err(page) => return respond(page, None),
        Ok(body) => body,
    };
    let signer = deps.signer.current().await;
    let info = client_info(req);
    let view = decide_link(
        approval_id,
        body,
        info,
        &signer,
        &deps.store,
        &deps.resumer,
        now(),
    )
    .await;
    finish(approval_id, req, view)
}

fn finish(approval_id: &str, req: &Request, view: LinkView) -> Result<Response<Body>, Error> {
    // Log the outcome by kind only: links and their signatures stay out of the logs.
    let outcome = view.kind();
    if let LinkView::Unavailable { reason } = &view {
        tracing::error!(approval_id, reason = %reason, "dependency failed");
    }
    tracing::info!(approval_id, method = %req.method(), outcome, status = view.status(), "link request");
    respond(render(&view), None)
}
