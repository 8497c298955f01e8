use super::*;
use std::collections::BTreeMap;

/// Each function's `Timeout` in `template.yaml` (its own, or the Globals one).
fn template_timeouts() -> BTreeMap<String, Duration> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml");
    let template = sam_template::Template::read(std::path::Path::new(path)).unwrap();
    let functions = template.functions().unwrap();
    functions
        .into_iter()
        .map(|f| (f.logical_id, Duration::from_secs(f.timeout_secs)))
        .collect()
}

#[test]
fn the_template_is_read_as_expected() {
    let timeouts = template_timeouts();
    assert_eq!(timeouts["DecisionApiFunction"], Duration::from_secs(25));
    assert_eq!(
        timeouts["SlackExpirySweeperFunction"],
        Duration::from_secs(60)
    );
    assert!(timeouts.len() >= 14, "{timeouts:?}");
}

#[test]
fn every_function_of_the_template_is_in_the_catalog_and_every_entry_in_the_template() {
    let timeouts = template_timeouts();
    for name in timeouts.keys() {
        assert!(
            function_catalog::by_logical_id(name).is_some(),
            "{name} is in template.yaml but not in function_catalog::FUNCTIONS"
        );
    }
    for function in function_catalog::FUNCTIONS {
        assert!(
            timeouts.contains_key(function.logical_id),
            "{} is not a function of template.yaml",
            function.logical_id
        );
    }
}

#[test]
fn every_worst_case_fits_in_the_function_timeout() {
    let timeouts = template_timeouts();
    for b in budgets() {
        let timeout = timeouts[b.function.logical_id];
        let worst = b.worst_case_ungated() + HANDLER_MARGIN;
        let limit = b.answer_within().unwrap_or(timeout);
        println!(
            "{:<32} {:<20} {:>5} ms (+{:>4} ms if time is left, +{:>4} ms to build again) of {:>5} ms",
            b.function.logical_id,
            b.budget.path,
            b.worst_case().as_millis(),
            (b.worst_case_ungated() - b.worst_case() - b.build_again()).as_millis(),
            b.build_again().as_millis(),
            limit.as_millis()
        );
        assert!(
            worst < timeout,
            "{} ({}): {worst:?} with the margin, timeout {timeout:?}",
            b.function.logical_id,
            b.budget.path
        );
    }
}

/// The hard limit of each deadline: Slack's 3 s, Teams' invoke limit.
fn hard_limit(deadline: function_catalog::Deadline) -> Duration {
    match deadline {
        function_catalog::Deadline::SlackAnswer => Duration::from_secs(3),
        function_catalog::Deadline::TeamsAnswer => TEAMS_INVOKE_LIMIT,
    }
}

#[test]
fn the_clicks_answer_within_slacks_and_teams_limits() {
    let clicks: Vec<_> = budgets().filter(|b| b.answer_within().is_some()).collect();
    assert!(clicks.len() >= 3);
    for b in clicks {
        let within = b.answer_within().unwrap();
        assert!(within < hard_limit(b.budget.answer_within.unwrap()));
        assert!(
            b.build_again() + b.worst_case() + SLACK_ANSWER_MARGIN <= within,
            "{}: the calls every click makes take {:?}",
            b.budget.path,
            b.worst_case()
        );
        for call in b.budget.if_time_left {
            assert!(worst(call.worst) <= within, "{} can never fit", call.what);
        }
    }
    let click = budgets().find(|b| b.budget.path == "Slack click").unwrap();
    assert!(
        click.worst_case() <= SLACK_RECORD_WITHIN,
        "the read and the decision write fit in the record budget"
    );
    let teams = budgets()
        .find(|b| b.budget.path == "Teams card click")
        .unwrap();
    assert!(
        teams.answer_within().unwrap() <= TEAMS_ANSWER_WITHIN,
        "a Teams click is answered within what Teams waits"
    );
}

#[test]
fn the_sdk_limits_nest() {
    for t in [TASK_SDK, INTERACTIVE_SDK, INIT_SDK, LINK_SDK] {
        assert!(t.connect <= t.attempt && t.read <= t.attempt);
        assert!(t.attempt <= t.operation);
        assert!(t.max_attempts >= 1 && t.initial_backoff <= t.max_backoff);
        let config = t.timeout_config();
        assert_eq!(config.operation_timeout(), Some(t.operation));
        assert_eq!(config.operation_attempt_timeout(), Some(t.attempt));
        assert_eq!(t.retry_config().max_attempts(), t.max_attempts);
    }
    assert!(INTERACTIVE_SDK.operation < TASK_SDK.operation);
}

#[test]
fn the_interactive_config_keeps_everything_but_the_limits() {
    let base = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("eu-west-1"))
        .endpoint_url("http://127.0.0.1:4566")
        .timeout_config(TASK_SDK.timeout_config())
        .build();
    let click = crate::sdk_config::interactive_sdk_config(&base);
    assert_eq!(click.endpoint_url(), Some("http://127.0.0.1:4566"));
    assert_eq!(click.region().map(|r| r.as_ref()), Some("eu-west-1"));
    let timeouts = click.timeout_config().unwrap();
    assert_eq!(
        timeouts.operation_timeout(),
        Some(INTERACTIVE_SDK.operation)
    );
    assert_eq!(timeouts.connect_timeout(), Some(INTERACTIVE_SDK.connect));
    assert_eq!(
        click.retry_config().unwrap().max_attempts(),
        INTERACTIVE_SDK.max_attempts
    );
}
