//! Progress on stderr every few seconds, so a long run shows where it is.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct Progress {
    phase: Mutex<String>,
    started: AtomicUsize,
    waiting: AtomicUsize,
    clicked: AtomicUsize,
    running: AtomicUsize,
    failed: AtomicUsize,
}

impl Progress {
    pub fn phase(&self, phase: &str) {
        *self.phase.lock().unwrap() = phase.to_string();
        eprintln!("[load] {phase}");
    }

    pub fn started(&self) {
        self.started.fetch_add(1, Ordering::Relaxed);
    }

    pub fn clicked(&self) {
        self.clicked.fetch_add(1, Ordering::Relaxed);
    }

    pub fn set_waiting(&self, n: usize) {
        self.waiting.store(n, Ordering::Relaxed);
    }

    pub fn set_running(&self, n: usize) {
        self.running.store(n, Ordering::Relaxed);
    }

    pub fn set_failed(&self, n: usize) {
        self.failed.store(n, Ordering::Relaxed);
    }

    fn line(&self, elapsed: Duration) -> String {
        format!(
            "[load {:>4}s] {}: started {}, waiting {}, clicked {}, running {}, failed {}",
            elapsed.as_secs(),
            self.phase.lock().unwrap(),
            self.started.load(Ordering::Relaxed),
            self.waiting.load(Ordering::Relaxed),
            self.clicked.load(Ordering::Relaxed),
            self.running.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

/// Prints a progress line every `every` until the returned task is aborted.
pub fn report_every(progress: Arc<Progress>, every: Duration) -> tokio::task::JoinHandle<()> {
    let since = Instant::now();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            eprintln!("{}", progress.line(since.elapsed()));
        }
    })
}
