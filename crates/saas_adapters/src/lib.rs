//! Adapters for the services that are not AWS: Slack's Web API, Microsoft Teams (a Workflows
//! webhook, and a Bot Framework bot for 1:1 messages), Jira Cloud's REST API, and the email
//! transports besides SES: an SMTP server ([`smtp`], lettre) and Outlook ([`outlook`],
//! Microsoft Graph `sendMail`). Each implements a port of `approvals`; [`service_calls`] holds what the
//! HTTP ones share (a time budget per call, retries that never post twice, error names).

pub mod identity;
pub mod jira;
pub mod mail;
pub mod outlook;
pub mod service_calls;
pub mod slack;
pub mod smtp;
pub mod teams;
pub mod vendor_errors;

#[cfg(test)]
mod default_call_budgets;
#[cfg(test)]
mod testing;
