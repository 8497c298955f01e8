//! Strict inputs: a field an input does not know is refused by name, with where it is and the
//! known name it is closest to ("unknown field `aprovers`; did you mean `approvers`?"). A typo
//! must never be read as "not given": a misspelled `approvers` would turn personal links into
//! shared ones, a misspelled `expiresInSeconds` would silently become the default.
//!
//! Input types say `#[serde(deny_unknown_fields)]` (never together with `#[serde(flatten)]`,
//! which serde does not support), and are read with [`from_json`]; objects read by hand are
//! checked with [`check_fields`]. Free-form JSON (Block Kit blocks, Adaptive Cards, ADF
//! documents) is typed `serde_json::Value` and passes through unchecked.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::HitlError;

/// Up to this many known fields are listed when none is close to the unknown one.
const MAX_LISTED: usize = 12;

/// Reads a typed input from JSON; every error names where it is (`buttons[1].label`), and an
/// unknown field is refused with the closest known name.
pub fn from_json<T: DeserializeOwned>(value: Value) -> Result<T, HitlError> {
    from_json_at("", value)
}

/// [`from_json`] for a value found at `path` in a larger input (`buttons[0]`), read on its own.
pub fn from_json_at<T: DeserializeOwned>(path: &str, value: Value) -> Result<T, HitlError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = match e.path().to_string().as_str() {
            "." => String::new(),
            p => p.to_string(),
        };
        let at = join(path, &inner);
        let reason = e.into_inner().to_string();
        match read_unknown_field(&reason) {
            Some((_, known)) => {
                let known: Vec<&str> = known.iter().map(String::as_str).collect();
                unknown_field(&at, &known)
            }
            None if at.is_empty() => {
                HitlError::invalid_input(format!("the input does not fit: {reason}"))
            }
            None => HitlError::invalid_input(format!("the input does not fit: {at}: {reason}")),
        }
    })
}

/// `path` then `inner` (`buttons[0]` + `label`, or + `[2]`).
fn join(path: &str, inner: &str) -> String {
    match (path.is_empty(), inner.is_empty() || inner.starts_with('[')) {
        (true, _) => inner.to_string(),
        (false, true) => format!("{path}{inner}"),
        (false, false) => format!("{path}.{inner}"),
    }
}

/// Refuses every key of `object` (found at `path`, `""` at the top) that is not in `known`.
pub fn check_fields(
    path: &str,
    object: &Map<String, Value>,
    known: &[&str],
) -> Result<(), HitlError> {
    match object.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(field) => Err(unknown_field(&join(path, field), known)),
    }
}

/// The `Hitl.InvalidInput` for the unknown field at `path` (`aprovers`, `buttons[0].lable`):
/// the closest known name when one is close, else the known names when they are few.
pub fn unknown_field(path: &str, known: &[&str]) -> HitlError {
    let field = last_segment(path);
    if let Some(name) = closest(field, known) {
        return HitlError::invalid_input(format!("unknown field `{path}`; did you mean `{name}`?"));
    }
    let message = match known.len() {
        0 => format!("unknown field `{path}`: this object takes no fields"),
        n if n <= MAX_LISTED => format!(
            "unknown field `{path}`; the known fields are {}",
            quoted(known)
        ),
        n => format!(
            "unknown field `{path}`; none of the {n} known fields is close (see the README)"
        ),
    };
    // An unrelated field at the top level is most often a whole state passed as the input.
    let hint = match path.contains(['.', '[']) {
        true => "",
        false => ". A Task's input holds only its function's fields: select them one by one in Parameters (or Arguments), not the whole state",
    };
    HitlError::invalid_input(format!("{message}{hint}"))
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The field name a path ends with (`buttons[0].lable` -> `lable`).
fn last_segment(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// The known name `field` is most likely a typo of: the same once case, `_` and `-` are
/// ignored (`expires_in_seconds`), or at most one edit in three characters away (a deletion,
/// insertion, substitution or swap of two neighbours counts one; at least one edit allowed).
/// None when nothing is that close, so an unrelated field never gets a misleading guess.
/// Between names as close, a letter left out wins over one typed too many (`approverl` is
/// `approveUrl`, not `approver`), then the case as typed, then the longer common start.
pub fn closest<'a>(field: &str, known: &[&'a str]) -> Option<&'a str> {
    let folded = normalized(field);
    known
        .iter()
        .map(|name| (strsim::osa_distance(&folded, &normalized(name)), *name))
        .filter(|(distance, name)| *distance <= (name.chars().count() / 3).max(1))
        .min_by_key(|(distance, name)| {
            let common = field.chars().zip(name.chars()).take_while(|(a, b)| a == b);
            let typed_too_many = name.chars().count() < field.chars().count();
            let case = strsim::osa_distance(field, name);
            (*distance, typed_too_many, case, usize::MAX - common.count())
        })
        .map(|(_, name)| name)
}

fn normalized(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The field and the expected names in serde's unknown-field message ("unknown field `x`,
/// expected one of `a`, `b`"; "expected `a`", "expected `a` or `b`", "there are no fields").
/// serde gives them only as text; the message's shape is pinned by this module's tests.
pub(crate) fn read_unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    if let Some(field) = rest.strip_suffix("`, there are no fields") {
        return Some((field.to_string(), Vec::new()));
    }
    let (field, expected) = rest.rsplit_once("`, expected ")?;
    let known = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some((field.to_string(), known))
}

/// The field names of an input type, as its `Deserialize` asks for them (renamed). For tests
/// and documentation: a type with `#[serde(flatten)]` (not strict) has none.
pub fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut fields = None;
    let _ = T::deserialize(FieldsOf(&mut fields));
    fields.unwrap_or(&[])
}

/// A deserializer that only records the field names a struct asks for.
struct FieldsOf<'a>(&'a mut Option<&'static [&'static str]>);

impl<'de> serde::Deserializer<'de> for FieldsOf<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = Some(fields);
        Err(serde::de::Error::custom("fields read"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
#[path = "strict_tests.rs"]
mod tests;
