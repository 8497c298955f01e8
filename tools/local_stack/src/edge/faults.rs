//! Fault injection: per service (and optionally per operation) a rate of 5xx errors and of
//! throttling answers in the service's real shapes, added latency, and killing a function
//! process right after a given AWS call of it went through.
//!
//! Configured with `hitl-local up --faults <json | @file> [--fault-seed N]` and at
//! `GET/POST /_local/api/faults` on the API listener:
//!
//! ```json
//! {"rules": [{"service": "sfn", "operation": "SendTaskSuccess", "errorRate": 0.05,
//!             "throttleRate": 0.05, "latencyMs": 0}],
//!  "kill": [{"function": "DecisionApiFunction", "afterCall": "dynamodb.UpdateItem",
//!            "bodyContains": "decidedAt", "rate": 0.02, "onlyAfterSuccess": true}],
//!  "seed": 42}
//! ```
//!
//! Services: `sfn`, `dynamodb`, `ses`, `secretsmanager`, `events` (at the edge) and `slack`,
//! `teams`, `jira` (stand-ins). Secrets Manager faults reach the functions' cold-start secret
//! reads; `events` faults, the Audit Publisher's `PutEvents`.
//! A rule with an `operation` wins over one without for that operation. Draws come from one
//! seeded generator, so a run can be repeated (the order of concurrent calls aside).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::anyhow;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Sfn,
    Dynamodb,
    Ses,
    SecretsManager,
    /// EventBridge (the audit trail's `PutEvents`).
    Events,
    Slack,
    Teams,
    Jira,
}

