//! What the stack costs a month with no approval at all, read from `template.yaml` as it is
//! at run time: the scheduled functions (each run measured on the local stack, times the runs
//! a month of its `rate(...)`), the secrets, alarms and dashboards the template creates, and
//! the custom metrics the scheduled functions emit.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{anyhow, Context};
use sam_template::yaml::Value as Yaml;

use super::prices::Counts;

/// Hours in a month, as AWS prices a month.
pub const MONTH_HOURS: f64 = 730.0;

/// A configuration of the stack: the template's parameters it sets.
pub struct Setup {
    pub name: &'static str,
    pub parameters: &'static [(&'static str, &'static str)],
}

/// Defaults only (email through SES); Slack configured; every channel configured.
pub const SETUPS: [Setup; 3] = [
    Setup {
        name: "defaults (email)",
        parameters: &[],
    },
    Setup {
        name: "+ Slack",
        parameters: &[("SlackBotToken", "xoxb-1"), ("SlackSigningSecret", "s")],
    },
    Setup {
        name: "every channel",
        parameters: &[
            ("SlackBotToken", "xoxb-1"),
            ("SlackSigningSecret", "s"),
            ("TeamsWebhookUrl", "https://example.com/webhook"),
            ("TeamsBotAppId", "app"),
            ("TeamsBotAppSecret", "s"),
            ("JiraApiToken", "t"),
            ("EmailTransport", "smtp"),
            ("SmtpPassword", "p"),
        ],
    },
];

/// A scheduled function of one setup: its schedule's name (`Function.Event`) and runs a month.
#[derive(Debug, Clone, PartialEq)]
pub struct Scheduled {
    pub schedule: String,
    pub function: String,
    pub expression: String,
    pub runs_a_month: f64,
}

/// What the template creates for a setup.
#[derive(Debug, Clone, Default)]
pub struct Fixed {
    pub schedules: Vec<Scheduled>,
    pub secrets: Vec<String>,
    /// Alarms (name) and the metrics each is billed for.
    pub alarms: Vec<(String, u64)>,
    pub dashboards: u64,
}

/// Runs a month of `rate(N unit)`; `None` for other expressions.
pub fn runs_a_month(expression: &str) -> Option<f64> {
    let inner = expression.strip_prefix("rate(")?.strip_suffix(')')?;
    let (n, unit) = inner.trim().split_once(' ')?;
    let n: f64 = n.parse().ok()?;
    let seconds = match unit.trim_end_matches('s') {
        "minute" => 60.0,
        "hour" => 3600.0,
        "day" => 86400.0,
        _ => return None,
    };
    Some(MONTH_HOURS * 3600.0 / (n * seconds))
}

/// The template read for `setup`: its enabled function schedules and its secrets (conditions
/// resolved by the local stack's template reader), its alarms and dashboards.
pub fn fixed(template: &Path, setup: &Setup) -> anyhow::Result<Fixed> {
    let overrides: BTreeMap<String, String> = setup
        .parameters
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let stack =
        local_stack::template::load(template, "http://127.0.0.1:1", &overrides, |_| "x".into())?;
    let mut schedules = Vec::new();
    for s in stack.schedules().into_iter().filter(|s| s.enabled) {
        if let local_stack::template::ScheduleTarget::Function(function) = &s.target {
            let runs = runs_a_month(&s.expression)
                .ok_or_else(|| anyhow!("{}: {} is not a rate(...)", s.name, s.expression))?;
            schedules.push(Scheduled {
                schedule: s.name.clone(),
                function: function.clone(),
                expression: s.expression.clone(),
                runs_a_month: runs,
            });
        }
    }
    let text =
        std::fs::read_to_string(template).with_context(|| format!("{}", template.display()))?;
    let doc: Yaml = sam_template::yaml::from_str(&text)?;
    let (mut alarms, dashboards) = monitoring(&doc);
    // Only the alarms this setup creates: the template reader resolved their Conditions.
    alarms.retain(|(id, _)| stack.alarms.iter().any(|a| &a.logical_id == id));
    Ok(Fixed {
        schedules,
        secrets: stack.secrets.iter().map(|s| s.name.clone()).collect(),
        alarms,
        dashboards,
    })
}

