//! A Task's input: a JSON object read strictly into the function's input type. Every error is a
//! `Hitl.InvalidInput` that names where it is, and a field the function does not know is
//! refused with the closest known name ([`approvals::input::strict`]).

use approvals::HitlError;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Parses a Task's input, turning serde's complaint into a `Hitl.InvalidInput` a person reads.
pub fn parse_input<T: DeserializeOwned>(value: Value) -> Result<T, HitlError> {
    if !value.is_object() {
        return Err(HitlError::invalid_input(format!(
            "the input must be a JSON object, got {}",
            kind(&value)
        )));
    }
    approvals::input::from_json(value)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
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
