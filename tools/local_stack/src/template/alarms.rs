//! `AWS::CloudWatch::Alarm`s whose condition holds, with their properties resolved (the
//! stack's parameters, its name) and read by [`crate::alarms::from_properties`].

use crate::alarms::AlarmDef;

/// The stack's alarm from the template's, its properties resolved by `sam_template`.
pub(super) fn alarm(alarm: &sam_template::Alarm) -> AlarmDef {
    crate::alarms::from_properties(&alarm.logical_id, &alarm.properties)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::alarms::{Source, TreatMissing};
    use crate::metrics::MetricKey;

    const TEMPLATE: &str = r#"
Parameters:
  BacklogAgeAlarmSeconds: {Type: Number, Default: 900}
  AlarmTopic: {Type: String, Default: ""}
Conditions:
  Notify: !Not [!Equals [!Ref AlarmTopic, ""]]
Resources:
  DecisionApiFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: decision-api}}
    Properties: {CodeUri: x}
  Backlog:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: !Sub "${AWS::StackName}-oldest-undelivered-decision"
      Namespace: !Sub "Hitl/${AWS::StackName}"
      MetricName: OldestUndeliveredAgeSeconds
      Statistic: Maximum
      Period: 60
      EvaluationPeriods: 1
      Threshold: !Ref BacklogAgeAlarmSeconds
      ComparisonOperator: GreaterThanThreshold
      TreatMissingData: notBreaching
      AlarmActions: !If [Notify, [!Ref AlarmTopic], !Ref AWS::NoValue]
  Errors:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/Lambda
      MetricName: Errors
      Dimensions: [{Name: FunctionName, Value: !Ref DecisionApiFunction}]
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: 0
      ComparisonOperator: GreaterThanThreshold
  OnlyWithTopic:
    Type: AWS::CloudWatch::Alarm
    Condition: Notify
    Properties: {}
"#;

    #[test]
    fn alarms_are_read_with_the_stack_s_parameters_and_name() {
        let dir = std::env::temp_dir().join(format!("hitl-alarms-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("template.yaml"), TEMPLATE).unwrap();
        let overrides = BTreeMap::from([("BacklogAgeAlarmSeconds".to_string(), "20".to_string())]);
        let template = sam_template::Template::read(&dir.join("template.yaml")).unwrap();
        let stack =
            super::super::deploy(&template, "http://x", &overrides, &|_| String::new()).unwrap();
        assert_eq!(stack.alarms.len(), 2, "the conditional alarm is left out");
        let backlog = &stack.alarms[0];
        assert_eq!(backlog.name, "hitl-local-oldest-undelivered-decision");
        let rule = backlog.rule.as_ref().unwrap();
        assert_eq!(rule.threshold, 20.0);
        assert_eq!(rule.treat_missing, TreatMissing::NotBreaching);
        let key = MetricKey::new("Hitl/hitl-local", "OldestUndeliveredAgeSeconds", &[]);
        assert!(matches!(&rule.source, Source::Metric(m) if m.key == key));
        let errors = stack.alarms[1].rule.as_ref().unwrap();
        let key = MetricKey::new(
            "AWS/Lambda",
            "Errors",
            &[("FunctionName", "DecisionApiFunction")],
        );
        assert!(
            matches!(&errors.source, Source::Metric(m) if m.key == key),
            "the pool's name"
        );
    }
}

/// Every alarm of the product's template is one the local stack evaluates: its definition is
/// read, and each metric it reads has a local source (so none sits in `INSUFFICIENT_DATA`).
#[cfg(test)]
#[test]
fn every_alarm_of_the_product_s_template_is_evaluated_locally() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
    let stack = crate::template::load(&path, "http://x", &Default::default(), |_| {
        "generated".into()
    })
    .unwrap();
    for alarm in &stack.alarms {
        let rule = alarm
            .rule
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {e}", alarm.logical_id));
        for key in rule.metrics() {
            let local = match key.namespace.as_str() {
                "AWS/Lambda" => crate::metrics::lambda::MODELLED.contains(&key.name.as_str()),
                "AWS/States" => crate::metrics::states::MODELLED.contains(&key.name.as_str()),
                other => !other.starts_with("AWS/"),
            };
            assert!(local, "{}: {key} has no local source", alarm.logical_id);
        }
    }
}
