//! Adapters that implement the `hitl_domain` ports on AWS, and the start-up code every Lambda
//! entrypoint shares (JSON logs, SDK config, configuration, error mapping).

pub mod dynamodb_delivery;
pub mod dynamodb_item;
pub mod dynamodb_messages;
pub mod dynamodb_store;
pub mod lambda_support;
pub mod sdk_errors;
pub mod secrets;
pub mod ses_sender;
pub mod step_functions_resumer;
pub mod timeouts;

pub use dynamodb_store::DynamoApprovalStore;
pub use ses_sender::SesEmailSender;
pub use step_functions_resumer::StepFunctionsResumer;
