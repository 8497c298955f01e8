//! Slack stand-in (being written).

use std::sync::Arc;

#[derive(Default)]
pub struct SlackStandIn {}

impl SlackStandIn {
    pub fn router(self: Arc<Self>) -> axum::Router {
        axum::Router::new()
    }
}
