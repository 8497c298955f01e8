//! Test doubles for the model's ports, in one place (feature `testing`, and this crate's own
//! tests): each keeps the rules of the real service it stands for, so use cases are not tested
//! against easier rules than production. The store contract runs against the in-memory store
//! here and the DynamoDB store in `aws_adapters` alike.
//!
//! One naming rule for every double in the workspace: `Fake` + the port it stands for
//! (`FakeStore` for `ApprovalStore`, `FakeResumer`, `FakeEmailSender`, `FakeSlack`, `FakeTeams`,
//! `FakeJira`). A fake keeps state and the real service's rules, and records what it was asked.

pub mod email;
pub mod instrumented;
pub mod jira;
pub mod resumer;
pub mod slack;
pub mod store;
pub mod store_contract;
pub mod store_contract_companions;
mod store_contract_follow_up;
mod store_contract_leases;
mod store_contract_progress;
mod store_contract_protocol;
mod store_contract_reminders;
mod store_contract_teams;
pub mod store_contract_votes;
pub mod teams;
pub mod teams_bot;

pub use email::FakeEmailSender;
pub use instrumented::{InstrumentedStore, WriteFault};
pub use jira::FakeJira;
pub use resumer::FakeResumer;
pub use slack::FakeSlack;
pub use store::FakeStore;
pub use teams::FakeTeams;
pub use teams_bot::{FakeTeamsBot, FakeTeamsBotFormat};

/// `name` with one slip of the keyboard: the character at `at` (modulo its length) left out,
/// or, with `swap`, swapped with the next one. For the strict inputs' "did you mean" tests.
pub fn slip(name: &str, at: usize, swap: bool) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    let at = at % chars.len();
    if swap && at + 1 < chars.len() {
        chars.swap(at, at + 1);
    } else {
        chars.remove(at);
    }
    chars.into_iter().collect()
}
