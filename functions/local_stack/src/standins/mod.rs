//! Stand-ins for the services that have no local server: Slack's Web API, Teams (a Workflows
//! webhook and Microsoft Graph) and Jira Cloud's REST API. They follow the public contracts
//! (request shapes, auth, errors such as 429 with Retry-After) so the real adapters run against
//! them unchanged; all of them live here, in one place.
//!
//! Mounted on the API listener under `/_standins/{slack,teams,jira}`; the local stack points
//! the functions' base URLs there.

use std::sync::Arc;

pub mod jira;
pub mod slack;
pub mod teams;

#[derive(Clone)]
pub struct StandIns {
    pub slack: Arc<slack::SlackStandIn>,
    pub teams: Arc<teams::TeamsStandIn>,
    pub jira: Arc<jira::JiraStandIn>,
}

impl StandIns {
    pub fn router(&self) -> axum::Router {
        axum::Router::new()
            .nest("/slack", self.slack.clone().router())
            .nest("/teams", self.teams.clone().router())
            .nest("/jira", self.jira.clone().router())
    }
}
