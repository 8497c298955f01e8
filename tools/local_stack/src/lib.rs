//! The local stack as a library: `hitl-local` is built from it, and the benchmark, the load
//! tool (`tools/load_test`) and the end-to-end tests reuse its Runtime API, its launcher and its
//! RDS helper instead of copies.

pub mod alarms;
pub mod asl_casing;
pub mod audit;
pub mod edge;
pub mod example;
pub mod http_api;
pub mod launch;
pub mod metrics;
pub mod moto;
pub mod outbox;
pub mod provision;
pub mod rds;
pub mod runtime_api;
pub mod schedules;
pub mod smtp;
pub mod standins;
pub mod supervisor;
pub mod template;
pub mod ui;

use std::sync::atomic::AtomicBool;

/// Function output on the console (`--verbose`); always in `.local-stack/logs/`.
pub static VERBOSE: AtomicBool = AtomicBool::new(false);
