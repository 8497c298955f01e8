//! The approval model and its use cases: what an approval is, how links are signed, how a
//! decision is made exactly once and delivered to the waiting workflow, and what is returned to
//! Step Functions.
//!
//! Every use case is here, the chat and ticketing ones too ([`use_cases`]: `slack`,
//! `slack_click`, `teams`, `jira`, `email`). Nothing here calls AWS or a vendor, or renders:
//! storage, resuming a workflow, sending mail, Slack, Teams and Jira are ports (small traits
//! in [`ports`]) implemented by `aws_adapters` and `saas_adapters`, whose errors reach the
//! model only as [`HitlError::Dependency`]; what the use cases say on each medium comes from
//! `channels` through the rendering traits `ports::{SlackFormat, TeamsFormat}` and the checked
//! requests its inputs produce.

pub mod approval;
pub mod approval_links;
pub mod audit;
pub mod buttons;
pub mod decision;
pub mod delivery;
pub mod error;
pub mod follow_up;
pub mod ids;
pub mod input;
pub mod key_ring;
pub mod ports;
pub mod quorum;
pub mod schema;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod use_cases;

pub use approval::{
    ApprovalRecord, CreateLinksInput, CreateLinksOutput, DeliveryFailure, DeliveryState, Lease,
    MessageRef, MessageUpdateFailure, RecipientLinks,
};
pub use approval_links::{LinkSigner, SignedLink};
pub use buttons::{ButtonLink, ButtonStyle, ChoiceButton};
pub use decision::{
    Channel, ChosenAction, DecidedBy, Decision, DecisionOutput, FollowUpOutput, RecordedDecision,
    SlackUser, TeamsUser,
};
pub use error::{HitlError, Retry};
pub use follow_up::{Answer, AnswerKind, AnswerRefused, FollowUp, FollowUpAnswer, FollowUpInput};
pub use ids::{ApprovalId, ApproverAddress, SlackUserId, TaskToken};
