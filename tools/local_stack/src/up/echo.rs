//! `--echo`: the `lambda_runtime` echo of the benchmark (`hitl-bench-echo` in the bin dir) as one
//! more function behind the local HttpApi (`GET /_echo`, no throttling), so the load tool can
//! time the local path itself (HTTP, the event, the Runtime API, a process per concurrent
//! invoke) beside a real function's clicks through the same path.

use local_stack::template::{FunctionDef, HttpRoute};

pub const ECHO_PATH: &str = "/_echo";

pub fn function() -> FunctionDef {
    FunctionDef {
        logical_id: "EchoFunction".into(),
        binary: "hitl-bench-echo".into(),
        env: Default::default(),
        timeout_secs: 3,
        memory_mb: 128,
        http_routes: vec![HttpRoute {
            method: "GET".into(),
            path: ECHO_PATH.into(),
            throttle: None,
        }],
        schedules: vec![],
    }
}
