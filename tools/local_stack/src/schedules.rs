//! The template's schedules: fired on their `rate(...)`/`cron(...)` when enabled, and on demand.
//! A schedule starts an execution of its state machine or invokes its function, as EventBridge
//! Scheduler does.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use time::{OffsetDateTime, Weekday};

use crate::runtime_api::FunctionPool;
use crate::template::{state_machine_arn, ScheduleDef, ScheduleTarget};

/// What schedules fire into: Step Functions, and the function pools.
#[derive(Clone)]
pub struct Targets {
    pub sfn: aws_sdk_sfn::Client,
    /// By `FunctionDef::logical_id`, the name `ScheduleTarget::Function` holds.
    pub functions: BTreeMap<String, Arc<FunctionPool>>,
}

/// What firing a schedule started.
#[derive(Debug)]
pub enum Fired {
    /// The ARN of the state machine execution.
    Execution(String),
    /// The function's result.
    Output(Value),
}

/// Why a schedule did not fire, or the error its function answered with.
#[derive(Debug)]
pub struct FireError {
    pub message: String,
    /// The function error's `errorType`; `None` when nothing ran.
    pub error_type: Option<String>,
}

impl FireError {
    fn new(message: impl Into<String>) -> Self {
        FireError {
            message: message.into(),
            error_type: None,
        }
    }

    /// A function's `{errorType, errorMessage}` (or whatever else it answered with).
    fn from_function(error: Value) -> Self {
        FireError {
            message: error["errorMessage"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| error.to_string()),
            error_type: error["errorType"].as_str().map(str::to_string),
        }
    }

    /// `{"message"}`, plus `"errorType"` for a function error.
    pub fn to_json(&self) -> Value {
        let mut body = json!({"message": self.message});
        if let Some(error_type) = &self.error_type {
            body["errorType"] = json!(error_type);
        }
        body
    }
}

