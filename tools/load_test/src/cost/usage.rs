//! The meter's counters (`GET /_local/api/meter`), what a phase used (two snapshots apart,
//! leaving out the calls that are not the phase's), and the billable counts that makes.

use std::collections::{BTreeMap, BTreeSet};

use local_stack::edge::meter::{Capacity, LambdaUse};
use serde::Deserialize;

use super::prices::Counts;

/// Bytes CloudWatch Logs ingests per invocation beside the function's own lines: Lambda's
/// `platform.start` and `platform.report` records in JSON log format (an estimate; the local
/// stack writes none).
pub const PLATFORM_LOG_BYTES: u64 = 500;
/// Bytes of one HttpApi access-log line in the template's format (an estimate).
pub const ACCESS_LOG_BYTES: u64 = 350;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    pub calls: BTreeMap<String, BTreeMap<String, u64>>,
    pub dynamodb: BTreeMap<String, Capacity>,
    pub ses_recipients: BTreeMap<String, u64>,
    pub stored_bytes: u64,
    pub lambda: BTreeMap<String, LambdaUse>,
    pub http_api: BTreeMap<String, u64>,
    pub standins: BTreeMap<String, u64>,
    pub log_bytes: BTreeMap<String, u64>,
    pub metrics: BTreeMap<String, BTreeSet<String>>,
}

/// What one phase used.
#[derive(Debug, Clone, Default)]
pub struct Usage {
    /// `service.Operation` → calls.
    pub calls: BTreeMap<String, u64>,
    pub capacity: Capacity,
    pub emails: u64,
    /// Bytes stored at the end less at the start.
    pub stored_bytes: i64,
    pub lambda: BTreeMap<String, LambdaUse>,
    pub http_requests: BTreeMap<String, u64>,
    pub standins: BTreeMap<String, u64>,
    pub log_bytes: u64,
    /// Executions run, and their state transitions (from their histories).
    pub executions: u64,
    pub transitions: u64,
}

fn less(after: u64, before: Option<&u64>) -> u64 {
    after.saturating_sub(before.copied().unwrap_or(0))
}

/// `after − before`, without the callers (and functions) in `left_out`.
pub fn usage(before: &Snapshot, after: &Snapshot, left_out: &[String]) -> Usage {
    let kept = |caller: &String| !left_out.contains(caller);
    let mut u = Usage::default();
    for (caller, calls) in after.calls.iter().filter(|(c, _)| kept(c)) {
        let earlier = before.calls.get(caller);
        for (call, n) in calls {
            *u.calls.entry(call.clone()).or_default() +=
                less(*n, earlier.and_then(|e| e.get(call)));
        }
    }
    for (caller, c) in after.dynamodb.iter().filter(|(c, _)| kept(c)) {
        let b = before.dynamodb.get(caller).cloned().unwrap_or_default();
        u.capacity.read_halves += c.read_halves - b.read_halves;
        u.capacity.write_units += c.write_units - b.write_units;
        u.capacity.index_write_units += c.index_write_units - b.index_write_units;
    }
    for (caller, n) in after.ses_recipients.iter().filter(|(c, _)| kept(c)) {
        u.emails += less(*n, before.ses_recipients.get(caller));
    }
    u.stored_bytes = after.stored_bytes as i64 - before.stored_bytes as i64;
    for (function, l) in after.lambda.iter().filter(|(f, _)| kept(f)) {
        let b = before.lambda.get(function).cloned().unwrap_or_default();
        let used = LambdaUse {
            invocations: l.invocations - b.invocations,
            billed_ms: l.billed_ms - b.billed_ms,
            cold_starts: l.cold_starts - b.cold_starts,
            init_ms: l.init_ms - b.init_ms,
        };
        if used != LambdaUse::default() {
            u.lambda.insert(function.clone(), used);
        }
    }
    for (route, n) in &after.http_api {
        u.http_requests
            .insert(route.clone(), less(*n, before.http_api.get(route)));
    }
    for (call, n) in &after.standins {
        u.standins
            .insert(call.clone(), less(*n, before.standins.get(call)));
    }
    for (function, n) in after.log_bytes.iter().filter(|(f, _)| kept(f)) {
        u.log_bytes += less(*n, before.log_bytes.get(function));
    }
    u.http_requests.retain(|_, n| *n > 0);
    u.standins.retain(|_, n| *n > 0);
    u.calls.retain(|_, n| *n > 0);
    u
}

/// The billable counts of `u` with warm processes: `memory_mb` per function, `storage_months`
/// how long a record is kept (its expiry plus the retention). Cold starts (their init and
/// the secrets a process reads once) are priced apart ([`ColdStart`]).
pub fn counts(u: &Usage, memory_mb: &BTreeMap<String, u64>, storage_months: f64) -> Counts {
    let invocations: u64 = u.lambda.values().map(|l| l.invocations).sum();
    let mb_ms: u64 = u
        .lambda
        .iter()
        .map(|(f, l)| l.billed_ms * memory_mb.get(f).copied().unwrap_or(128))
        .sum();
    let http: u64 = u.http_requests.values().sum();
    Counts {
        lambda_requests: invocations as f64,
        lambda_mb_ms: mb_ms as f64,
        read_units: u.capacity.read_halves as f64 / 2.0,
        write_units: (u.capacity.write_units + u.capacity.index_write_units) as f64,
        stored_gb_months: u.stored_bytes.max(0) as f64 / 1e9 * storage_months,
        transitions: u.transitions as f64,
        http_requests: http as f64,
        emails: u.emails as f64,
        logs_bytes: (u.log_bytes + invocations * PLATFORM_LOG_BYTES + http * ACCESS_LOG_BYTES)
            as f64,
        // Upper bound: every execution and every request sampled (X-Ray's default rule takes
        // 1 a second and 5 % beyond, so at these rates nearly all).
        traces: (u.executions + http) as f64,
        ..Counts::default()
    }
}

