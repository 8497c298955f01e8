//! One place that decides which AWS SDK failures are worth retrying.

use approvals::HitlError;
use aws_smithy_runtime_api::client::result::SdkError;
pub use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

const RETRYABLE_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "ServiceUnavailable",
    "InternalServerError",
    "InternalFailure",
    "InternalServiceError",
    "TransactionConflictException",
];

/// The error code of an SDK failure, when the service sent one.
pub fn code<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Option<&str> {
    match err {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    }
}

/// Maps any SDK failure to `Hitl.Transient` (retry) or `Hitl.DependencyFailed` (do not).
pub fn classify<E>(dependency: &str, err: SdkError<E, HttpResponse>) -> HitlError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let message = format!(
                "{}: {}",
                e.code().unwrap_or("error"),
                e.message().unwrap_or("no message")
            );
            let retryable = e.code().is_some_and(|c| RETRYABLE_CODES.contains(&c))
                || service.raw().status().is_server_error();
            if retryable {
                HitlError::transient(dependency, message)
            } else {
                HitlError::dependency(dependency, message)
            }
        }
        // Timeouts, connection failures and unreadable responses: worth another try.
        _ => HitlError::transient(dependency, error_chain(&err)),
    }
}

/// The Display of SdkError is terse ("dispatch failure"); its sources say why.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
