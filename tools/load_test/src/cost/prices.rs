//! us-east-1 list prices (on-demand, no free tier) and the arithmetic from counts to dollars.
//!
//! Sources, as of the date `docs/COST.md` carries: "AWS Lambda pricing" (Arm: per GB-second and
//! per request), "Amazon DynamoDB pricing for On-Demand capacity" (read/write request units,
//! data storage, continuous backups), "AWS Step Functions pricing" (Standard workflows, per
//! state transition), "Amazon API Gateway pricing" (HTTP APIs, first 300 million), "AWS
//! Secrets Manager pricing" (per secret-month, per 10,000 API calls), "Amazon SES pricing"
//! (outbound email), "Amazon CloudWatch pricing" (standard alarms per alarm metric, custom
//! metrics first 10,000, dashboards, Logs standard ingestion), "Amazon EventBridge pricing"
//! (Scheduler invocations), "AWS X-Ray pricing" (traces recorded).

/// Dollars per unit.
#[derive(Debug, Clone, Copy)]
pub struct Prices {
    pub lambda_arm_gb_second: f64,
    pub lambda_x86_gb_second: f64,
    pub lambda_request: f64,
    pub dynamodb_read_unit: f64,
    pub dynamodb_write_unit: f64,
    pub dynamodb_gb_month: f64,
    pub dynamodb_pitr_gb_month: f64,
    pub sfn_transition: f64,
    pub http_api_request: f64,
    pub secret_month: f64,
    pub secret_call: f64,
    pub ses_email: f64,
    pub alarm_metric_month: f64,
    pub custom_metric_month: f64,
    pub dashboard_month: f64,
    pub logs_ingested_gb: f64,
    pub scheduler_invocation: f64,
    pub xray_trace: f64,
}

pub const US_EAST_1: Prices = Prices {
    lambda_arm_gb_second: 0.000_013_333_4,
    lambda_x86_gb_second: 0.000_016_666_7,
    lambda_request: 0.20 / 1e6,
    dynamodb_read_unit: 0.125 / 1e6,
    dynamodb_write_unit: 0.625 / 1e6,
    dynamodb_gb_month: 0.25,
    dynamodb_pitr_gb_month: 0.20,
    sfn_transition: 0.025 / 1e3,
    http_api_request: 1.00 / 1e6,
    secret_month: 0.40,
    secret_call: 0.05 / 1e4,
    ses_email: 0.10 / 1e3,
    alarm_metric_month: 0.10,
    custom_metric_month: 0.30,
    dashboard_month: 3.00,
    logs_ingested_gb: 0.50,
    scheduler_invocation: 1.00 / 1e6,
    xray_trace: 5.00 / 1e6,
};

/// What was used, in the units AWS bills.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    pub lambda_requests: f64,
    /// Σ billed milliseconds × configured memory (MB).
    pub lambda_mb_ms: f64,
    pub read_units: f64,
    pub write_units: f64,
    /// GB kept for a month (items and index entries × how long records live).
    pub stored_gb_months: f64,
    pub transitions: f64,
    pub http_requests: f64,
    pub secret_calls: f64,
    pub secrets: f64,
    pub emails: f64,
    pub logs_bytes: f64,
    pub scheduler_invocations: f64,
    pub traces: f64,
    pub alarm_metrics: f64,
    pub custom_metrics: f64,
    pub dashboards: f64,
}

impl Counts {
    /// Every count times `factor` (e.g. per phase → per 1,000 approvals).
    pub fn scaled(&self, factor: f64) -> Counts {
        let mut c = *self;
        for v in c.fields_mut() {
            *v *= factor;
        }
        c
    }

    pub fn plus(&self, other: &Counts) -> Counts {
        let mut c = *self;
        let theirs = other.fields();
        for (v, o) in c.fields_mut().into_iter().zip(theirs) {
            *v += o;
        }
        c
    }

    fn fields(&self) -> [f64; 16] {
        let mut c = *self;
        c.fields_mut().map(|v| *v)
    }

