//! A relay run on a hand-driven clock: it stops when nothing is due, keeps passing while a
//! failing delivery falls due again within its budget, never starts a pass past the budget,
//! and delivers on the first pass after the fault clears.

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use super::{relay_run, RunClock, RunLimits, RunReport};
use crate::delivery::tests::decided_request;
use crate::testing::{FakeResumer, FakeStore};
use crate::HitlError;

/// Before the request's expiry (10,000) by more than a run.
const START: i64 = 5_000;
const LIMITS: RunLimits = RunLimits {
    budget: Duration::from_secs(40),
    pass_interval: Duration::from_secs(3),
    batch: 100,
};

/// Time moves only when the run pauses; `on_pause` sees the number of the pause.
struct HandClock<'a> {
    elapsed: Mutex<Duration>,
    pauses: Mutex<u32>,
    on_pause: Box<dyn Fn(u32) + Send + Sync + 'a>,
}

impl<'a> HandClock<'a> {
    fn new(on_pause: impl Fn(u32) + Send + Sync + 'a) -> Self {
        HandClock {
            elapsed: Mutex::new(Duration::ZERO),
            pauses: Mutex::new(0),
            on_pause: Box::new(on_pause),
        }
    }
}

#[async_trait]
impl RunClock for HandClock<'_> {
    fn now(&self) -> i64 {
        START + self.elapsed().as_secs() as i64
    }
    fn elapsed(&self) -> Duration {
        *self.elapsed.lock().unwrap()
    }
    async fn pause(&self, duration: Duration) {
        let elapsed = self.elapsed() + duration;
        // A run that pauses on past its budget would never end here: fail instead.
        assert!(
            elapsed <= LIMITS.budget,
            "paused past the budget, to {elapsed:?}"
        );
        *self.elapsed.lock().unwrap() = elapsed;
        let n = {
            let mut pauses = self.pauses.lock().unwrap();
            *pauses += 1;
            *pauses
        };
        (self.on_pause)(n);
    }
}

/// A request decided a minute ago whose Task waits: due for delivery now.
async fn decided_and_waiting(store: &FakeStore) {
    decided_request(store, "a", START - 60).await;
}

fn refusing(resumer: &FakeResumer) {
    *resumer.fail_with.lock().unwrap() = Some(HitlError::transient("states", "503"));
}

#[tokio::test]
async fn with_nothing_due_a_run_is_one_pass() {
    let (store, resumer) = (FakeStore::default(), FakeResumer::default());
    let clock = HandClock::new(|_| {});
    let run = relay_run(&store, &resumer, None, &clock, LIMITS, &|_, _| {})
        .await
        .unwrap();
    assert_eq!(
        run,
        RunReport {
            passes: 1,
            ..RunReport::default()
        }
    );
    assert_eq!(clock.elapsed(), Duration::ZERO);
}

#[tokio::test]
async fn a_failing_delivery_is_retried_within_the_budget_and_never_past_it() {
    let (store, resumer) = (FakeStore::default(), FakeResumer::default());
    decided_and_waiting(&store).await;
    refusing(&resumer);
    let clock = HandClock::new(|_| {});
    let starts = Mutex::new(vec![]);
    let run = relay_run(&store, &resumer, None, &clock, LIMITS, &|_, at| {
        starts.lock().unwrap().push(at)
    })
    .await
    .unwrap();
    let starts = starts.into_inner().unwrap();
    assert!(run.passes > 3, "{run:?}");
    assert_eq!(run.delivered, 0);
    assert_eq!(run.retry_later, ["a"], "the next run goes on");
    assert!(
        starts
            .iter()
            .all(|at| *at - START < LIMITS.budget.as_secs() as i64),
        "a pass started past the budget: {starts:?}"
    );
    assert!(clock.elapsed() <= LIMITS.budget, "{:?}", clock.elapsed());
}

#[tokio::test]
async fn the_first_pass_after_the_fault_clears_delivers_and_the_run_ends() {
    let (store, resumer) = (FakeStore::default(), FakeResumer::default());
    decided_and_waiting(&store).await;
    refusing(&resumer);
    let clock = HandClock::new(|pause| {
        if pause == 2 {
            *resumer.fail_with.lock().unwrap() = None;
        }
    });
    let delivered = Mutex::new(vec![]);
    let run = relay_run(&store, &resumer, None, &clock, LIMITS, &|pass, _| {
        delivered.lock().unwrap().push(pass.delivered.len())
    })
    .await
    .unwrap();
    assert_eq!(run.delivered, 1, "{run:?}");
    assert_eq!(resumer.resumed.lock().unwrap().len(), 1);
    assert!(run.retry_later.is_empty(), "{run:?}");
    // Delivered once the record fell due again after its back-off, by the run's last pass.
    let delivered = delivered.into_inner().unwrap();
    assert_eq!(delivered.last(), Some(&1), "{delivered:?}");
    assert!(delivered[..delivered.len() - 1].iter().all(|d| *d == 0));
    assert!(clock.elapsed() < LIMITS.budget / 2, "{:?}", clock.elapsed());
}
