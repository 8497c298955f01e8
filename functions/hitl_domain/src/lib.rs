//! The domain of human approvals: what an approval is, how a decision is made exactly once,
//! how links are signed, and what every channel returns to Step Functions.
//!
//! Nothing here knows about AWS: storage, resuming a workflow and sending mail are ports
//! (small traits in [`ports`]) implemented by adapters in `hitl_aws`.

pub mod approval;
pub mod approval_links;
pub mod decision;
pub mod delivery;
pub mod email;
pub mod error;
pub mod input;
pub mod jira;
pub mod key_ring;
pub mod pages;
pub mod ports;
pub mod service;
pub mod slack;
pub mod slack_click;
pub mod teams;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use approval::{
    ApprovalRecord, CreateLinksInput, CreateLinksOutput, DeliveryState, Lease, MessageRef,
    RecipientLinks,
};
pub use approval_links::{LinkSigner, SignedLink};
pub use decision::{Channel, DecidedBy, Decision, DecisionOutput, RecordedDecision, SlackUser};
pub use error::{HitlError, Service, ServiceErrorKind};
