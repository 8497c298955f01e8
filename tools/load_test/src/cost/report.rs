//! The cost report: a month idle per setup, per 1,000 approvals per channel (by service), the
//! measured counts per approval, and what is not counted; as Markdown (printed, and written
//! to `docs/COST.md` with `--write`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use local_stack::edge::meter::LambdaUse;

use super::prices::{dollars, Counts, SERVICES, US_EAST_1};
use super::usage::{counts, ColdStart};
use super::{idle, CostConfig, Measured, Phase};

/// `$1.23`, `$0.0123`, `$0.000123`: enough digits to see small amounts.
pub fn money(x: f64) -> String {
    if x >= 1.0 {
        format!("${x:.2}")
    } else if x >= 0.01 {
        format!("${x:.4}")
    } else {
        format!("${x:.6}")
    }
}

impl Measured {
    /// Billable counts per 1,000 approvals of a phase.
    pub fn per_thousand(&self, phase: &Phase) -> Counts {
        counts(&phase.usage, &self.memory_mb, self.storage_months)
            .scaled(1000.0 / phase.approvals.max(1) as f64)
    }

    /// A month of the setup `fixed` with no approval.
    pub fn idle_month(&self, fixed: &idle::Fixed) -> Counts {
        let per_run: BTreeMap<String, Counts> = self
            .schedules
            .iter()
            .map(|(name, (used, runs))| {
                (
                    name.clone(),
                    counts(used, &self.memory_mb, self.storage_months)
                        .scaled(1.0 / (*runs).max(1) as f64),
                )
            })
            .collect();
        idle::month(fixed, &per_run, self.metrics.1 as f64)
    }

    pub fn failures(&self) -> Vec<String> {
        self.phases
            .iter()
            .flat_map(|p| {
                p.failures
                    .iter()
                    .map(move |f| format!("{}: {f}", p.channel.name()))
            })
            .collect()
    }

