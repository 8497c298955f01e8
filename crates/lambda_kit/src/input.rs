//! A Task's input: a JSON object read strictly into the function's input type. Every error is a
//! `Hitl.InvalidInput` that names where it is, and a field the function does not know is
//! refused with the closest known name ([`approvals::input::strict`]).

use approvals::HitlError;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

/// Parses a Task's input, turning serde's complaint into a `Hitl.InvalidInput` a person reads.
pub fn parse_input<T: DeserializeOwned>(value: Value) -> Result<T, HitlError> {
    if !value.is_object() {
        return Err(HitlError::invalid_input(format!(
            "the input must be a JSON object, got {}",
            approvals::input::json_kind(&value)
        )));
    }
    approvals::input::from_json(value)
}

/// What EventBridge Scheduler invokes a scheduled function with. Our schedules set no `Input`,
/// so Scheduler sends its default notification, an EventBridge-style event
/// (`{"version": "0", "id", "detail-type": "Scheduled Event", "source": "aws.scheduler",
/// "account", "time", "region", "resources": [the schedule's ARN], "detail": "{}"}`); the local
/// stack sends `{}`. Nothing in it changes what a run does. Unlike a Task's input, which a
/// person writes (and a typo must be refused), its fields are AWS's: one that AWS adds must not
/// fail every run, so a field not named here is let through. It must still be an object.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
pub struct ScheduleEvent {
    /// The invocation's id, when Scheduler sent its default notification.
    #[serde(default)]
    pub id: Option<String>,
    /// When the schedule fired (RFC 3339), when Scheduler sent its default notification.
    #[serde(default)]
    pub time: Option<String>,
    /// The schedule's ARN, when Scheduler sent its default notification.
    #[serde(default)]
    pub resources: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        title: Option<String>,
        follow_up: Option<Inner>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        required: Option<bool>,
    }

    #[test]
    fn bad_input_becomes_a_named_error() {
        let err = parse_input::<Outer>(json!("x")).unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput");
        assert!(err.to_string().contains("a string"));
        // The message names the field, however deep.
        let err = parse_input::<Outer>(json!({"title": 3})).unwrap_err();
        assert!(err.to_string().contains("title: invalid type"), "{err}");
        let err = parse_input::<Outer>(json!({"followUp": {"required": "yes"}})).unwrap_err();
        assert!(
            err.to_string().contains("followUp.required: invalid type"),
            "{err}"
        );
    }

    #[test]
    fn a_schedule_event_is_read_from_schedulers_default_notification_or_nothing() {
        // The default notification EventBridge Scheduler sends a target when its schedule
        // sets no Input (the shape AWS documents for scheduled events; `detail` is a string).
        let default_notification = json!({
            "version": "0", "id": "ad9b2b0e-6ad6-4d1d-8d4b-8a3f4f2f6a51",
            "detail-type": "Scheduled Event", "source": "aws.scheduler",
            "account": "123456789012", "time": "2026-12-06T09:00:00Z", "region": "us-east-1",
            "resources": ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/relay"],
            "detail": "{}"
        });
        let event: ScheduleEvent = parse_input(default_notification).unwrap();
        assert_eq!(event.time.as_deref(), Some("2026-12-06T09:00:00Z"));
        assert_eq!(event.resources.len(), 1);
        assert_eq!(
            parse_input::<ScheduleEvent>(json!({})).unwrap(),
            ScheduleEvent::default()
        );
        let err = parse_input::<ScheduleEvent>(json!([])).unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput");
    }

    #[test]
    fn an_unknown_field_is_named_with_the_one_meant() {
        let err = parse_input::<Outer>(json!({"titel": "t"})).unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput");
        assert!(
            err.to_string()
                .starts_with("unknown field `titel`; did you mean `title`?"),
            "{err}"
        );
        let err = parse_input::<Outer>(json!({"followUp": {"requried": true}})).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("unknown field `followUp.requried`; did you mean `required`?"),
            "{err}"
        );
    }
}
