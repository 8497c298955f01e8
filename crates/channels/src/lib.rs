//! What we say on each medium and read from it: the approval email, the link pages, Slack
//! Block Kit messages, clicks and signatures, Teams Adaptive Cards, Jira's document format, and
//! the Task inputs, checked into the requests the use cases take. Pure rendering and parsing:
//! no I/O, nothing that calls a port. The model, its ports and the use cases are `approvals`;
//! the renderers the use cases need (`approvals::ports::{SlackFormat, TeamsFormat}`) are
//! implemented here.

pub mod email;
pub mod jira;
pub mod pages;
pub mod schema;
pub mod slack;
pub mod slack_click;
pub mod teams;
