//! A scripted HTTP service for the adapters' tests: answers the n-th request with the n-th
//! step (the last one repeats), after the step's delay, and counts every request on arrival.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;

#[derive(Clone, Copy)]
pub struct Step {
    pub status: u16,
    pub retry_after: Option<&'static str>,
    pub delay: Duration,
    pub body: &'static str,
}

pub fn answer(status: u16, body: &'static str) -> Step {
    Step {
        status,
        retry_after: None,
        delay: Duration::ZERO,
        body,
    }
}

pub fn rate_limited(retry_after: &'static str) -> Step {
    Step {
        retry_after: Some(retry_after),
        ..answer(429, "{}")
    }
}

pub fn slow(delay: Duration, status: u16, body: &'static str) -> Step {
    Step {
        delay,
        ..answer(status, body)
    }
}

pub struct Scripted {
    pub url: String,
    calls: Arc<AtomicU32>,
    paths: Arc<Mutex<Vec<String>>>,
}

impl Scripted {
    pub fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }

    /// The path of every request received, in order.
    pub fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }
}

pub async fn serve(steps: Vec<Step>) -> Scripted {
    let calls = Arc::new(AtomicU32::new(0));
    let paths = Arc::new(Mutex::new(Vec::new()));
    let (seen, log) = (calls.clone(), paths.clone());
    let app = axum::Router::new().fallback(move |request: Request| {
        let n = seen.fetch_add(1, Ordering::SeqCst) as usize;
        log.lock().unwrap().push(request.uri().path().to_string());
        let step = steps[n.min(steps.len() - 1)];
        async move {
            tokio::time::sleep(step.delay).await;
            let mut r = Response::new(axum::body::Body::from(step.body));
            *r.status_mut() = StatusCode::from_u16(step.status).unwrap();
            if let Some(v) = step.retry_after {
                r.headers_mut().insert("retry-after", v.parse().unwrap());
            }
            r
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Scripted { url, calls, paths }
}

/// A URL nobody listens on: every connection is refused.
pub async fn refused_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}