    /// The whole report as Markdown.
    pub fn markdown(&self, config: &CostConfig, date: &str) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# What hitl costs\n");
        let _ = writeln!(
            md,
            "Generated on {date} by `{}` on the local stack: {} approvals per channel, each decided once \
             as a person would, every billable call counted by the stack's meter (`edge::meter`), \
             priced at us-east-1 list prices (on demand, no free tier; Lambda on {}). Run it again \
             after a change: the figures are measured, not guessed.\n",
            config.command,
            config.approvals,
            if self.arm { "arm64" } else { "x86_64" }
        );
        self.idle_section(&mut md);
        self.approvals_section(&mut md);
        self.measured_section(&mut md);
        self.cold_start_section(&mut md);
        md.push_str(NOT_COUNTED);
        md
    }

    fn idle_section(&self, md: &mut String) {
        let _ = writeln!(md, "## Idle: a month with no approval\n");
        let months: Vec<[f64; 10]> = self
            .fixed
            .iter()
            .map(|(_, f)| dollars(&self.idle_month(f), &US_EAST_1, self.arm))
            .collect();
        let names: Vec<&str> = self.fixed.iter().map(|(n, _)| *n).collect();
        table(md, "service", &names, &months);
        let _ = writeln!(md, "\nWhat makes it:\n");
        self.fixed_costs(md);
        self.schedule_run_costs(md);
        let (all, scheduled) = self.metrics;
        let _ = writeln!(
            md,
            "\nThe functions emitted {all} distinct custom metrics during the run (Embedded Metric \
             Format; their dimensions are bounded: function, channel, error, vendor). CloudWatch \
             bills a metric by the hours it gets data: the idle figure holds the {scheduled} the \
             schedules publish every minute; a stack with approvals every hour pays for all {all}, \
             {} a month.\n",
            money(all as f64 * US_EAST_1.custom_metric_month)
        );
    }

    /// What each service pays for while idle: its schedules, secrets, alarms and dashboards.
    fn fixed_costs(&self, md: &mut String) {
        for (name, fixed) in &self.fixed {
            let schedules: Vec<String> = fixed
                .schedules
                .iter()
                .map(|s| {
                    format!(
                        "{} `{}` ({:.0} runs)",
                        s.schedule, s.expression, s.runs_a_month
                    )
                })
                .collect();
            let alarm_metrics: u64 = fixed.alarms.iter().map(|(_, m)| m).sum();
            let _ = writeln!(
                md,
                "- **{name}**: schedules: {}. Secrets: {} ({}). Alarms: {} ({alarm_metrics} billed \
                 alarm metrics). Dashboards: {}. Custom metrics the scheduled functions emit: {}.",
                if schedules.is_empty() { "none".to_string() } else { schedules.join(", ") },
                fixed.secrets.len(),
                fixed.secrets.join(", "),
                fixed.alarms.len(),
                fixed.dashboards,
                self.metrics.1
            );
        }
    }

    /// One run of each schedule, measured: its Lambda time, DynamoDB units, secret reads, logs.
    fn schedule_run_costs(&self, md: &mut String) {
        for (name, (used, runs)) in &self.schedules {
            let c = counts(used, &self.memory_mb, self.storage_months)
                .scaled(1.0 / (*runs).max(1) as f64);
            let secrets = used
                .calls
                .get("secretsmanager.GetSecretValue")
                .copied()
                .unwrap_or(0);
            let _ = writeln!(
                md,
                "- One run of {name} (mean of {runs}): {:.1} Lambda ms at {} MB, {:.1} read units, \
                 {:.1} write units, {:.2} `GetSecretValue`, {:.0} log bytes (with Lambda's records).",
                c.lambda_mb_ms / self.memory_of(name) as f64,
                self.memory_of(name),
                c.read_units,
                c.write_units,
                secrets as f64 / (*runs).max(1) as f64,
                c.logs_bytes
            );
        }
    }

    fn memory_of(&self, schedule: &str) -> u64 {
        let function = schedule.split('.').next().unwrap_or(schedule);
        self.memory_mb.get(function).copied().unwrap_or(128)
    }

    /// Cold starts, on average over the phases.
    fn cold_start(&self) -> ColdStart {
        ColdStart::of(self.phases.iter().map(|p| &p.usage))
    }

    /// Dollars per 1,000 approvals of a phase if every invocation started a process.
    fn quiet_extra(&self, phase: &Phase) -> f64 {
        let invocations: u64 = phase.usage.lambda.values().map(|l| l.invocations).sum();
        let per_thousand = invocations as f64 * 1000.0 / phase.approvals.max(1) as f64;
        let counts = self.cold_start().counts(per_thousand, 128);
        dollars(&counts, &US_EAST_1, self.arm).iter().sum()
    }

    fn approvals_section(&self, md: &mut String) {
        let _ = writeln!(md, "## Per 1,000 approvals\n");
        let names: Vec<&str> = self.phases.iter().map(|p| p.channel.name()).collect();
        let costs: Vec<[f64; 10]> = self
            .phases
            .iter()
            .map(|p| dollars(&self.per_thousand(p), &US_EAST_1, self.arm))
            .collect();
        table(md, "service", &names, &costs);
        let extra: Vec<f64> = self.phases.iter().map(|p| self.quiet_extra(p)).collect();
        let cells = |f: &dyn Fn(usize) -> f64| {
            extra
                .iter()
                .enumerate()
                .map(|(i, _)| money(f(i)))
                .collect::<Vec<_>>()
                .join(" | ")
        };
        let _ = writeln!(
            md,
            "| cold starts, if every invocation starts a process | {} |",
            cells(&|i| extra[i])
        );
        let _ = writeln!(
            md,
            "| **total, a quiet stack (upper bound)** | {} |",
            cells(&|i| costs[i].iter().sum::<f64>() + extra[i])
        );
        let _ = writeln!(
            md,
            "\nThe total is a busy stack's: processes already running. A quiet stack, where approvals \
             come minutes apart, starts processes for them: the row below it prices a start for \
             every invocation (see Cold starts).\n\n\
             Email: one approver, who opens the emailed link's page and confirms it; Slack: one \
             click on the message; Teams: a Workflows-webhook card, whose Approve button opens the \
             same signed link (page, then confirm). The flows are `EmailApprovalStateMachine`, \
             `SlackApprovalStateMachine` and a one-Task Teams workflow (the README's `AskInTeams`, \
             then a Choice); a Task of yours costs its own transitions beside these.\n"
        );
    }

    fn measured_section(&self, md: &mut String) {
        let _ = writeln!(md, "## Measured, per approval\n");
        let names: Vec<&str> = self.phases.iter().map(|p| p.channel.name()).collect();
        let _ = writeln!(
            md,
            "| count | {} |\n|---|{}",
            names.join(" | "),
            "---:|".repeat(names.len())
        );
        // Each label once, in the order the phases first show it; a phase without it has 0.
        let rows: Vec<Vec<(String, f64)>> = self.phases.iter().map(measured_rows).collect();
        let mut labels: Vec<&String> = Vec::new();
        for (label, _) in rows.iter().flatten() {
            if !labels.contains(&label) {
                labels.push(label);
            }
        }
        for label in labels {
            let cells: Vec<String> = rows
                .iter()
                .zip(&self.phases)
                .map(|(r, p)| {
                    let total = r.iter().find(|(l, _)| l == label).map_or(0.0, |(_, v)| *v);
                    format!("{:.2}", total / p.approvals.max(1) as f64)
                })
                .collect();
            let _ = writeln!(md, "| {label} | {} |", cells.join(" | "));
        }
        let unattributed: u64 = self.phases.iter().map(|p| p.unattributed).sum();
        let took: Vec<String> = self
            .phases
            .iter()
            .map(|p| format!("{} {:.0} s", p.channel.name(), p.took.as_secs_f64()))
            .collect();
        let _ = writeln!(
            md,
            "\nPhases took {}; {unattributed} calls could not be tied to a process and were left out.\n",
            took.join(", ")
        );
    }

    fn cold_start_section(&self, md: &mut String) {
        let cold = self.cold_start();
        let _ = writeln!(md, "## Cold starts\n");
        if cold.starts == 0 {
            let _ = writeln!(md, "No process started during the phases.\n");
            return;
        }
        let one: f64 = dollars(&cold.counts(1.0, 128), &US_EAST_1, self.arm)
            .iter()
            .sum();
        let _ = writeln!(
            md,
            "The phases started {} processes (the stack starts one per function before them; \
             more start as approvals overlap): {:.0} ms of init each on average, billed on \
             `provided.al2023`, and {:.2} `GetSecretValue` calls each (a process reads its secrets \
             when it starts). One start costs about {} at \
             128 MB. Local init runs debug builds against moto on a shared machine: slower than \
             on AWS, so this is an upper bound too.\n",
            cold.starts,
            cold.init_ms,
            cold.secret_calls,
            money(one)
        );
    }
}

