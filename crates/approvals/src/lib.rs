//! The approval model and its use cases: what an approval is, how links are signed, how a
//! decision is made exactly once and delivered to the waiting workflow, and what is returned to
//! Step Functions.
//!
//! Nothing here knows about AWS, a chat service or a wire format: storage, resuming a workflow,
//! sending mail and updating the message that asked are ports (small traits in [`ports`]),
//! implemented by the adapters in `aws_adapters`; what is said on each medium is `channels`.

pub mod approval;
pub mod approval_links;
pub mod buttons;
pub mod decision;
pub mod delivery;
pub mod error;
pub mod follow_up;
pub mod input;
pub mod key_ring;
pub mod ports;
pub mod schema;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod use_cases;

pub use approval::{
    ApprovalRecord, CreateLinksInput, CreateLinksOutput, DeliveryState, Lease, MessageRef,
    MessageUpdateFailure, RecipientLinks,
};
pub use approval_links::{LinkSigner, SignedLink};
pub use buttons::{ButtonLink, ButtonStyle, ChoiceButton};
pub use decision::{
    Channel, ChosenAction, DecidedBy, Decision, DecisionOutput, FollowUpOutput, RecordedDecision,
    SlackUser,
};
pub use error::{HitlError, Retry};
pub use follow_up::{Answer, AnswerKind, AnswerRefused, FollowUp, FollowUpAnswer, FollowUpInput};
