//! Concurrent clients and what they measured: every job runs as soon as one of `clients` is
//! free (all start at once, as people do after a broadcast), each answer timed.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A request that takes longer than this is counted as failed (status 0).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Default)]
pub struct Answer {
    /// 0: no answer (connection error or timeout).
    pub status: u16,
    pub body: String,
    pub millis: f64,
}

/// Sends `request` and times it to the last byte of the answer.
pub async fn timed(request: reqwest::RequestBuilder) -> Answer {
    let start = Instant::now();
    let answer = match request.timeout(REQUEST_TIMEOUT).send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            Answer {
                status,
                body,
                millis: 0.0,
            }
        }
        Err(e) => Answer {
            status: 0,
            body: e.to_string(),
            millis: 0.0,
        },
    };
    Answer {
        millis: start.elapsed().as_secs_f64() * 1000.0,
        ..answer
    }
}

/// Runs `job` on every item, `clients` at a time; the answers in the items' order.
pub async fn with_clients<T, F, Fut>(items: Vec<T>, clients: usize, job: F) -> Vec<Answer>
where
    T: Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Answer> + Send + 'static,
{
    let limit = Arc::new(tokio::sync::Semaphore::new(clients.max(1)));
    let job = Arc::new(job);
    let tasks: Vec<_> = items
        .into_iter()
        .map(|item| {
            let (limit, job) = (limit.clone(), job.clone());
            tokio::spawn(async move {
                let _client = limit.acquire_owned().await;
                job(item).await
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(tasks.len());
    for task in tasks {
        answers.push(task.await.unwrap_or_default());
    }
    answers
}

/// A phase's answers: how many, which statuses, how many were what they should be, latency.
#[derive(Debug, Clone, Default)]
pub struct Phase {
    pub total: usize,
    pub good: usize,
    pub statuses: BTreeMap<u16, usize>,
    /// Milliseconds, sorted.
    pub millis: Vec<f64>,
}

impl Phase {
    pub fn of(answers: &[Answer], good: impl Fn(&Answer) -> bool) -> Phase {
        let mut phase = Phase {
            total: answers.len(),
            ..Phase::default()
        };
        for answer in answers {
            *phase.statuses.entry(answer.status).or_default() += 1;
            phase.good += usize::from(good(answer));
            phase.millis.push(answer.millis);
        }
        phase.millis.sort_by(f64::total_cmp);
        phase
    }

    pub fn count(&self, status: u16) -> usize {
        self.statuses.get(&status).copied().unwrap_or(0)
    }

    /// The `p`-th percentile (0..100, nearest rank) in milliseconds.
    pub fn percentile(&self, p: f64) -> Option<f64> {
        if self.millis.is_empty() {
            return None;
        }
        let rank = ((p / 100.0) * self.millis.len() as f64).ceil() as usize;
        Some(self.millis[rank.clamp(1, self.millis.len()) - 1])
    }

    /// `p50 12 ms, p99 340 ms` (or `-`).
    pub fn latency(&self) -> String {
        let ms = |p| {
            self.percentile(p)
                .map_or("-".to_string(), |v| format!("{v:.0} ms"))
        };
        format!("p50 {}, p99 {}", ms(50.0), ms(99.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let answers: Vec<Answer> = (1..=100)
            .map(|i| Answer {
                status: if i % 10 == 0 { 503 } else { 200 },
                body: String::new(),
                millis: i as f64,
            })
            .collect();
        let phase = Phase::of(&answers, |a| a.status == 200);
        assert_eq!(phase.percentile(50.0), Some(50.0));
        assert_eq!(phase.percentile(99.0), Some(99.0));
        assert_eq!(phase.percentile(100.0), Some(100.0));
        assert_eq!(
            (phase.good, phase.count(503), phase.count(429)),
            (90, 10, 0)
        );
        assert_eq!(Phase::default().latency(), "p50 -, p99 -");
    }

    #[tokio::test]
    async fn no_more_than_the_clients_run_at_once() {
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let peak = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (r, p) = (running.clone(), peak.clone());
        let answers = with_clients((0..20).collect(), 4, move |i: u16| {
            let (running, peak) = (r.clone(), p.clone());
            async move {
                use std::sync::atomic::Ordering::SeqCst;
                peak.fetch_max(running.fetch_add(1, SeqCst) + 1, SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
                running.fetch_sub(1, SeqCst);
                Answer {
                    status: i,
                    ..Answer::default()
                }
            }
        })
        .await;
        assert_eq!(
            answers.iter().map(|a| a.status).collect::<Vec<_>>(),
            (0..20).collect::<Vec<_>>()
        );
        assert_eq!(peak.load(std::sync::atomic::Ordering::SeqCst), 4);
    }
}
