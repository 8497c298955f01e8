//! An input schema as a state machine writes the input: a Task's `Parameters` (or the `Payload`
//! of `lambda:invoke`) may give any field `name` as `name.$`, a JSONPath path or intrinsic
//! function (`"taskToken.$": "$$.Task.Token"`), and JSONata `Arguments` may give any value as
//! an expression (`"{% $states.input.title %}"`). Step Functions resolves both before the
//! function runs, so the function's own schema (`<function>.input.json`) describes what
//! arrives, and this one (`<function>.parameters.json`) what an editor sees in the ASL: every
//! field may be given either way, a required one must be given one way, and a misspelled
//! `titel.$` is refused like a misspelled `titel`.

use serde_json::{json, Map, Value};

const PATH: &str = "JsonPath";
const EXPRESSION: &str = "JsonataExpression";

/// The `Parameters`/`Arguments` schema of a function's input schema.
pub fn task_arguments(input: Value) -> Value {
    let mut schema = walk(input);
    if let Some(object) = schema.as_object_mut() {
        let defs = object.entry("$defs").or_insert_with(|| json!({}));
        if let Some(defs) = defs.as_object_mut() {
            defs.insert(PATH.into(), json!({
                "type": "string",
                "pattern": r"^(\$|States\.)",
                "description": "JSONPath (`Parameters`): a path such as `$.title` or `$$.Task.Token`, or an intrinsic function such as `States.Format('Stop {}?', $.id)`. Its result must be what the field without `.$` takes."
            }));
            defs.insert(EXPRESSION.into(), json!({
                "type": "string",
                "pattern": r"^\{%[\s\S]*%\}$",
                "description": "JSONata (`Arguments`): an expression such as `{% $states.input.title %}`. Its result must be what the field takes."
            }));
        }
    }
    schema
}

/// Rewrites every object schema below `value`, and the items of every array schema.
fn walk(value: Value) -> Value {
    let Value::Object(mut object) = value else {
        return value;
    };
    for key in ["$defs", "anyOf", "oneOf", "allOf"] {
        if let Some(children) = object.remove(key) {
            let children = match children {
                Value::Object(map) => {
                    Value::Object(map.into_iter().map(|(k, v)| (k, walk(v))).collect())
                }
                Value::Array(items) => Value::Array(items.into_iter().map(walk).collect()),
                other => other,
            };
            object.insert(key.into(), children);
        }
    }
    if let Some(items) = object.remove("items") {
        object.insert("items".into(), expressible(walk(items)));
    }
    if let Some(Value::Object(properties)) = object.remove("properties") {
        object.insert("properties".into(), Value::Object(with_paths(properties)));
        if let Some(Value::Array(required)) = object.remove("required") {
            let one_way: Vec<Value> = required
                .iter()
                .filter_map(Value::as_str)
                .map(|name| json!({ "anyOf": [{ "required": [name] }, { "required": [format!("{name}.$")] }] }))
                .collect();
            object.insert("allOf".into(), Value::Array(one_way));
        }
    }
    Value::Object(object)
}

/// Each property as given, or as an expression; and beside it `name.$`, a path.
fn with_paths(properties: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, schema) in properties {
        let path = json!({ "$ref": format!("#/$defs/{PATH}") });
        out.insert(format!("{name}.$"), path);
        out.insert(name, expressible(walk(schema)));
    }
    out
}

/// `schema`, or a JSONata expression; the description stays on top, where an editor shows it.
fn expressible(schema: Value) -> Value {
    let Value::Object(mut object) = schema else {
        // `true`/`false` schemas: anything, or nothing, either way.
        return schema;
    };
    let description = object.remove("description");
    let mut wrapper =
        json!({ "anyOf": [Value::Object(object), { "$ref": format!("#/$defs/{EXPRESSION}") }] });
    if let Some(description) = description {
        wrapper["description"] = description;
    }
    wrapper
}
