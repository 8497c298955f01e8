//! Adapters for the services that are not AWS: Slack's Web API, Microsoft Teams (a Workflows
//! webhook) and Jira Cloud's REST API. Each implements a port of
//! `approvals` over HTTP; [`http`] holds what they share (a time budget per call, retries
//! that never post twice, error names).

pub mod http;
pub mod jira;
pub mod slack;
pub mod teams;

#[cfg(test)]
mod budgets;
#[cfg(test)]
mod testing;
