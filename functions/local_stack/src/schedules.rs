//! The template's schedules: fired on their `rate(...)`/`cron(...)` when enabled, and on demand.

use std::time::Duration;

use time::{OffsetDateTime, Weekday};

use crate::template::{state_machine_arn, ScheduleDef};

pub async fn fire(sfn: &aws_sdk_sfn::Client, schedule: &ScheduleDef) -> Result<String, String> {
    let name = format!(
        "{}-{}",
        schedule.name.replace('.', "-"),
        uuid::Uuid::new_v4().simple()
    );
    sfn.start_execution()
        .state_machine_arn(state_machine_arn(&schedule.state_machine))
        .name(name.chars().take(80).collect::<String>())
        .input(&schedule.input)
        .send()
        .await
        .map(|out| out.execution_arn().to_string())
        .map_err(|e| aws_sdk_sfn::error::DisplayErrorContext(e).to_string())
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
pub async fn run(sfn: aws_sdk_sfn::Client, schedules: Vec<ScheduleDef>) {
    for schedule in schedules.into_iter().filter(|s| s.enabled) {
        let sfn = sfn.clone();
        tokio::spawn(async move {
            if let Some(every) = rate_seconds(&schedule.expression) {
                let mut tick = tokio::time::interval(Duration::from_secs(every));
                tick.tick().await;
                loop {
                    tick.tick().await;
                    if let Err(e) = fire(&sfn, &schedule).await {
                        tracing::warn!(schedule = %schedule.name, error = %e, "schedule failed");
                    }
                }
            }
            loop {
                // Check once per minute, on the minute.
                let now = OffsetDateTime::now_utc();
                tokio::time::sleep(Duration::from_secs(60 - now.second() as u64)).await;
                if cron_matches(&schedule.expression, OffsetDateTime::now_utc()) {
                    if let Err(e) = fire(&sfn, &schedule).await {
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
