//! What a function builds at cold start (its secrets, its clients), kept only once it is built.
//!
//! Lambda keeps an execution environment for hours, so an error kept from init fails every
//! event it serves. A transient failure (a timeout, a throttle, a 5xx: `HitlError::is_transient`)
//! is therefore never kept: the next event builds again, and meanwhile the caller gets
//! `Hitl.Transient`, which our ASL retries. A permanent misconfiguration (a missing secret, a
//! malformed key ring, a denied permission) fails at once with its `Hitl.Config` message, and is
//! looked at again after [`RECHECK_REFUSED_AFTER`], so a secret set later is found without a
//! redeploy.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use approvals::HitlError;
use tokio::sync::OnceCell;
use tokio::time::Instant;

/// What building may take during Lambda's init phase (which Lambda cuts at 10 s): a cold
/// process at 128 MB on a slow network reads its secrets well within it (`INIT_SDK` in
/// `aws_adapters::timeouts`).
pub const BUILD_DURING_INIT_WITHIN: Duration = Duration::from_secs(8);
/// What building again may take while an event waits (a Task, a link page); the event's own
/// calls fit in the function's timeout beside it (the budgets of `function_catalog`, checked by `aws_adapters::timeouts`).
pub const BUILD_AGAIN_WITHIN: Duration = Duration::from_secs(3);
/// How long a permanent refusal is answered from memory before building is tried again.
pub const RECHECK_REFUSED_AFTER: Duration = Duration::from_secs(60);

type Building<D> = Pin<Box<dyn Future<Output = Result<D, HitlError>> + Send>>;

/// A function's dependencies: built once, at cold start or by the first event after a transient
/// failure.
pub struct ColdStart<D> {
    built: OnceCell<D>,
    build: Box<dyn Fn() -> Building<D> + Send + Sync>,
    refused: Mutex<Option<(HitlError, Instant)>>,
}

impl<D: Send + Sync + 'static> ColdStart<D> {
    /// Builds during init (within [`BUILD_DURING_INIT_WITHIN`]) with `build(context)`; what
    /// fails is logged and, unless permanent, tried again by the first event.
    pub async fn start<C, F, Fut>(context: C, build: F) -> Self
    where
        C: Clone + Send + Sync + 'static,
        F: Fn(C) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<D, HitlError>> + Send + 'static,
    {
        let cold = Self::new(context, build);
        let _ = cold.get_within(BUILD_DURING_INIT_WITHIN).await;
        cold
    }

    /// Like [`ColdStart::start`], without building yet.
    pub fn new<C, F, Fut>(context: C, build: F) -> Self
    where
        C: Clone + Send + Sync + 'static,
        F: Fn(C) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<D, HitlError>> + Send + 'static,
    {
        ColdStart {
            built: OnceCell::new(),
            build: Box::new(move || Box::pin(build(context.clone()))),
            refused: Mutex::new(None),
        }
    }

    /// The dependencies, built again within [`BUILD_AGAIN_WITHIN`] if they are not yet.
    pub async fn get(&self) -> Result<&D, HitlError> {
        self.get_within(BUILD_AGAIN_WITHIN).await
    }

    /// The dependencies, built again within `within` if they are not yet (one build at a time;
    /// concurrent callers wait for it).
    pub async fn get_within(&self, within: Duration) -> Result<&D, HitlError> {
        if let Some(built) = self.built.get() {
            return Ok(built);
        }
        if let Some(refusal) = self.recent_refusal() {
            return Err(refusal);
        }
        let building = self.built.get_or_try_init(|| (self.build)());
        let result = match tokio::time::timeout(within, building).await {
            Ok(result) => result,
            Err(_) => Err(HitlError::transient(
                "cold start",
                format!(
                    "not ready within {} ms; tried again by the next event",
                    within.as_millis()
                ),
            )),
        };
        result.inspect_err(|err| self.note_failure(err))
    }

    fn recent_refusal(&self) -> Option<HitlError> {
        let refused = self.refused.lock().expect("not poisoned");
        refused
            .as_ref()
            .filter(|(_, at)| at.elapsed() < RECHECK_REFUSED_AFTER)
            .map(|(err, _)| err.clone())
    }

    fn note_failure(&self, err: &HitlError) {
        crate::metrics::cold_start_failure();
        if err.is_transient() {
            tracing::warn!(error = err.name(), message = %err, "cold start incomplete; built again by the next event");
        } else {
            tracing::error!(error = err.name(), message = %err, "misconfigured; checked again in a minute");
            *self.refused.lock().expect("not poisoned") = Some((err.clone(), Instant::now()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A build that answers the scripted results in turn (the last one from then on).
    fn scripted(results: Vec<Result<u32, HitlError>>) -> (ColdStart<u32>, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let script = Arc::new(results);
        let cold = ColdStart::new((calls.clone(), script), |(calls, script)| async move {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            script[n.min(script.len() - 1)].clone()
        });
        (cold, calls)
    }

    fn throttled() -> HitlError {
        HitlError::transient("Secrets Manager", "ThrottlingException: slow down")
    }

    #[tokio::test]
    async fn a_transient_failure_is_not_kept_the_next_event_builds_again() {
        let (cold, calls) = scripted(vec![Err(throttled()), Ok(7)]);
        let err = cold.get().await.unwrap_err();
        assert_eq!(err.name(), "Hitl.Transient");
        assert_eq!(*cold.get().await.unwrap(), 7);
        assert_eq!(*cold.get().await.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 2, "built once it worked");
    }

    #[tokio::test(start_paused = true)]
    async fn a_permanent_refusal_is_answered_at_once_and_checked_again_later() {
        let missing = HitlError::Config("the secret named by X could not be read".into());
        let (cold, calls) = scripted(vec![Err(missing.clone()), Ok(1)]);
        assert_eq!(cold.get().await.unwrap_err(), missing);
        assert_eq!(cold.get().await.unwrap_err(), missing);
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "no new read for every event"
        );
        tokio::time::advance(RECHECK_REFUSED_AFTER).await;
        assert_eq!(*cold.get().await.unwrap(), 1, "a secret set later is found");
    }

    #[tokio::test(start_paused = true)]
    async fn a_build_that_hangs_is_cut_and_tried_again() {
        let calls = Arc::new(AtomicUsize::new(0));
        let cold = ColdStart::new(calls.clone(), |calls| async move {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            Ok(5u32)
        });
        let err = cold.get().await.unwrap_err();
        assert_eq!(err.name(), "Hitl.Transient");
        assert!(err.to_string().contains("3000 ms"), "{err}");
        assert_eq!(*cold.get().await.unwrap(), 5);
    }

    #[tokio::test]
    async fn start_builds_during_init() {
        let cold = ColdStart::start((), |()| async { Ok(3u32) }).await;
        assert_eq!(cold.built.get(), Some(&3));
    }
}