impl Service {
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Sfn => "sfn",
            Service::Dynamodb => "dynamodb",
            Service::Ses => "ses",
            Service::SecretsManager => "secretsmanager",
            Service::Events => "events",
            Service::Slack => "slack",
            Service::Teams => "teams",
            Service::Jira => "jira",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    pub service: Service,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// Only calls whose request body contains this (e.g. one secret's id in a
    /// `GetSecretValue`); AWS calls at the edge only, stand-ins' calls never match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_contains: Option<String>,
    #[serde(default)]
    pub error_rate: f64,
    #[serde(default)]
    pub throttle_rate: f64,
    #[serde(default)]
    pub latency_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KillRule {
    /// The function (logical id) whose process is killed.
    pub function: String,
    /// `service.Operation` of the call after which it dies (e.g. `dynamodb.UpdateItem`).
    pub after_call: String,
    /// Only calls whose request body contains this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_contains: Option<String>,
    #[serde(default = "one")]
    pub rate: f64,
    /// Only after calls the service accepted (2xx): a decision that was written, not a
    /// conditional write that lost. `false` kills after any matching call.
    #[serde(default = "yes")]
    pub only_after_success: bool,
}

fn one() -> f64 {
    1.0
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub rules: Vec<Rule>,
    #[serde(default)]
    pub kill: Vec<KillRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

impl Config {
    /// Parses `--faults`: JSON, or `@path` to a JSON file.
    pub fn parse(text: &str) -> anyhow::Result<Config> {
        let json = match text.strip_prefix('@') {
            Some(path) => std::fs::read_to_string(path).map_err(|e| anyhow!("{path}: {e}"))?,
            None => text.to_string(),
        };
        let config: Config = serde_json::from_str(&json).map_err(|e| anyhow!("faults: {e}"))?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        let rate_ok = |r: f64| (0.0..=1.0).contains(&r);
        for rule in &self.rules {
            if !rate_ok(rule.error_rate)
                || !rate_ok(rule.throttle_rate)
                || rule.error_rate + rule.throttle_rate > 1.0
            {
                return Err(anyhow!(
                    "faults: rates of {} must be within 0..1 and add up to at most 1",
                    rule.service.as_str()
                ));
            }
        }
        for kill in &self.kill {
            let service = kill.after_call.split_once('.').map(|(s, _)| s);
            let known = service.is_some_and(|s| {
                serde_json::from_value::<Service>(Value::String(s.into())).is_ok()
            });
            if !known || !rate_ok(kill.rate) {
                return Err(anyhow!("faults: kill needs afterCall \"service.Operation\" (e.g. dynamodb.UpdateItem) and a rate within 0..1, got {:?} / {}", kill.after_call, kill.rate));
            }
        }
        Ok(())
    }
}

/// What to do with one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injected {
    /// A 5xx in the service's shape.
    Error,
    /// The service's throttling answer.
    Throttle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Decision {
    pub delay: Duration,
    pub inject: Option<Injected>,
}

/// SplitMix64: small, seedable, good enough to pick which calls fail.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CallCounters {
    pub calls: u64,
    pub errors: u64,
    pub throttles: u64,
    pub delayed: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KillCounters {
    /// Matching calls made by a process of the function.
    pub candidates: u64,
    pub killed: u64,
}

struct FaultState {
    config: Config,
    seed: u64,
    rng: Rng,
    calls: BTreeMap<String, CallCounters>,
    kills: BTreeMap<String, KillCounters>,
}

/// The stack's fault injector, shared by the edge and the stand-ins.
pub struct Faults {
    state: Mutex<FaultState>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults::new(Config::default(), None)
    }
}

impl Faults {
    /// `seed` (`--fault-seed`) wins over the config's; without either, a random one.
    pub fn new(config: Config, seed: Option<u64>) -> Self {
        let seed = seed
            .or(config.seed)
            .unwrap_or_else(|| uuid::Uuid::new_v4().as_u64_pair().0);
        Faults {
            state: Mutex::new(FaultState {
                config,
                seed,
                rng: Rng::new(seed),
                calls: BTreeMap::new(),
                kills: BTreeMap::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FaultState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn seed(&self) -> u64 {
        self.lock().seed
    }

    /// Replaces the configuration (a `seed` in it restarts the generator); counters stay.
    pub fn replace(&self, config: Config) {
        let mut st = self.lock();
        if let Some(seed) = config.seed {
            st.seed = seed;
            st.rng = Rng::new(seed);
        }
        st.config = config;
    }

    /// Counts the call and draws what happens to it (`body`: the request's, for rules that
    /// match on it).
    pub fn decide(&self, service: Service, operation: &str, body: &[u8]) -> Decision {
        let mut st = self.lock();
        let key = format!("{}.{operation}", service.as_str());
        let rule = select(&st.config.rules, service, operation, body).cloned();
        let counters = st.calls.entry(key.clone()).or_default();
        counters.calls += 1;
        let Some(rule) = rule else {
            return Decision::default();
        };
        let draw = st.rng.next_f64();
        let inject = if draw < rule.error_rate {
            Some(Injected::Error)
        } else if draw < rule.error_rate + rule.throttle_rate {
            Some(Injected::Throttle)
        } else {
            None
        };
        let counters = st.calls.entry(key).or_default();
        match inject {
            Some(Injected::Error) => counters.errors += 1,
            Some(Injected::Throttle) => counters.throttles += 1,
            None => {}
        }
        if rule.latency_ms > 0 {
            counters.delayed += 1;
        }
        Decision {
            delay: Duration::from_millis(rule.latency_ms),
            inject,
        }
    }

    /// The kill rules (index, function) a call `service.operation` with `body` matches;
    /// `succeeded`: the service answered 2xx.
    pub fn kill_candidates(
        &self,
        call: &str,
        body: &[u8],
        succeeded: bool,
    ) -> Vec<(usize, String)> {
        let st = self.lock();
        st.config
            .kill
            .iter()
            .enumerate()
            .filter(|(_, k)| k.after_call == call && (succeeded || !k.only_after_success))
            .filter(|(_, k)| match &k.body_contains {
                Some(needle) => contains(body, needle.as_bytes()),
                None => true,
            })
            .map(|(i, k)| (i, k.function.clone()))
            .collect()
    }

    /// A process of the rule's function made the call: draws whether it dies.
    pub fn roll_kill(&self, rule: usize) -> bool {
        let mut st = self.lock();
        let Some(kill) = st.config.kill.get(rule).cloned() else {
            return false;
        };
        let dies = st.rng.next_f64() < kill.rate;
        let counters = st.kills.entry(kill.function).or_default();
        counters.candidates += 1;
        if dies {
            counters.killed += 1;
        }
        dies
    }

    /// `{seed, config, counters: {calls: {"sfn.SendTaskSuccess": {...}}, kills: {...}}}`.
    pub fn snapshot(&self) -> Value {
        let st = self.lock();
        json!({
            "seed": st.seed,
            "config": st.config,
            "counters": {"calls": st.calls, "kills": st.kills},
        })
    }
}

/// The most specific rule for the call: one naming the operation, else one for the service;
/// a rule with `bodyContains` only for a body that contains it.
pub fn select<'a>(
    rules: &'a [Rule],
    service: Service,
    operation: &str,
    body: &[u8],
) -> Option<&'a Rule> {
    let mut for_service = rules.iter().filter(|r| {
        r.service == service
            && r.body_contains
                .as_ref()
                .is_none_or(|needle| contains(body, needle.as_bytes()))
    });
    let specific = for_service
        .clone()
        .find(|r| r.operation.as_deref() == Some(operation));
    specific.or_else(|| for_service.find(|r| r.operation.is_none()))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// `GET /_local/api/faults` (configuration, seed, counters) and `POST` (a new configuration).
pub fn api_router(faults: Arc<Faults>) -> Router {
    Router::new()
        .route("/_local/api/faults", get(show).post(configure))
        .with_state(faults)
}

async fn show(State(faults): State<Arc<Faults>>) -> Json<Value> {
    Json(faults.snapshot())
}

async fn configure(
    State(faults): State<Arc<Faults>>,
    body: String,
) -> Result<Json<Value>, (StatusCode, Json<Value>)> {
    let refuse = |message: String| (StatusCode::BAD_REQUEST, Json(json!({"message": message})));
    let config: Config = serde_json::from_str(&body).map_err(|e| refuse(format!("faults: {e}")))?;
    config.validate().map_err(|e| refuse(format!("{e:#}")))?;
    faults.replace(config);
    Ok(Json(faults.snapshot()))
}

#[cfg(test)]
mod tests;
