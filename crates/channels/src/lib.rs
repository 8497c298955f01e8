//! What we say on each medium, and each channel's use cases: the approval email, the link
//! pages, Slack Block Kit messages and clicks, Teams Adaptive Cards, Jira comments and
//! transitions. Pure code over ports (the chat and ticketing APIs are traits here, implemented
//! in `saas_adapters`); the approval model itself is `approvals`.

pub mod email;
pub mod jira;
pub mod pages;
pub mod schema;
pub mod slack;
pub mod slack_click;
pub mod teams;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
