//! Test doubles for the chat ports, one per port (feature `testing`); the model's doubles
//! (store, resumer, email sender, Jira) are in `approvals::testing`.

pub mod slack;
pub mod teams;

pub use slack::FakeSlack;
pub use teams::FakeTeams;
