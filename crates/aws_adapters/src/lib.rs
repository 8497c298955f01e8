//! Adapters that implement the `approvals` ports (and the Slack open-message store of
//! `channels`) on AWS, and the SDK configuration they are built from, with known time limits.

pub mod cold_start;
#[cfg(feature = "dynamodb")]
pub mod dynamodb_buttons;
#[cfg(feature = "dynamodb")]
pub mod dynamodb_companions;
#[cfg(feature = "dynamodb")]
pub mod dynamodb_delivery;
#[cfg(feature = "dynamodb")]
pub mod dynamodb_follow_up;
#[cfg(feature = "dynamodb")]
pub mod dynamodb_item;
#[cfg(feature = "dynamodb")]
pub mod dynamodb_messages;
#[cfg(feature = "dynamodb")]
pub mod dynamodb_quorum;
#[cfg(feature = "dynamodb")]
pub mod dynamodb_reminders;
#[cfg(feature = "dynamodb")]
pub mod dynamodb_store;
#[cfg(feature = "audit")]
pub mod dynamodb_stream;
#[cfg(feature = "dynamodb")]
pub mod dynamodb_teams;
#[cfg(feature = "dynamodb")]
mod dynamodb_votes;
#[cfg(feature = "audit")]
pub mod eventbridge_audit;
pub mod sdk_config;
pub mod sdk_errors;
pub mod sdk_http;
#[cfg(feature = "secrets")]
pub mod secrets;
#[cfg(feature = "ses")]
pub mod ses_sender;
pub mod startup;
#[cfg(feature = "stepfunctions")]
pub mod step_functions_resumer;
pub mod timeouts;

#[cfg(feature = "dynamodb")]
pub use dynamodb_store::DynamoApprovalStore;
#[cfg(feature = "ses")]
pub use ses_sender::SesEmailSender;
#[cfg(feature = "stepfunctions")]
pub use step_functions_resumer::StepFunctionsResumer;
