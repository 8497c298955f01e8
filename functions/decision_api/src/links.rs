//! The link routes: GET (and HEAD) shows the confirmation page and never decides; the POST
//! from that page records the decision (first wins) and resumes the waiting execution.

use std::convert::Infallible;
use std::future::Future;

use approvals::ports::{Approvals, WorkflowResumer};
use approvals::use_cases::{decide as decide_link, view_link, ClientInfo, LinkView};
use approvals::LinkSigner;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use channels::pages::{bad_request, render, Page, PAGE_HEADERS};
use lambda_http::request::RequestContext;
use lambda_kit::now;

use crate::Deps;

#[cfg(test)]
#[path = "tests/properties.rs"]
mod properties;

#[cfg(test)]
#[path = "tests/link_forms.rs"]
mod link_forms;

/// The largest form the confirmation page can send (every field at the longest the page
/// allows, in any script); anything larger is not ours.
const MAX_BODY_BYTES: usize = approvals::use_cases::MAX_FORM_BYTES;

/// A page with the headers every page carries. (A header that could not be set would be a
/// 500 from axum; they are constants, and the route tests read them.)
pub fn respond(page: Page) -> Response {
    let status = StatusCode::from_u16(page.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, PAGE_HEADERS, page.html).into_response()
}

/// Who sent a link POST, for the audit trail: the source IP API Gateway saw (its request
/// context, which `lambda_http` keeps in the request's extensions) and the user agent.
pub struct Caller(pub ClientInfo);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        let context = parts.extensions.get::<RequestContext>();
        Ok(Caller(client_info(&parts.headers, context)))
    }
}

fn client_info(headers: &HeaderMap, context: Option<&RequestContext>) -> ClientInfo {
    let source_ip = match context {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        _ => None,
    };
    let user_agent = headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    ClientInfo {
        source_ip,
        user_agent,
    }
}

/// The form of a link POST, or the page that says why it cannot be read: 413 for a body
/// larger than any form of ours, 400 for one that is not UTF-8 text. Nothing is decided.
fn body_text(bytes: &[u8]) -> Result<&str, Page> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(bad_request(
            413,
            "The form is too large",
            "This request is larger than the confirmation form sends.",
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

/// GET or HEAD on a link (`query` is the signed link's): the confirmation page (or why there
/// is none).
pub async fn show(deps: &Deps, approval_id: &str, method: &Method, query: &str) -> Response {
    let signer = deps.signer.current().await;
    let view = view_link(approval_id, query, &signer, &deps.store, now()).await;
    finish(approval_id, method, view)
}

/// POST from the confirmation page: records the decision and resumes the execution.
pub async fn decide(deps: &Deps, approval_id: &str, client: ClientInfo, body: &[u8]) -> Response {
    let signer = deps.signer.current();
    post_form(
        approval_id,
        body,
        client,
        signer,
        &deps.store,
        &deps.resumer,
    )
    .await
}

/// The POST's glue, whatever the ports: the body's limit, the use case, the page. The key ring
/// is awaited only for a body that can be a form of ours.
async fn post_form(
    approval_id: &str,
    body: &[u8],
    client: ClientInfo,
    signer: impl Future<Output = LinkSigner>,
    store: &dyn Approvals,
    resumer: &dyn WorkflowResumer,
) -> Response {
    let body = match body_text(body) {
        Err(page) => return respond(page),
        Ok(body) => body,
    };
    let signer = signer.await;
    let view = decide_link(approval_id, body, client, &signer, store, resumer, now()).await;
    if is_expired_link_post(&view) {
        lambda_kit::metrics::late_click(approval_id, None);
    }
    finish(approval_id, &Method::POST, view)
}

/// A POST too late that nothing kept: the link's signed expiry had passed, so it was answered
/// without a read (or a write that would count it, as a kept late decision is). Counted here,
/// once its signature checked out, so `LateClicks` sees late email and Teams link clicks too.
fn is_expired_link_post(view: &LinkView) -> bool {
    matches!(view, LinkView::TooLate { kept: false, .. })
}

fn finish(approval_id: &str, method: &Method, view: LinkView) -> Response {
    // Log the outcome by kind only: links and their signatures stay out of the logs. The id
    // is the URL's, unverified when the link is not valid: logged only when it could be one of
    // ours (bounded, our characters).
    let outcome = view.kind();
    let approval_id =
        Some(approval_id).filter(|id| lambda_kit::correlation::plausible_approval_id(id));
    if let LinkView::Unavailable { reason } = &view {
        tracing::error!(approval_id, reason = %reason, "dependency failed");
    }
    tracing::info!(approval_id, method = %method, outcome, status = view.status(), "link request");
    respond(render(&view))
}

#[cfg(test)]
mod late_clicks {
    use super::*;

    /// An expired link's POST is counted here; a late decision the store kept is counted by
    /// the store (once), and nothing else is late.
    #[test]
    fn only_a_late_post_that_nothing_kept_is_counted_here() {
        let too_late = |kept| LinkView::TooLate {
            title: None,
            stopped_at: Some(1),
            kept,
        };
        assert!(is_expired_link_post(&too_late(false)));
        assert!(!is_expired_link_post(&too_late(true)));
        assert!(!is_expired_link_post(&LinkView::NotFound));
    }
}