/// The template's alarms with the metrics each is billed for (a metric-math alarm: each metric
/// it reads; a period under a minute: high resolution, 3 times the price; a composite alarm:
/// $0.50, 5 times), and its dashboards, whatever their Conditions ([`fixed`] keeps the alarms
/// a setup creates).
pub fn monitoring(doc: &Yaml) -> (Vec<(String, u64)>, u64) {
    let mut alarms = Vec::new();
    let mut dashboards = 0;
    for (id, resource) in doc
        .get("Resources")
        .and_then(Yaml::as_mapping)
        .into_iter()
        .flatten()
    {
        let id = id.as_str().unwrap_or_default().to_string();
        let props = resource.get("Properties");
        match resource
            .get("Type")
            .and_then(Yaml::as_str)
            .unwrap_or_default()
        {
            "AWS::CloudWatch::Alarm" => {
                let metrics = match props
                    .and_then(|p| p.get("Metrics"))
                    .and_then(Yaml::as_sequence)
                {
                    Some(list) => list
                        .iter()
                        .filter(|m| m.get("MetricStat").is_some())
                        .count() as u64,
                    None => 1,
                };
                let period = |p: &Yaml| p.get("Period").and_then(Yaml::as_u64);
                let high_resolution = props.and_then(period).is_some_and(|p| p < 60)
                    || props
                        .and_then(|p| p.get("Metrics"))
                        .and_then(Yaml::as_sequence)
                        .into_iter()
                        .flatten()
                        .filter_map(|m| m.get("MetricStat"))
                        .filter_map(period)
                        .any(|p| p < 60);
                alarms.push((id, metrics.max(1) * if high_resolution { 3 } else { 1 }));
            }
            "AWS::CloudWatch::CompositeAlarm" => alarms.push((id, 5)),
            "AWS::CloudWatch::Dashboard" => dashboards += 1,
            _ => {}
        }
    }
    (alarms, dashboards)
}

/// A month of `fixed` with each scheduled run costing `per_run[schedule]`, and the custom
/// metrics the scheduled functions emit.
pub fn month(fixed: &Fixed, per_run: &BTreeMap<String, Counts>, custom_metrics: f64) -> Counts {
    let mut total = Counts {
        secrets: fixed.secrets.len() as f64,
        alarm_metrics: fixed.alarms.iter().map(|(_, m)| *m as f64).sum(),
        dashboards: fixed.dashboards as f64,
        custom_metrics,
        ..Counts::default()
    };
    for s in &fixed.schedules {
        let run = per_run.get(&s.schedule).copied().unwrap_or_default();
        let run = Counts {
            scheduler_invocations: 1.0,
            traces: 1.0,
            ..run
        };
        total = total.plus(&run.scaled(s.runs_a_month));
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_monitoring_come_from_the_template() {
        assert_eq!(runs_a_month("rate(1 minute)"), Some(43_800.0));
        assert_eq!(runs_a_month("rate(5 minutes)"), Some(8_760.0));
        assert_eq!(runs_a_month("cron(0 9 ? * MON *)"), None);
        let doc: Yaml = sam_template::yaml::from_str(
            r#"
Resources:
  A: {Type: AWS::CloudWatch::Alarm, Properties: {MetricName: Errors, Period: 60}}
  B:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Metrics:
        - {Id: e, Expression: "m1+m2"}
        - {Id: m1, MetricStat: {Period: 60}}
        - {Id: m2, MetricStat: {Period: 60}}
  C: {Type: AWS::CloudWatch::Alarm, Properties: {Period: 10}}
  D: {Type: AWS::CloudWatch::Dashboard}
"#,
        )
        .unwrap();
        let (alarms, dashboards) = monitoring(&doc);
        assert_eq!(
            alarms,
            vec![("A".into(), 1), ("B".into(), 2), ("C".into(), 3)]
        );
        assert_eq!(dashboards, 1);
        let fixed = Fixed {
            schedules: vec![Scheduled {
                schedule: "R.E".into(),
                function: "R".into(),
                expression: "rate(1 minute)".into(),
                runs_a_month: 10.0,
            }],
            secrets: vec!["s".into()],
            alarms,
            dashboards,
        };
        let per_run = BTreeMap::from([(
            "R.E".to_string(),
            Counts {
                read_units: 0.5,
                ..Counts::default()
            },
        )]);
        let m = month(&fixed, &per_run, 4.0);
        assert_eq!(
            (
                m.read_units,
                m.scheduler_invocations,
                m.secrets,
                m.alarm_metrics,
                m.custom_metrics
            ),
            (5.0, 10.0, 1.0, 6.0, 4.0)
        );
    }
}
