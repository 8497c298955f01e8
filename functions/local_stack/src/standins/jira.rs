//! Jira stand-in (being written).

use std::sync::Arc;

#[derive(Default)]
pub struct JiraStandIn {}

impl JiraStandIn {
    pub fn router(self: Arc<Self>) -> axum::Router {
        axum::Router::new()
    }
}
