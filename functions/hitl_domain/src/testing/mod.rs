//! Test doubles, one per port, in one place (feature `testing`, and this crate's own tests):
//! each keeps the rules of the real service it stands for, so use cases are not tested against
//! easier rules than production. The store contract runs against the in-memory store here and
//! the DynamoDB store in `hitl_aws` alike.

pub mod email;
pub mod jira;
pub mod resumer;
pub mod slack;
pub mod store;
pub mod store_contract;
pub mod teams;

pub use email::RecordingSender;
pub use jira::InMemoryJira;
pub use resumer::RecordingResumer;
pub use slack::FakeSlack;
pub use store::InMemoryStore;
pub use teams::RecordingTeams;