impl std::fmt::Display for FireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.error_type {
            Some(error_type) => write!(f, "{error_type}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Starts an execution of the schedule's state machine, or invokes its function and waits for
/// the answer (so a failure can be reported; EventBridge Scheduler itself invokes asynchronously).
pub async fn fire(targets: &Targets, schedule: &ScheduleDef) -> Result<Fired, FireError> {
    match &schedule.target {
        ScheduleTarget::StateMachine(state_machine) => {
            let name = format!(
                "{}-{}",
                schedule.name.replace('.', "-"),
                uuid::Uuid::new_v4().simple()
            );
            targets
                .sfn
                .start_execution()
                .state_machine_arn(state_machine_arn(state_machine))
                .name(name.chars().take(80).collect::<String>())
                .input(&schedule.input)
                .send()
                .await
                .map(|out| Fired::Execution(out.execution_arn().to_string()))
                .map_err(|e| FireError::new(aws_sdk_sfn::error::DisplayErrorContext(e).to_string()))
        }
        ScheduleTarget::Function(function) => {
            let pool = targets
                .functions
                .get(function)
                .ok_or_else(|| FireError::new(format!("no function {function}")))?;
            // The template's loader already refuses non-JSON input for function targets.
            let event: Value = serde_json::from_str(&schedule.input).map_err(|e| {
                FireError::new(format!("{}: Input is not JSON: {e}", schedule.name))
            })?;
            pool.invoke(event)
                .await
                .map(Fired::Output)
                .map_err(FireError::from_function)
        }
    }
}

/// Seconds of a `rate(N unit)` expression.
fn rate_seconds(expression: &str) -> Option<u64> {
    let inner = expression.strip_prefix("rate(")?.strip_suffix(')')?;
    let (n, unit) = inner.trim().split_once(' ')?;
    let n: u64 = n.parse().ok()?;
    Some(
        n * match unit.trim_end_matches('s') {
            "minute" => 60,
            "hour" => 3600,
            "day" => 86_400,
            _ => return None,
        },
    )
}

fn field_matches(field: &str, value: u32, names: &[&str]) -> bool {
    if field == "*" || field == "?" {
        return true;
    }
    field.split(',').any(|part| {
        let (range, step) = part
            .split_once('/')
            .map(|(r, s)| (r, s.parse::<u32>().unwrap_or(1)))
            .unwrap_or((part, 1));
        let parse = |s: &str| {
            s.parse::<u32>().ok().or_else(|| {
                names
                    .iter()
                    .position(|n| n.eq_ignore_ascii_case(s))
                    .map(|i| i as u32 + 1)
            })
        };
        let (lo, hi) = match range {
            "*" => (0, u32::MAX),
            r => match r.split_once('-') {
                Some((a, b)) => match (parse(a), parse(b)) {
                    (Some(a), Some(b)) => (a, b),
                    _ => return false,
                },
                None => match parse(r) {
                    Some(v) if step > 1 => (v, u32::MAX),
                    Some(v) => (v, v),
                    None => return false,
                },
            },
        };
        value >= lo && value <= hi && (value - lo.min(value)).is_multiple_of(step)
    })
}

/// Whether an EventBridge `cron(min hour day-of-month month day-of-week year)` fires at `t` (UTC).
pub fn cron_matches(expression: &str, t: OffsetDateTime) -> bool {
    let Some(inner) = expression
        .strip_prefix("cron(")
        .and_then(|e| e.strip_suffix(')'))
    else {
        return false;
    };
    let f: Vec<&str> = inner.split_whitespace().collect();
    if f.len() != 6 {
        return false;
    }
    const MONTHS: &[&str] = &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    let weekday = match t.weekday() {
        Weekday::Sunday => 1,
        Weekday::Monday => 2,
        Weekday::Tuesday => 3,
        Weekday::Wednesday => 4,
        Weekday::Thursday => 5,
        Weekday::Friday => 6,
        Weekday::Saturday => 7,
    };
    field_matches(f[0], t.minute() as u32, &[])
        && field_matches(f[1], t.hour() as u32, &[])
        && field_matches(f[2], t.day() as u32, &[])
        && field_matches(f[3], t.month() as u32, MONTHS)
        && field_matches(f[4], weekday, DAYS)
        && field_matches(f[5], t.year() as u32, &[])
}

/// Runs the enabled schedules until the process ends.
pub async fn run(targets: Targets, schedules: Vec<ScheduleDef>) {
    for schedule in schedules.into_iter().filter(|s| s.enabled) {
        let targets = targets.clone();
        tokio::spawn(async move {
            if let Some(every) = rate_seconds(&schedule.expression) {
                // The first tick fires at once: on AWS a rate schedule has been firing since
                // the deploy, so a local stack that just started should not wait a period.
                let mut tick = tokio::time::interval(Duration::from_secs(every));
                loop {
                    tick.tick().await;
                    if let Err(e) = fire(&targets, &schedule).await {
                        tracing::warn!(schedule = %schedule.name, error = %e, "schedule failed");
                    }
                }
            }
            loop {
                // Check once per minute, on the minute.
                let now = OffsetDateTime::now_utc();
                tokio::time::sleep(Duration::from_secs(60 - now.second() as u64)).await;
                if cron_matches(&schedule.expression, OffsetDateTime::now_utc()) {
                    if let Err(e) = fire(&targets, &schedule).await {
                        tracing::warn!(schedule = %schedule.name, error = %e, "schedule failed");
                    }
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn weekly_monday_nine_oclock() {
        let e = "cron(0 9 ? * MON *)";
        assert!(cron_matches(e, datetime!(2026-11-30 09:00 UTC)));
        assert!(!cron_matches(e, datetime!(2026-11-30 09:01 UTC)));
        assert!(!cron_matches(e, datetime!(2026-11-29 09:00 UTC)));
        assert!(cron_matches(
            "cron(0/15 * * * ? *)",
            datetime!(2026-11-29 03:45 UTC)
        ));
        assert!(!cron_matches(
            "cron(0/15 * * * ? *)",
            datetime!(2026-11-29 03:46 UTC)
        ));
        assert!(cron_matches(
            "cron(0 8 1 JAN-MAR ? 2027)",
            datetime!(2027-02-01 08:00 UTC)
        ));
    }

    #[test]
    fn rates() {
        assert_eq!(rate_seconds("rate(5 minutes)"), Some(300));
        assert_eq!(rate_seconds("rate(1 day)"), Some(86_400));
        assert_eq!(rate_seconds("cron(0 9 * * ? *)"), None);
    }
}
