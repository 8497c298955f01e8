//! The Decision API's routes, as the template declares them (`HttpApi` events): a router, so a
//! path or method outside them is a 404 or 405 before any of our code runs. Each handler takes
//! what it reads through axum's extractors: the path's approval id, the query (the signed
//! link), the body as bytes (a form, or Slack's signed payload, whose signature covers the
//! exact bytes), the headers and who sent it ([`links::Caller`]).

use aws_adapters::timeouts::SLACK_CLICK_BUILD_AGAIN;
use std::sync::Arc;

use approvals::use_cases::LinkView;
use approvals::HitlError;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use channels::pages::render;
use lambda_kit::{correlation, ColdStart};

use crate::links::{self, Caller};
use crate::{slack_interactions, teams_messages, Deps};

/// What every handler gets: the clients built at cold start, or built again by a request that
/// finds them missing after a transient failure.
pub type Shared = Arc<ColdStart<Deps>>;

pub fn router(deps: Shared) -> Router {
    Router::new()
        // `get` answers HEAD too (a link preview's probe), without a body.
        .route("/decisions/{approval_id}", get(show_link).post(decide))
        .route("/slack/interactions", post(slack_click))
        .route("/teams/messages", post(teams_message))
        .fallback(|| async { not_found() })
        // API Gateway hands the whole body over at once, within Lambda's payload limit; each
        // route refuses a body larger than it takes with its own answer (a page, Slack's 413)
        // rather than axum's default cut at 2 MB.
        .layer(DefaultBodyLimit::disable())
        .with_state(deps)
}

async fn show_link(
    State(deps): State<Shared>,
    Path(approval_id): Path<String>,
    method: Method,
    RawQuery(query): RawQuery,
) -> Response {
    correlation::scope(async {
        record_url_approval_id(&approval_id);
        match deps.get().await {
            Ok(deps) => {
                let query = query.as_deref().unwrap_or("");
                links::show(deps, &approval_id, &method, query).await
            }
            Err(err) => unavailable(&err),
        }
    })
    .await
}

async fn decide(
    State(deps): State<Shared>,
    Path(approval_id): Path<String>,
    Caller(client): Caller,
    body: Bytes,
) -> Response {
    correlation::scope(async {
        record_url_approval_id(&approval_id);
        match deps.get().await {
            Ok(deps) => links::decide(deps, &approval_id, client, &body).await,
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

async fn slack_click(State(deps): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    // The click's approval id is known once its payload is read (slack_interactions).
    correlation::scope(async {
        match deps.get_within(SLACK_CLICK_BUILD_AGAIN).await {
            Ok(deps) => slack_interactions::handle(deps.slack.as_ref(), &headers, &body).await,
            Err(err) => unavailable(&err),
        }
    })
    .await
}

/// A request to the Teams bot's messaging endpoint (a card click, the bot added somewhere).
/// Its token is verified before anything else (teams_messages); the approval id is known once
/// its action is read.
async fn teams_message(State(deps): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    correlation::scope(async {
        match deps.get_within(SLACK_CLICK_BUILD_AGAIN).await {
            Ok(deps) => {
                let teams = deps.teams.as_ref();
                teams_messages::handle(teams, &headers, &body, not_found).await
            }
            Err(err) => {
                tracing::warn!(
                    error = err.name(),
                    "Teams bot request before the clients were built"
                );
                (axum::http::StatusCode::SERVICE_UNAVAILABLE, ()).into_response()
            }
        }
    })
    .await
}

/// What an unknown path gets, and the bot's endpoint on a deployment without the bot.
fn not_found() -> Response {
    links::respond(render(&LinkView::NotFound))
}

/// The page of a request whose clients could not be built: nothing was read or recorded, so
/// the person's next click is taken afresh (ColdStart logs why; the page does not show it).
fn unavailable(err: &HitlError) -> Response {
    let view = LinkView::Unavailable {
        reason: err.to_string(),
    };
    links::respond(render(&view))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body as AxumBody;
    use axum::http::Request as HttpRequest;
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

    async fn request(deps: Shared, method: Method, path: &str) -> Response {
        let req = HttpRequest::builder()
            .method(method)
            .uri(path)
            .body(AxumBody::empty())
            .unwrap();
        router(deps).oneshot(req).await.unwrap()
    }

    async fn page_text(response: Response) -> String {
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

    /// Pages carry their headers, and a body larger than axum's default limit reaches the
    /// route, which answers with its own page (here: the clients are not built, so 503).
    #[tokio::test]
    async fn a_large_body_reaches_the_route_and_pages_carry_their_headers() {
        let unbuilt = failing(HitlError::Config("no AWS here".into()));
        let req = HttpRequest::builder()
            .method(Method::POST)
            .uri("/decisions/a-1")
            .body(AxumBody::from(vec![b'a'; 3 * 1024 * 1024]))
            .unwrap();
        let response = router(unbuilt).oneshot(req).await.unwrap();
        assert_eq!(response.status().as_u16(), 503);
        for (name, value) in channels::pages::PAGE_HEADERS {
            assert_eq!(response.headers()[name], value, "{name}");
        }
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
        assert_eq!(status(Method::POST, "/teams/messages").await.0, unavailable);
        for (method, path) in [
            (Method::PUT, "/decisions/a-1"),
            (Method::DELETE, "/decisions/a-1"),
            (Method::GET, "/slack/interactions"),
            (Method::GET, "/teams/messages"),
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
            "/teams/messages/x",
        ] {
            assert_eq!(status(Method::GET, path).await.0, 404, "{path}");
        }
    }
}
