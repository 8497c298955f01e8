//! The Decision API's routes, as the template declares them (`HttpApi` events): a router, so a
//! path or method outside them is a 404 or 405 before any of our code runs.

use aws_adapters::timeouts::SLACK_CLICK_BUILD_AGAIN;
use std::sync::Arc;

use approvals::use_cases::LinkView;
use approvals::HitlError;
use axum::extract::{Path, Request as AxumRequest, State};
use axum::response::{IntoResponse, Response as AxumResponse};
use axum::routing::{get, post};
use axum::Router;
use channels::pages::{render, Page};
use lambda_http::{Body, Error, Request, Response};
use lambda_kit::{correlation, ColdStart};

use crate::{links, slack_interactions, Deps};

/// What every handler gets: the clients built at cold start, or built again by a request that
/// finds them missing after a transient failure.
pub type Shared = Arc<ColdStart<Deps>>;

pub fn router(deps: Shared) -> Router {
    Router::new()
        // `get` answers HEAD too (a link preview's probe), without a body.
        .route("/decisions/{approval_id}", get(show_link).post(decide))
        .route("/slack/interactions", post(slack_click))
        .fallback(|| async { answer(links::respond(render(&LinkView::NotFound), None)) })
        .with_state(deps)
}

async fn show_link(
    State(deps): State<Shared>,
    Path(approval_id): Path<String>,
    req: AxumRequest,
) -> AxumResponse {
    correlation::scope(async {
        record_url_approval_id(&approval_id);
        match deps.get().await {
            Ok(deps) => answer(links::show(deps, &approval_id, &as_lambda(req).await).await),
            Err(err) => unavailable(&err),
        }
    })
    .await
}

async fn decide(
    State(deps): State<Shared>,
    Path(approval_id): Path<String>,
    req: AxumRequest,
) -> AxumResponse {
    correlation::scope(async {
        record_url_approval_id(&approval_id);
        match deps.get().await {
            Ok(deps) => answer(links::decide(deps, &approval_id, &as_lambda(req).await).await),
            Err(err) => unavailable(&err),
        }
    })
    .await
}

/// The URL's approval id names the request's log lines before its link is verified, so it is
/// recorded only when it could be one of ours (at most 64 of our characters): a caller-chosen
/// string stays out of every line of the request.
fn record_url_approval_id(approval_id: &str) {
    if correlation::plausible_approval_id(approval_id) {
        correlation::approval_id(approval_id);
    }
}

async fn slack_click(State(deps): State<Shared>, req: AxumRequest) -> AxumResponse {
    // The click's approval id is known once its payload is read (slack_interactions).
    correlation::scope(async {
        match deps.get_within(SLACK_CLICK_BUILD_AGAIN).await {
            Ok(deps) => {
                let req = as_lambda(req).await;
                answer(slack_interactions::handle(deps.slack.as_ref(), &req).await)
            }
            Err(err) => unavailable(&err),
        }
    })
    .await
}

/// The page of a request whose clients could not be built: nothing was read or recorded, so
/// the person's next click is taken afresh (ColdStart logs why; the page does not show it).
fn unavailable(err: &HitlError) -> AxumResponse {
    let view = LinkView::Unavailable {
        reason: err.to_string(),
    };
    answer(links::respond(render(&view), None))
}

/// The request as `lambda_http` gave it (API Gateway's context and all): API Gateway hands the
/// whole body over at once, so collecting it waits for nothing.
async fn as_lambda(req: AxumRequest) -> Request {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    Request::from_parts(parts, Body::Binary(bytes.to_vec()))
}

fn answer(response: Result<Response<Body>, Error>) -> AxumResponse {
    match response {
        Ok(response) => response.into_response(),
        Err(err) => {
            // Only a malformed header value gets here; never a 500 without a page.
            tracing::error!(error = %err, "response could not be built");
            let page = Page {
                status: 500,
                html: "Internal error".into(),
            };
            (axum::http::StatusCode::INTERNAL_SERVER_ERROR, page.html).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body as AxumBody;
    use axum::http::{Method, Request as HttpRequest};
    use tower::ServiceExt;

    /// Status and `allow` header of `method path` on a deployment whose clients could not be
    /// built (so no AWS is needed, and a routed request shows the "unavailable" page).
    async fn status(method: Method, path: &str) -> (u16, Option<String>) {
        let response = request(
            failing(HitlError::Config("no AWS here".into())),
            method,
            path,
        )
        .await;
        let allow = response
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_string());
        (response.status().as_u16(), allow)
    }

    /// Clients whose every build fails with `err`.
    fn failing(err: HitlError) -> Shared {
        Arc::new(ColdStart::new(err, |err| async move { Err(err) }))
    }

    async fn request(deps: Shared, method: Method, path: &str) -> AxumResponse {
        let req = HttpRequest::builder()
            .method(method)
            .uri(path)
            .body(AxumBody::empty())
            .unwrap();
        router(deps).oneshot(req).await.unwrap()
    }

    async fn page_text(response: AxumResponse) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    /// A slow Secrets Manager during a burst of cold starts: the person is told their click was
    /// not taken (true: nothing was read or written), not shown an internal error.
    #[tokio::test]
    async fn a_click_on_a_process_still_starting_says_it_was_not_taken() {
        let slow = HitlError::transient("Secrets Manager", "ThrottlingException: Rate exceeded");
        let response = request(failing(slow), Method::GET, "/decisions/a-1").await;
        assert_eq!(response.status().as_u16(), 503);
        let page = page_text(response).await;
        assert!(page.contains("did not take your click"), "{page}");
        assert!(page.contains("nothing was recorded"), "{page}");
        assert!(
            !page.contains("Throttling"),
            "no internals on the page: {page}"
        );
    }

    #[tokio::test]
    async fn only_the_templates_routes_reach_our_code() {
        let unavailable = 503;
        assert_eq!(status(Method::GET, "/decisions/a-1").await.0, unavailable);
        assert_eq!(status(Method::HEAD, "/decisions/a-1").await.0, unavailable);
        assert_eq!(status(Method::POST, "/decisions/a-1").await.0, unavailable);
        assert_eq!(
            status(Method::POST, "/slack/interactions").await.0,
            unavailable
        );
        for (method, path) in [
            (Method::PUT, "/decisions/a-1"),
            (Method::DELETE, "/decisions/a-1"),
            (Method::GET, "/slack/interactions"),
        ] {
            let (code, allow) = status(method.clone(), path).await;
            assert_eq!(code, 405, "{method} {path}");
            assert!(allow.is_some(), "{method} {path} says what is allowed");
        }
        for path in [
            "/",
            "/decisions",
            "/decisions/a-1/extra",
            "/x/slack/interactions",
        ] {
            assert_eq!(status(Method::GET, path).await.0, 404, "{path}");
        }
    }
}
