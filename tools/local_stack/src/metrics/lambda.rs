//! The `AWS/Lambda` metrics the Lambda service publishes for each invocation the local pools
//! serve: `Invocations` (every invocation that ran, failed or not), `Errors` (those that ended
//! with a function error: an error answer, a timeout, a crashed runtime) and `Throttles`
//! (invocations refused at the concurrency limit), each per `FunctionName` and for the whole
//! account (no dimension), as Lambda publishes them. A sample of 1 or 0 per invocation makes
//! `Sum` the count and `Average` the rate, as on AWS.

use super::{now_ms, store, MetricKey};
use crate::runtime_api::pool::Throttled;
use crate::runtime_api::Outcome;

pub const NAMESPACE: &str = "AWS/Lambda";
/// The metrics modelled here; other `AWS/Lambda` metrics (Duration, ConcurrentExecutions...)
/// are not.
pub const MODELLED: &[&str] = &["Invocations", "Errors", "Throttles"];

/// Records what one invocation of `function` came to.
pub fn record(function: &str, result: &Result<Outcome, Throttled>) {
    let (invoked, error, throttled) = match result {
        Ok(Ok(_)) => (1.0, 0.0, 0.0),
        Ok(Err(_)) => (1.0, 1.0, 0.0),
        Err(Throttled) => (0.0, 0.0, 1.0),
    };
    let now = now_ms();
    for dimensions in [vec![("FunctionName", function)], vec![]] {
        for (name, value, counted) in [
            ("Invocations", invoked, invoked > 0.0),
            ("Errors", error, invoked > 0.0),
            ("Throttles", throttled, throttled > 0.0),
        ] {
            // Lambda publishes Errors beside each Invocation, Throttles only when it refuses.
            if counted {
                let key = MetricKey::new(NAMESPACE, name, &dimensions);
                store().record(key, Some("Count".into()), now, &[value]);
            }
        }
    }
}
