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
pub use input::{parse_input, ScheduleEvent};
pub use settings::Settings;

use approvals::HitlError;
use std::future::Future;

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde::de::DeserializeOwned;
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

/// What a function's `main` returns: the runtime's error, for a process that cannot serve.
pub use lambda_runtime::Error;

/// Serves a Task function: `deps` were built at cold start, outside the handler, and are built
/// again by an event that finds them missing after a transient failure ([`ColdStart`]); each
/// event's payload is read into the handler's input `I` ([`handle_event`]), and its error
/// becomes the named error Step Functions sees. `deps` is borrowed for as long as the runtime
/// runs: it lives in `main`, as the clients do in the runtime's own shared-resource example.
pub async fn run_task<'a, D, I, O, F, Fut>(deps: &'a ColdStart<D>, handler: F) -> Result<(), Error>
where
    D: Send + Sync + 'static,
    I: DeserializeOwned,
    O: Serialize,
    F: Fn(&'a D, I) -> Fut,
    Fut: Future<Output = Result<O, HitlError>> + 'a,
{
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        correlation::scope(async move {
            handle_event(deps, handler, event.payload)
                .await
                .map_err(|err| {
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

/// One event, inside its request's span ([`correlation::scope`]): the approval and execution
/// it names are recorded from the raw payload first, so even the failure that refuses its
/// input is logged and counted under them; then the dependencies (built again if a transient
/// failure left them unbuilt), then the payload read strictly into `I` ([`parse_input`]: an
/// unknown field is a `Hitl.InvalidInput` naming it), then the handler.
pub async fn handle_event<'a, D, I, O, F, Fut>(
    deps: &'a ColdStart<D>,
    handler: &F,
    payload: Value,
) -> Result<O, HitlError>
where
    D: Send + Sync + 'static,
    I: DeserializeOwned,
    F: Fn(&'a D, I) -> Fut,
    Fut: Future<Output = Result<O, HitlError>> + 'a,
{
    correlation::from_input(&payload);
    let deps = deps.get().await?;
    handler(deps, parse_input(payload)?).await
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

    /// A strict input, as every Task's is.
    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Input {
        approval_id: String,
        title: Option<String>,
    }

    /// Dependencies whose first build fails as a throttled Secrets Manager does.
    fn built_on_second_try() -> (
        ColdStart<u32>,
        std::sync::Arc<std::sync::atomic::AtomicUsize>,
    ) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let builds = std::sync::Arc::new(AtomicUsize::new(0));
        let deps = ColdStart::new(builds.clone(), |builds| async move {
            match builds.fetch_add(1, Ordering::SeqCst) {
                0 => Err(HitlError::transient(
                    "Secrets Manager",
                    "ThrottlingException",
                )),
                _ => Ok(7),
            }
        });
        (deps, builds)
    }

    async fn echo(deps: &u32, input: Input) -> Result<String, HitlError> {
        Ok(format!(
            "{deps}:{}:{}",
            input.approval_id,
            input.title.unwrap_or_default()
        ))
    }

    #[tokio::test]
    async fn an_unknown_field_is_refused_by_name_and_the_failure_names_its_approval() {
        let deps = ColdStart::new((), |()| async { Ok(7u32) });
        let payload = serde_json::json!({"approvalId": "a-1", "titel": "Stop db-1?"});
        let (result, ids) = correlation::scope(async {
            let result = handle_event(&deps, &echo, payload).await;
            (result, correlation::current())
        })
        .await;
        let err = result.unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput");
        assert!(
            err.to_string()
                .contains("unknown field `titel`; did you mean `title`?"),
            "{err}"
        );
        // Read from the raw payload before the strict parse refused it.
        assert_eq!(ids.approval_id.as_deref(), Some("a-1"));
    }

    #[tokio::test]
    async fn a_transient_build_failure_is_built_again_by_the_next_event() {
        let (deps, builds) = built_on_second_try();
        let payload = || serde_json::json!({"approvalId": "a-1", "title": "t"});
        let first = handle_event(&deps, &echo, payload()).await.unwrap_err();
        assert_eq!(first.name(), "Hitl.Transient");
        assert_eq!(
            handle_event(&deps, &echo, payload()).await.unwrap(),
            "7:a-1:t"
        );
        assert_eq!(
            handle_event(&deps, &echo, payload()).await.unwrap(),
            "7:a-1:t"
        );
        assert_eq!(builds.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_typed_input_reaches_the_handler() {
        let deps = ColdStart::new((), |()| async { Ok(1u32) });
        let payload = serde_json::json!({"approvalId": "a-2"});
        assert_eq!(handle_event(&deps, &echo, payload).await.unwrap(), "1:a-2:");
        let err = handle_event(&deps, &echo, serde_json::json!("a-2"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("must be a JSON object"), "{err}");
    }

    #[test]
    fn diagnostics_carry_the_hitl_name() {
        let d: Diagnostic = TaskFailure(HitlError::NotFound("a".into())).into();
        assert_eq!(d.error_type, "Hitl.NotFound");
    }
}
