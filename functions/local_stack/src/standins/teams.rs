//! Teams stand-in (being written).

use std::sync::Arc;

#[derive(Default)]
pub struct TeamsStandIn {}

impl TeamsStandIn {
    pub fn new(_client_id: &str, _client_secret: &str) -> Arc<Self> {
        Arc::new(TeamsStandIn {})
    }

    pub fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({"messages": []})
    }

    pub fn router(self: Arc<Self>) -> axum::Router {
        axum::Router::new()
    }
}
