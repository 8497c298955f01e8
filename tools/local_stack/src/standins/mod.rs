//! Stand-ins for the services that have no local server: Slack's Web API, Teams (a Workflows
//! webhook and Microsoft Graph), Jira Cloud's REST API and Outlook (Graph `sendMail`). They follow the public contracts
//! (request shapes, auth, errors such as 429 with Retry-After) so the real adapters run against
//! them unchanged; all of them live here, in one place.
//!
//! Mounted on the API listener under `/_standins/{slack,teams,jira,outlook}`; the local stack
//! points the functions' base URLs there. Faults (errors, throttling, latency) can be injected
//! in front of Slack, Teams and Jira ([`StandIns::router_with_faults`]).

use std::sync::Arc;

use crate::edge::faults::{Faults, Service};
use crate::edge::shapes::standin_faults;

pub mod identity;
pub mod jira;
pub mod outlook;
pub mod slack;
pub mod teams;

#[derive(Clone)]
pub struct StandIns {
    pub slack: Arc<slack::SlackStandIn>,
    pub teams: Arc<teams::TeamsStandIn>,
    pub jira: Arc<jira::JiraStandIn>,
    pub outlook: Arc<outlook::OutlookStandIn>,
}

impl StandIns {
    pub fn router(&self) -> axum::Router {
        self.router_with_faults(Arc::new(Faults::default()))
    }

    /// The stand-ins behind the fault injector (`slack`, `teams`, `jira` rules); their
    /// `/_control` test hooks are never faulted.
    pub fn router_with_faults(&self, faults: Arc<Faults>) -> axum::Router {
        let layer = |service: Service| {
            axum::middleware::from_fn_with_state((faults.clone(), service), standin_faults)
        };
        axum::Router::new()
            .nest(
                "/slack",
                self.slack.clone().router().layer(layer(Service::Slack)),
            )
            .nest(
                "/teams",
                self.teams.clone().router().layer(layer(Service::Teams)),
            )
            .nest(
                "/jira",
                self.jira.clone().router().layer(layer(Service::Jira)),
            )
            .nest("/outlook", self.outlook.clone().router())
    }
}
