//! Test doubles for the chat and ticketing ports, one per port (feature `testing`); the model's
//! doubles (store, resumer, email sender) are in `approvals::testing`.

pub mod jira;
pub mod slack;
pub mod teams;

pub use jira::FakeJira;
pub use slack::FakeSlack;
pub use teams::FakeTeams;