/// A phase's measured totals, labelled: the billed units, then each call by operation, each
/// stand-in call, each function's invocations.
fn measured_rows(p: &Phase) -> Vec<(String, f64)> {
    let u = &p.usage;
    let lambda = |f: fn(&LambdaUse) -> u64| u.lambda.values().map(f).sum::<u64>() as f64;
    let mut rows: Vec<(String, f64)> = [
        ("Lambda invocations", lambda(|l| l.invocations)),
        ("Lambda billed ms (invocations)", lambda(|l| l.billed_ms)),
        (
            "Lambda cold starts (in the phase)",
            lambda(|l| l.cold_starts),
        ),
        ("Lambda init ms (billed)", lambda(|l| l.init_ms)),
        (
            "DynamoDB read request units",
            u.capacity.read_halves as f64 / 2.0,
        ),
        (
            "DynamoDB write request units (table)",
            u.capacity.write_units as f64,
        ),
        (
            "DynamoDB write request units (indexes)",
            u.capacity.index_write_units as f64,
        ),
        ("DynamoDB bytes stored", u.stored_bytes as f64),
        ("Step Functions state transitions", u.transitions as f64),
        (
            "HTTP API requests",
            u.http_requests.values().sum::<u64>() as f64,
        ),
        ("SES emails (recipients)", u.emails as f64),
        ("function log bytes", u.log_bytes as f64),
    ]
    .into_iter()
    .map(|(label, v)| (label.to_string(), v))
    .collect();
    rows.extend(u.calls.iter().map(|(c, n)| (format!("`{c}`"), *n as f64)));
    rows.extend(
        u.standins
            .iter()
            .map(|(c, n)| (format!("`{c}` (free)"), *n as f64)),
    );
    rows.extend(
        u.lambda
            .iter()
            .filter(|(_, l)| l.invocations > 0)
            .map(|(f, l)| (format!("{f} invocations"), l.invocations as f64)),
    );
    rows
}

/// A table of dollars per service (rows) for each column, with a total row.
fn table(md: &mut String, first: &str, columns: &[&str], costs: &[[f64; 10]]) {
    let _ = writeln!(
        md,
        "| {first} | {} |\n|---|{}",
        columns.join(" | "),
        "---:|".repeat(columns.len())
    );
    for (i, service) in SERVICES.iter().enumerate() {
        let cells: Vec<String> = costs.iter().map(|c| money(c[i])).collect();
        let _ = writeln!(md, "| {service} | {} |", cells.join(" | "));
    }
    let totals: Vec<String> = costs
        .iter()
        .map(|c| format!("**{}**", money(c.iter().sum())))
        .collect();
    let _ = writeln!(md, "| **total** | {} |", totals.join(" | "));
}

const NOT_COUNTED: &str = "## Not counted

- Data transfer (out to the internet: the pages, the emails' bodies, Slack and Teams calls).
- KMS: the secrets use the AWS managed key `aws/secretsmanager`, which costs nothing. The table
  (`SSEEnabled`) uses the AWS managed key `aws/dynamodb`, whose KMS requests are billed ($0.03 per
  10,000) but few: DynamoDB caches the table's key and asks KMS again only every few minutes
  while the table is used.
- CloudWatch Logs storage ($0.03 per GB-month, kept `LogRetentionDays`) and Step Functions
  execution logging, when its level is raised. Log ingestion counts the functions' own lines as
  measured, plus an estimated 500 bytes of Lambda platform records per invocation and 350 bytes
  of HttpApi access log per request.
- Free tiers (Lambda, Step Functions' 4,000 transitions, DynamoDB's 25 GB, CloudWatch's 10
  alarms, 10 metrics and 3 dashboards, X-Ray's 100,000 traces): every figure is before them.
- X-Ray traces are an upper bound: one per execution, request and scheduled run, as if every
  one were sampled (the default rule samples 1 a second and 5 % beyond).
- Slack, Teams and Jira calls cost nothing on AWS; they are counted above, not priced.
- CloudFront and AWS WAF (`EdgeProtection`, off by default); the weekly RDS review's schedule
  (an example, off by default).
- Lambda durations are measured locally: debug builds against moto on a shared 2-core machine,
  so they are higher than on AWS (the Lambda lines are an upper bound).
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_keeps_small_amounts_visible() {
        assert_eq!(money(12.345), "$12.35");
        assert_eq!(money(0.0512), "$0.0512");
        assert_eq!(money(0.000_123_4), "$0.000123");
    }
}
