//! Test doubles for the chat ports, one per port (feature `testing`); the model's doubles
//! (store, resumer, email sender, Slack, Jira) are in `approvals::testing`.

pub mod teams;

pub use teams::FakeTeams;
