//! The Lambda start-up kit every function shares: tracing set up once, its configuration read
//! once, the Task loop, and the one place a `HitlError` becomes the name Step Functions sees.
//! It knows nothing of AWS's SDKs, so a function that calls none links none.

pub mod cold_start;
pub mod correlation;
pub mod email;
pub mod http_client;
pub mod input;
pub mod metrics;
pub mod settings;

pub use cold_start::ColdStart;
pub use input::parse_input;
pub use settings::Settings;

use approvals::HitlError;
use std::future::Future;

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde::Serialize;
use serde_json::Value;

/// JSON logs once per process, level from `RUST_LOG` (default info), and the cold start
/// counted ([`metrics::cold_start`]). No timestamps: CloudWatch stamps each line already.
pub fn init_tracing() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let _ = tracing_subscriber::registry()
        .with(log_filter(std::env::var("RUST_LOG").ok().as_deref()))
        .with(json_logs(std::io::stdout))
        .try_init();
    // The first line of every process: which release runs (CHANGELOG, upgrade notes).
    tracing::info!(
        version = VERSION,
        function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default(),
        "hitl starting"
    );
    metrics::cold_start();
}

/// The product's version: the workspace's, the template's `SemanticVersion`, the CHANGELOG's.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One JSON object per line, with the current span's fields (the request's `approval_id` and
/// `execution_arn`: [`correlation`]) under `span`.
fn json_logs<S, W>(writer: W) -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + 'static,
{
    tracing_subscriber::fmt::layer()
        .json()
        .with_target(false)
        .with_current_span(true)
        .with_span_list(false)
        .without_time()
        .with_writer(writer)
}

/// `RUST_LOG` as targets and levels; unset or unreadable, `info`.
fn log_filter(rust_log: Option<&str>) -> tracing_subscriber::filter::Targets {
    let info = || tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO);
    match rust_log {
        Some(spec) => spec.parse().unwrap_or_else(|_| info()),
        None => info(),
    }
}

/// Serves a Task function: `deps` were built at cold start, outside the handler, and are built
/// again by an event that finds them missing after a transient failure ([`ColdStart`]); each
/// event's payload goes to `handler`, and its error becomes the named error Step Functions sees.
/// `deps` is borrowed for as long as the runtime runs: it lives in `main`, as the clients do in
/// the runtime's own shared-resource example.
pub async fn run_task<'a, D, O, F, Fut>(
    deps: &'a ColdStart<D>,
    handler: F,
) -> Result<(), lambda_runtime::Error>
where
    D: Send + Sync + 'static,
    O: Serialize,
    F: Fn(&'a D, Value) -> Fut,
    Fut: Future<Output = Result<O, HitlError>> + 'a,
{
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        correlation::scope(async move {
            correlation::from_input(&event.payload);
            let result = match deps.get().await {
                Ok(deps) => handler(deps, event.payload).await,
                Err(err) => Err(err),
            };
            result.map_err(|err| {
                // Logged and counted here, inside the request's span; messages never hold
                // tokens or secrets.
                tracing::warn!(error = err.name(), message = %err, "task failed");
                metrics::task_failed(&err);
                TaskFailure(err)
            })
        })
    }))
    .await
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// A failed Task: Step Functions sees `errorType` = the `Hitl.*` name, so Retry/Catch can
/// target it.
#[derive(Debug)]
pub struct TaskFailure(pub HitlError);

impl From<HitlError> for TaskFailure {
    fn from(err: HitlError) -> Self {
        TaskFailure(err)
    }
}

impl From<TaskFailure> for Diagnostic {
    fn from(failure: TaskFailure) -> Self {
        Diagnostic {
            error_type: failure.0.name().to_string(),
            error_message: failure.0.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_log_sets_levels_and_defaults_to_info() {
        use tracing::Level;
        let default = log_filter(None);
        assert!(default.would_enable("decision_api", &Level::INFO));
        assert!(!default.would_enable("decision_api", &Level::DEBUG));
        let debug = log_filter(Some("warn,decision_api=debug"));
        assert!(debug.would_enable("decision_api", &Level::DEBUG));
        assert!(!debug.would_enable("hyper", &Level::INFO));
        assert!(log_filter(Some("=bad=")).would_enable("x", &Level::INFO));
    }

    #[test]
    fn diagnostics_carry_the_hitl_name() {
        let d: Diagnostic = TaskFailure(HitlError::NotFound("a".into())).into();
        assert_eq!(d.error_type, "Hitl.NotFound");
    }
}