    fn fields_mut(&mut self) -> [&mut f64; 16] {
        [
            &mut self.lambda_requests,
            &mut self.lambda_mb_ms,
            &mut self.read_units,
            &mut self.write_units,
            &mut self.stored_gb_months,
            &mut self.transitions,
            &mut self.http_requests,
            &mut self.secret_calls,
            &mut self.secrets,
            &mut self.emails,
            &mut self.logs_bytes,
            &mut self.scheduler_invocations,
            &mut self.traces,
            &mut self.alarm_metrics,
            &mut self.custom_metrics,
            &mut self.dashboards,
        ]
    }
}

/// The services a bill breaks down into, in the order the tables show them.
pub const SERVICES: [&str; 10] = [
    "Lambda",
    "DynamoDB",
    "Step Functions",
    "API Gateway (HTTP API)",
    "Secrets Manager",
    "SES",
    "CloudWatch (alarms, metrics, dashboards)",
    "CloudWatch Logs (ingestion)",
    "EventBridge Scheduler",
    "X-Ray",
];

/// Dollars per service (in [`SERVICES`] order) for `counts`; `arm`: Lambda on arm64.
pub fn dollars(counts: &Counts, prices: &Prices, arm: bool) -> [f64; 10] {
    let c = counts;
    let gb_second = if arm {
        prices.lambda_arm_gb_second
    } else {
        prices.lambda_x86_gb_second
    };
    let gb_seconds = c.lambda_mb_ms / 1024.0 / 1000.0;
    [
        c.lambda_requests * prices.lambda_request + gb_seconds * gb_second,
        c.read_units * prices.dynamodb_read_unit
            + c.write_units * prices.dynamodb_write_unit
            + c.stored_gb_months * (prices.dynamodb_gb_month + prices.dynamodb_pitr_gb_month),
        c.transitions * prices.sfn_transition,
        c.http_requests * prices.http_api_request,
        c.secrets * prices.secret_month + c.secret_calls * prices.secret_call,
        c.emails * prices.ses_email,
        c.alarm_metrics * prices.alarm_metric_month
            + c.custom_metrics * prices.custom_metric_month
            + c.dashboards * prices.dashboard_month,
        c.logs_bytes / 1e9 * prices.logs_ingested_gb,
        c.scheduler_invocations * prices.scheduler_invocation,
        c.traces * prices.xray_trace,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn counts_become_dollars_per_service() {
        let counts = Counts {
            lambda_requests: 1e6,
            // 1,000,000 invocations of 100 ms at 128 MB: 12,500 GB-s.
            lambda_mb_ms: 1e6 * 100.0 * 128.0,
            read_units: 2e6,
            write_units: 1e6,
            stored_gb_months: 2.0,
            transitions: 4000.0,
            http_requests: 3e6,
            secret_calls: 20_000.0,
            secrets: 3.0,
            emails: 1000.0,
            logs_bytes: 2e9,
            scheduler_invocations: 1e6,
            traces: 1e6,
            alarm_metrics: 5.0,
            custom_metrics: 10.0,
            dashboards: 1.0,
        };
        let d = dollars(&counts, &US_EAST_1, true);
        assert!(close(d[0], 0.20 + 12_500.0 * 0.000_013_333_4), "{}", d[0]);
        assert!(close(d[1], 0.25 + 0.625 + 2.0 * 0.45), "{}", d[1]);
        assert!(close(d[2], 0.10));
        assert!(close(d[3], 3.0));
        assert!(close(d[4], 1.20 + 0.10));
        assert!(close(d[5], 0.10));
        assert!(close(d[6], 0.50 + 3.00 + 3.00));
        assert!(close(d[7], 1.00));
        assert!(close(d[8], 1.00));
        assert!(close(d[9], 5.00));
        let x86 = dollars(&counts, &US_EAST_1, false);
        assert!(x86[0] > d[0], "x86 costs more per GB-s");
        let half = dollars(&counts.scaled(0.5), &US_EAST_1, true);
        assert!(close(half[2], 0.05));
        assert!(close(counts.plus(&counts).transitions, 8000.0));
    }
}
