//! Teams stand-in (being written).

use std::sync::Arc;

#[derive(Default)]
pub struct TeamsStandIn {}

impl TeamsStandIn {
    pub fn router(self: Arc<Self>) -> axum::Router {
        axum::Router::new()
    }
}
