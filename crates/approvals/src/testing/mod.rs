//! Test doubles for the model's ports, in one place (feature `testing`, and this crate's own
//! tests): each keeps the rules of the real service it stands for, so use cases are not tested
//! against easier rules than production. The store contract runs against the in-memory store
//! here and the DynamoDB store in `aws_adapters` alike. The chat and ticketing doubles are in
//! `channels::testing`.

pub mod email;
pub mod instrumented;
pub mod resumer;
pub mod store;
pub mod store_contract;
mod store_contract_follow_up;
mod store_contract_protocol;

pub use email::RecordingSender;
pub use instrumented::{InstrumentedStore, WriteFault};
pub use resumer::RecordingResumer;
pub use store::InMemoryStore;

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
