//! Adapters that implement the `hitl_domain` ports on AWS, and the start-up code every Lambda
//! entrypoint shares (JSON logs, SDK config, configuration, error mapping).

#[cfg(feature = "dynamodb")]
pub mod dynamodb_delivery;
#[cfg(feature = "dynamodb")]
pub mod dynamodb_item;
#[cfg(feature = "dynamodb")]
pub mod dynamodb_messages;
#[cfg(feature = "dynamodb")]
pub mod dynamodb_store;
pub mod lambda_support;
pub mod sdk_errors;
#[cfg(feature = "secrets")]
pub mod secrets;
#[cfg(feature = "ses")]
pub mod ses_sender;
#[cfg(feature = "stepfunctions")]
pub mod step_functions_resumer;
pub mod timeouts;

#[cfg(feature = "dynamodb")]
pub use dynamodb_store::DynamoApprovalStore;
#[cfg(feature = "ses")]
pub use ses_sender::SesEmailSender;
#[cfg(feature = "stepfunctions")]
pub use step_functions_resumer::StepFunctionsResumer;
