use super::*;

fn config(json: &str) -> Config {
    Config::parse(json).unwrap()
}

#[test]
fn parses_rules_and_kills_with_defaults() {
    let c = config(
        r#"{"rules":[{"service":"sfn","operation":"SendTaskSuccess","errorRate":0.05,"throttleRate":0.05},
                     {"service":"slack","latencyMs":200}],
            "kill":[{"function":"DecisionApiFunction","afterCall":"dynamodb.UpdateItem","bodyContains":"decidedAt","rate":0.02}],
            "seed":7}"#,
    );
    assert_eq!(c.rules.len(), 2);
    assert_eq!(c.rules[1].error_rate, 0.0);
    assert_eq!(c.rules[1].latency_ms, 200);
    assert_eq!(c.kill[0].rate, 0.02);
    assert_eq!(c.seed, Some(7));
    let default_rate = config(r#"{"kill":[{"function":"F","afterCall":"sfn.SendTaskSuccess"}]}"#);
    assert_eq!(
        default_rate.kill[0].rate, 1.0,
        "a kill rule without rate always kills"
    );
}

#[test]
fn refuses_what_would_be_silently_ignored() {
    for bad in [
        r#"{"rules":[{"service":"lambda"}]}"#,
        r#"{"rules":[{"service":"sfn","errorRate":0.7,"throttleRate":0.5}]}"#,
        r#"{"rules":[{"service":"sfn","errorrate":0.1}]}"#,
        r#"{"kill":[{"function":"F","afterCall":"UpdateItem"}]}"#,
        r#"{"kill":[{"function":"F","afterCall":"s3.PutObject"}]}"#,
        r#"{"rule":[]}"#,
    ] {
        assert!(Config::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn reads_a_file_after_an_at_sign() {
    let path = std::env::temp_dir().join(format!("faults-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&path, r#"{"rules":[{"service":"ses","throttleRate":1}]}"#).unwrap();
    let c = Config::parse(&format!("@{}", path.display())).unwrap();
    assert_eq!(c.rules[0].service, Service::Ses);
    assert!(Config::parse("@/nonexistent/faults.json").is_err());
}

/// A rule with `bodyContains` hits only the calls whose body names it: one secret of several.
#[test]
fn a_rule_can_target_calls_by_what_their_body_contains() {
    let c = config(
        r#"{"rules":[{"service":"secretsmanager","operation":"GetSecretValue","bodyContains":"slack-signing-secret","errorRate":1}]}"#,
    );
    let slack = br#"{"SecretId":"hitl/slack-signing-secret"}"#;
    let keys = br#"{"SecretId":"hitl/link-signing-keys"}"#;
    let pick = |body: &[u8]| select(&c.rules, Service::SecretsManager, "GetSecretValue", body);
    assert_eq!(pick(slack).unwrap().error_rate, 1.0);
    assert!(pick(keys).is_none());
    let faults = Faults::new(c.clone(), Some(1));
    assert!(faults
        .decide(Service::SecretsManager, "GetSecretValue", slack)
        .inject
        .is_some());
    assert!(faults
        .decide(Service::SecretsManager, "GetSecretValue", keys)
        .inject
        .is_none());
}

#[test]
fn the_rule_naming_the_operation_wins() {
    let c = config(
        r#"{"rules":[{"service":"sfn","errorRate":1},{"service":"sfn","operation":"SendTaskSuccess","throttleRate":1}]}"#,
    );
    let pick = |op: &str| select(&c.rules, Service::Sfn, op, b"").cloned();
    assert_eq!(pick("SendTaskSuccess").unwrap().throttle_rate, 1.0);
    assert_eq!(pick("StartExecution").unwrap().error_rate, 1.0);
    assert!(select(&c.rules, Service::Dynamodb, "GetItem", b"").is_none());
}

#[test]
fn rates_are_honoured_and_a_seed_repeats_the_run() {
    let c = config(
        r#"{"rules":[{"service":"dynamodb","operation":"UpdateItem","errorRate":0.1,"throttleRate":0.2}]}"#,
    );
    let run = |seed| {
        let faults = Faults::new(c.clone(), Some(seed));
        (0..10_000)
            .map(|_| faults.decide(Service::Dynamodb, "UpdateItem", b"").inject)
            .collect::<Vec<_>>()
    };
    let a = run(42);
    assert_eq!(a, run(42), "same seed, same faults");
    assert_ne!(a, run(43));
    let errors = a.iter().filter(|d| **d == Some(Injected::Error)).count();
    let throttles = a.iter().filter(|d| **d == Some(Injected::Throttle)).count();
    assert!((800..1200).contains(&errors), "{errors}");
    assert!((1700..2300).contains(&throttles), "{throttles}");
    let untouched = Faults::new(c, Some(1));
    assert_eq!(
        untouched.decide(Service::Dynamodb, "GetItem", b""),
        Decision::default()
    );
}

#[test]
fn counters_count_calls_faults_and_kills() {
    let faults = Faults::new(
        config(
            r#"{"rules":[{"service":"sfn","operation":"SendTaskSuccess","errorRate":1,"latencyMs":5}],
                "kill":[{"function":"DecisionApiFunction","afterCall":"dynamodb.UpdateItem","bodyContains":"decidedAt","rate":1}]}"#,
        ),
        Some(3),
    );
    let d = faults.decide(Service::Sfn, "SendTaskSuccess", b"");
    assert_eq!(d.inject, Some(Injected::Error));
    assert_eq!(d.delay, Duration::from_millis(5));
    faults.decide(Service::Sfn, "DescribeExecution", b"");
    assert!(faults
        .kill_candidates(
            "dynamodb.UpdateItem",
            br#"{"UpdateExpression":"SET resumedAt = :n"}"#,
            true
        )
        .is_empty());
    let decision = br#"{":decidedAt":{"N":"1"}}"#;
    assert!(
        faults
            .kill_candidates("dynamodb.UpdateItem", decision, false)
            .is_empty(),
        "a conditional write that lost is no decision write"
    );
    let candidates = faults.kill_candidates("dynamodb.UpdateItem", decision, true);
    assert_eq!(candidates, vec![(0, "DecisionApiFunction".to_string())]);
    assert!(faults.roll_kill(0));
    let s = faults.snapshot();
    assert_eq!(s["seed"], 3);
    assert_eq!(s["counters"]["calls"]["sfn.SendTaskSuccess"]["errors"], 1);
    assert_eq!(s["counters"]["calls"]["sfn.SendTaskSuccess"]["delayed"], 1);
    assert_eq!(s["counters"]["calls"]["sfn.DescribeExecution"]["calls"], 1);
    assert_eq!(s["counters"]["kills"]["DecisionApiFunction"]["killed"], 1);
}

#[test]
fn replacing_the_config_keeps_counters_and_reseeds() {
    let faults = Faults::new(
        config(r#"{"rules":[{"service":"ses","errorRate":1}]}"#),
        Some(1),
    );
    faults.decide(Service::Ses, "SendEmail", b"");
    faults.replace(config(r#"{"seed":9}"#));
    assert_eq!(faults.seed(), 9);
    assert_eq!(faults.decide(Service::Ses, "SendEmail", b"").inject, None);
    assert_eq!(
        faults.snapshot()["counters"]["calls"]["ses.SendEmail"]["calls"],
        2
    );
}