/// What a process's start adds, on average over the phases: its init (billed on
/// `provided.al2023`) and the `GetSecretValue` calls it makes (functions read their secrets
/// once per process).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ColdStart {
    pub starts: u64,
    pub init_ms: f64,
    pub secret_calls: f64,
}

impl ColdStart {
    pub fn of<'a>(usages: impl IntoIterator<Item = &'a Usage>) -> ColdStart {
        let (mut starts, mut init_ms, mut secret_calls) = (0u64, 0u64, 0u64);
        for u in usages {
            starts += u.lambda.values().map(|l| l.cold_starts).sum::<u64>();
            init_ms += u.lambda.values().map(|l| l.init_ms).sum::<u64>();
            secret_calls += u
                .calls
                .get("secretsmanager.GetSecretValue")
                .copied()
                .unwrap_or(0);
        }
        let per = |n: u64| n as f64 / starts.max(1) as f64;
        ColdStart {
            starts,
            init_ms: per(init_ms),
            secret_calls: per(secret_calls),
        }
    }

    /// The counts of `invocations` cold starts of `memory_mb` functions.
    pub fn counts(&self, invocations: f64, memory_mb: u64) -> Counts {
        Counts {
            lambda_mb_ms: invocations * self.init_ms * memory_mb as f64,
            secret_calls: invocations * self.secret_calls,
            ..Counts::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_phase_is_two_snapshots_apart_without_the_callers_left_out() {
        let before: Snapshot = serde_json::from_value(json!({
            "calls": {"F": {"dynamodb.GetItem": 2}, "hitl-load": {"sfn.StartExecution": 1}},
            "dynamodb": {"F": {"readHalves": 4, "writeUnits": 1, "indexWriteUnits": 0}},
            "sesRecipients": {}, "storedBytes": 100,
            "lambda": {"F": {"invocations": 1, "billedMs": 10, "coldStarts": 1, "initMs": 50}},
            "httpApi": {}, "standins": {}, "logBytes": {"F": 10}, "metrics": {}
        }))
        .unwrap();
        let after: Snapshot = serde_json::from_value(json!({
            "calls": {"F": {"dynamodb.GetItem": 5, "secretsmanager.GetSecretValue": 1},
                      "hitl-load": {"sfn.StartExecution": 9}, "Sweeper": {"dynamodb.Query": 3}},
            "dynamodb": {"F": {"readHalves": 10, "writeUnits": 3, "indexWriteUnits": 1},
                         "Sweeper": {"readHalves": 3, "writeUnits": 0, "indexWriteUnits": 0}},
            "sesRecipients": {"F": 2}, "storedBytes": 2100,
            "lambda": {"F": {"invocations": 4, "billedMs": 40, "coldStarts": 1, "initMs": 50},
                       "Sweeper": {"invocations": 3, "billedMs": 9, "coldStarts": 0, "initMs": 0}},
            "httpApi": {"GET /d": 2}, "standins": {"slack.chat.update": 1}, "logBytes": {"F": 110},
            "metrics": {}
        }))
        .unwrap();
        let left_out = vec!["hitl-load".to_string(), "Sweeper".to_string()];
        let u = usage(&before, &after, &left_out);
        assert_eq!(u.calls.get("dynamodb.GetItem"), Some(&3));
        assert_eq!(
            u.calls.get("sfn.StartExecution"),
            None,
            "the load tool's own"
        );
        assert_eq!(u.calls.get("dynamodb.Query"), None, "the schedule's");
        assert_eq!(u.capacity.read_halves, 6);
        assert_eq!(u.lambda["F"].invocations, 3);
        assert!(!u.lambda.contains_key("Sweeper"));
        let memory = BTreeMap::from([("F".to_string(), 256)]);
        let c = counts(&u, &memory, 1.0);
        assert_eq!(c.read_units, 3.0);
        assert_eq!(c.write_units, 3.0);
        assert_eq!(c.lambda_mb_ms, 30.0 * 256.0);
        assert_eq!(c.secret_calls, 0.0, "priced with cold starts");
        let cold = ColdStart::of([&u]);
        assert_eq!(
            (cold.starts, cold.init_ms, cold.secret_calls),
            (0, 0.0, 1.0)
        );
        let two = ColdStart {
            starts: 2,
            init_ms: 100.0,
            secret_calls: 1.5,
        }
        .counts(4.0, 128);
        assert_eq!(
            (two.lambda_mb_ms, two.secret_calls),
            (4.0 * 100.0 * 128.0, 6.0)
        );
        assert_eq!(c.emails, 2.0);
        assert_eq!(c.http_requests, 2.0);
        assert_eq!(
            c.logs_bytes,
            (100 + 3 * PLATFORM_LOG_BYTES + 2 * ACCESS_LOG_BYTES) as f64
        );
        assert!((c.stored_gb_months - 2000.0 / 1e9).abs() < 1e-15);
    }
}
