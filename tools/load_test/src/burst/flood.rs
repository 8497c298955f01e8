//! Forged link requests poured in at a steady rate from many connections while real people
//! click: each a real link's URL with a signature that is not the link's (a GET or the
//! form's POST), the cheapest forgery that reaches the function's signature check.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::{JoinHandle, JoinSet};

use super::clients::{timed, Answer, Phase};

/// Forged requests in flight at most; beyond it the flood skips a tick (and counts it).
const IN_FLIGHT: usize = 4000;

pub struct Flood {
    stop: Arc<AtomicBool>,
    task: JoinHandle<(Vec<Answer>, usize)>,
}

/// What the flood sent and how it was answered; `skipped`: ticks with too many in flight.
pub struct FloodReport {
    pub rate: u32,
    pub answers: Phase,
    pub skipped: usize,
    pub seconds: f64,
}

impl FloodReport {
    pub fn throttled(&self) -> usize {
        self.answers.count(429)
    }
}

/// `link` with its `sig` replaced by a made-up one (hex, as real signatures are not).
pub fn forged(link: &str, n: u64) -> Option<String> {
    let mut url = reqwest::Url::parse(link).ok()?;
    let forged = format!("{:032x}", n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "sig" {
                forged.clone()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(&pairs);
    Some(url.to_string())
}

/// Starts sending `rate` forged requests a second, alternating GET and POST over `links`.
pub fn start(http: reqwest::Client, links: Vec<String>, rate: u32) -> Flood {
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let task = tokio::spawn(async move {
        let mut ticks =
            tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate.max(1))));
        let (mut in_flight, mut answers, mut skipped) = (JoinSet::new(), Vec::new(), 0);
        let mut n: u64 = 0;
        while !stopped.load(Ordering::Relaxed) && !links.is_empty() {
            ticks.tick().await;
            while let Some(done) = in_flight.try_join_next() {
                answers.extend(done.ok());
            }
            if in_flight.len() >= IN_FLIGHT {
                skipped += 1;
                continue;
            }
            n += 1;
            let Some(url) = forged(&links[n as usize % links.len()], n) else {
                continue;
            };
            in_flight.spawn(send(http.clone(), url, n.is_multiple_of(2)));
        }
        while let Some(done) = in_flight.join_next().await {
            answers.extend(done.ok());
        }
        (answers, skipped)
    });
    Flood { stop, task }
}

/// A forged GET, or the POST a forged form would send (the link's query as its body).
async fn send(http: reqwest::Client, url: String, post: bool) -> Answer {
    if !post {
        return timed(http.get(url)).await;
    }
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let request = http
        .post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(query.to_string());
    timed(request).await
}

impl Flood {
    /// Stops sending, waits for the answers in flight.
    pub async fn finish(self, rate: u32, seconds: f64) -> FloodReport {
        self.stop.store(true, Ordering::Relaxed);
        let (answers, skipped) = self.task.await.unwrap_or_default();
        FloodReport {
            rate,
            // A refusal is what a forgery should get: 4xx, but not the API's 429.
            answers: Phase::of(&answers, |a| {
                (400..500).contains(&a.status) && a.status != 429
            }),
            skipped,
            seconds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forged_link_keeps_everything_but_its_signature() {
        let link = "http://127.0.0.1:3000/decisions/ab-1?d=approve&exp=99&kid=k1&a=0&sig=realsig";
        let forged = forged(link, 7).unwrap();
        assert!(forged
            .starts_with("http://127.0.0.1:3000/decisions/ab-1?d=approve&exp=99&kid=k1&a=0&sig="));
        assert!(!forged.contains("realsig"));
        assert_ne!(
            super::forged(link, 8).unwrap(),
            forged,
            "each forgery its own"
        );
    }
}
