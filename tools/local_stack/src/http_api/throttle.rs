//! API Gateway's route throttling: a token bucket per route, `burst` deep, refilled at `rate`
//! a second, shared by every client of the route (HTTP APIs have no per-client limits). An
//! empty bucket answers 429 before the function is invoked, as API Gateway does.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use axum::body::Body;
use axum::http::{Response, StatusCode};

use crate::template::Throttle;

pub struct TokenBucket {
    limits: Throttle,
    /// Tokens left and when they were counted.
    state: Mutex<(f64, Instant)>,
    refused: AtomicU64,
}

impl TokenBucket {
    /// A full bucket, as a newly deployed stage's.
    pub fn new(limits: Throttle) -> Self {
        TokenBucket {
            limits,
            state: Mutex::new((limits.burst as f64, Instant::now())),
            refused: AtomicU64::new(0),
        }
    }

    /// Takes a token for a request now; `false`: throttled.
    pub fn take(&self) -> bool {
        self.take_at(Instant::now())
    }

    fn take_at(&self, now: Instant) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, counted) = *state;
        let elapsed = now.saturating_duration_since(counted).as_secs_f64();
        let tokens = (tokens + elapsed * self.limits.rate).min(self.limits.burst as f64);
        let taken = tokens >= 1.0;
        *state = (if taken { tokens - 1.0 } else { tokens }, now.max(counted));
        if !taken {
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
        taken
    }

    pub fn limits(&self) -> Throttle {
        self.limits
    }

    /// Requests answered 429 so far.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

/// API Gateway's answer to a throttled request.
pub fn too_many_requests() -> Response<Body> {
    Response::builder()
        .status(StatusCode::TOO_MANY_REQUESTS)
        .header("content-type", "application/json")
        .body(Body::from(r#"{"message":"Too Many Requests"}"#))
        .unwrap()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_then_the_rate() {
        let bucket = TokenBucket::new(Throttle {
            burst: 20,
            rate: 10.0,
        });
        let start = Instant::now();
        let taken = (0..30).filter(|_| bucket.take_at(start)).count();
        assert_eq!(taken, 20, "the burst, then nothing");
        assert_eq!(bucket.refused(), 10);
        let later = start + Duration::from_millis(500);
        let taken = (0..30).filter(|_| bucket.take_at(later)).count();
        assert_eq!(taken, 5, "10 a second for half a second");
        let much_later = start + Duration::from_secs(3600);
        let taken = (0..30).filter(|_| bucket.take_at(much_later)).count();
        assert_eq!(taken, 20, "never more than the burst");
    }

    #[test]
    fn all_clients_share_one_bucket_and_are_refused_as_api_gateway_does() {
        let bucket = TokenBucket::new(Throttle {
            burst: 1,
            rate: 0.001,
        });
        assert!(bucket.take());
        assert!(
            !bucket.take(),
            "a second client meets the same empty bucket"
        );
        let refused = too_many_requests();
        assert_eq!(refused.status(), 429);
        assert_eq!(refused.headers()["content-type"], "application/json");
    }

    /// A route to a function that cannot run (no process may start: Lambda's throttle, 500).
    async fn route(throttle: Option<Throttle>) -> super::super::Route {
        let dir =
            std::env::temp_dir().join(format!("hitl-route-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("bootstrap"), "").unwrap();
        let def = crate::template::FunctionDef {
            logical_id: "F".into(),
            binary: "bootstrap".into(),
            env: Default::default(),
            timeout_secs: 1,
            memory_mb: 128,
            http_routes: vec![],
            schedules: vec![],
        };
        let (_stop, shutdown) = tokio::sync::watch::channel(false);
        let pool = crate::runtime_api::FunctionPool::start(&def, &dir, &[], &dir, 0, shutdown);
        super::super::Route {
            method: "GET".into(),
            path: "/x".into(),
            function: pool.await.unwrap(),
            throttle: throttle.map(|t| std::sync::Arc::new(TokenBucket::new(t))),
        }
    }

    #[tokio::test]
    async fn the_api_refuses_before_invoking_the_function() {
        let routes = [route(Some(Throttle {
            burst: 1,
            rate: 0.001,
        }))
        .await];
        let get = || async {
            let uri: axum::http::Uri = "/x".parse().unwrap();
            let peer = "127.0.0.1:9".parse().unwrap();
            let headers = axum::http::HeaderMap::new();
            let method = axum::http::Method::GET;
            let body = axum::body::Bytes::new();
            let answer = super::super::dispatch(&routes, &method, &uri, &headers, peer, &body);
            answer.await.unwrap().status().as_u16()
        };
        assert_eq!(get().await, 500, "the first reaches the function");
        assert_eq!(get().await, 429, "the second finds the bucket empty");
        assert_eq!(routes[0].throttle.as_ref().unwrap().refused(), 1);
        let unlimited = [route(None).await];
        let uri: axum::http::Uri = "/x".parse().unwrap();
        for _ in 0..3 {
            let (m, h, b) = (
                axum::http::Method::GET,
                axum::http::HeaderMap::new(),
                Default::default(),
            );
            let r = super::super::dispatch(
                &unlimited,
                &m,
                &uri,
                &h,
                "127.0.0.1:9".parse().unwrap(),
                &b,
            );
            assert_eq!(r.await.unwrap().status(), 500);
        }
    }
}
