//! The start-up every function shares, so that its `main.rs` is its dependencies, its handler
//! and one call here ([`serve_task`], or [`serve_http`] for the Decision API).
//!
//! In order, during Lambda's init phase, which runs at full speed (at 128 MB an event gets
//! about 7% of a vCPU, so work moved out of the first event is work done ten times faster):
//! 1. tracing, once per process ([`lambda_kit::init_tracing`]: JSON logs, the version line, the
//!    cold start counted);
//! 2. the settings and the SDK configuration, read once ([`ColdContext::load`]); the reads of
//!    the secrets the environment names start now, on their own connection;
//! 3. the connections the first event will need, opened now rather than by that event
//!    (`lambda_kit::http_client`): the AWS services of the function's catalog entry
//!    (`function_catalog`) and the hosts its settings name ([`Dependencies::saas_urls`]);
//! 4. its dependencies, built now ([`Dependencies::build`]). A transient failure (a slow Secrets
//!    Manager in a burst of cold starts) is never kept for the life of the process: the next
//!    event builds again ([`lambda_kit::ColdStart`]);
//! 5. the Lambda loop: each Task's payload read strictly into the handler's input type
//!    ([`lambda_kit::run_task`]), or the Decision API's routes.

use std::future::Future;
use std::sync::Arc;

use approvals::HitlError;
use function_catalog::{Aws, Function, Trigger};
use lambda_kit::email::EmailTransport;
use lambda_kit::http_client::open_connections;
use lambda_kit::{init_tracing, run_task, ColdStart, Error, Settings};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::cold_start::ColdContext;
use crate::sdk_config::{endpoints, AwsService};

/// What a function builds once per process: its clients, its secrets, its checked settings.
pub trait Dependencies: Sized + Send + Sync + 'static {
    /// The URLs beyond AWS that the function calls and its settings name (Slack's Web API, a
    /// Jira site), opened during init beside its AWS services. A host known only from a secret
    /// (a Teams webhook, an SMTP server) is opened by [`Dependencies::build`] once read.
    fn saas_urls(_cold: &ColdContext) -> Vec<String> {
        Vec::new()
    }

    /// Builds the dependencies: during init, and again by an event after a transient failure.
    fn build(cold: ColdContext) -> impl Future<Output = Result<Self, HitlError>> + Send;
}

/// A Task (or scheduled) function: its dependencies and its handler.
pub trait Task: Dependencies {
    /// The Task's input, read strictly from the payload: an unknown field is a
    /// `Hitl.InvalidInput` that names it. A scheduled function takes
    /// [`lambda_kit::ScheduleEvent`].
    type Input: DeserializeOwned;
    /// The Task's output, the state's result in the workflow.
    type Output: Serialize;

    /// One event; its error becomes the `Hitl.*` name Step Functions sees.
    fn handle(&self, input: Self::Input) -> impl Future<Output = Result<Self::Output, HitlError>>;
}

/// Starts the Task, scheduled or stream function of the cargo package `package` (its
/// `env!("CARGO_PKG_NAME")`) and serves its events.
pub async fn serve_task<T: Task>(package: &str) -> Result<(), Error> {
    let deps = start::<T>(
        package,
        &[Trigger::Task, Trigger::Schedule, Trigger::Stream],
    )
    .await?;
    run_task(&deps, T::handle).await
}

/// Starts the HTTP function of the cargo package `package`; `serve` runs its routes with the
/// dependencies (`lambda_http::run` of its router), for as long as the process lives.
pub async fn serve_http<D, F, Fut>(package: &str, serve: F) -> Result<(), Error>
where
    D: Dependencies,
    F: FnOnce(Arc<ColdStart<D>>) -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    let deps = start::<D>(package, &[Trigger::Http]).await?;
    serve(Arc::new(deps)).await
}

/// Steps 1 to 4. A package the catalog does not declare (or declares with another trigger)
/// cannot start: a build that skipped the catalog fails at its first init, by name.
async fn start<D: Dependencies>(
    package: &str,
    triggers: &[Trigger],
) -> Result<ColdStart<D>, Error> {
    init_tracing();
    let function = function_catalog::by_package(package)
        .filter(|f| triggers.contains(&f.trigger))
        .ok_or_else(|| format!("{package} has no {triggers:?} entry in function_catalog"))?;
    Ok(cold_start(function, ColdContext::load().await).await)
}

/// Steps 3 and 4: the connections opened, then the dependencies built.
pub async fn cold_start<D: Dependencies>(function: &Function, cold: ColdContext) -> ColdStart<D> {
    let urls = init_urls::<D>(function, &cold);
    if !urls.is_empty() {
        open_connections(&urls).await;
    }
    cold.build(D::build).await
}

/// The endpoints of the function's AWS services, then its own hosts.
fn init_urls<D: Dependencies>(function: &Function, cold: &ColdContext) -> Vec<String> {
    let services = opened_at_init(function, &cold.settings);
    let mut urls = endpoints(&cold.config, &cold.settings, &services);
    urls.extend(D::saas_urls(cold));
    urls
}

/// The AWS services whose connection is opened during init: those the function calls, less
/// Secrets Manager (its reads started with [`ColdContext::load`], on their own connection) and
/// SES unless mail goes through SES (`EMAIL_TRANSPORT`).
fn opened_at_init(function: &Function, settings: &Settings) -> Vec<AwsService> {
    let through_ses = matches!(settings.email_transport(), Ok(EmailTransport::Ses));
    function
        .aws
        .iter()
        .filter_map(|aws| match aws {
            Aws::DynamoDb => Some(AwsService::DynamoDb),
            Aws::StepFunctions => Some(AwsService::StepFunctions),
            Aws::Ses => through_ses.then_some(AwsService::Ses),
            Aws::SecretsManager => None,
            // Its one function's first call opens it (a stream batch, not a person, waits).
            Aws::EventBridge => None,
        })
        .collect()
}

#[cfg(test)]
mod tests;
