//! What DynamoDB on-demand bills a call, from the items it touched: item sizes as DynamoDB
//! counts them ("Item sizes and formats" in the DynamoDB developer guide), read request units
//! per 4 KB (half for an eventually consistent read), write request units per 1 KB of the
//! larger of the item before and after the write, and the writes a global secondary index
//! takes when an item enters, leaves or changes in it.
//!
//! Read units are kept in halves (`u64`) so that eventually consistent reads add up exactly.

use serde_json::{Map, Value};

/// Bytes of one attribute value in DynamoDB JSON (`{"S": "..."}`, `{"N": "12"}`, ...).
pub fn value_size(value: &Value) -> u64 {
    let Some((kind, inner)) = value.as_object().and_then(|m| m.iter().next()) else {
        return 0;
    };
    match (kind.as_str(), inner) {
        ("S", Value::String(s)) => s.len() as u64,
        ("N", Value::String(n)) => number_size(n),
        ("B", Value::String(b)) => base64_len(b),
        ("BOOL", _) | ("NULL", _) => 1,
        ("SS", Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.len() as u64)
            .sum(),
        ("NS", Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(number_size)
            .sum(),
        ("BS", Value::Array(items)) => items.iter().filter_map(Value::as_str).map(base64_len).sum(),
        // A list or map: 3 bytes, plus 1 byte per element beside the element's own size.
        ("L", Value::Array(items)) => 3 + items.iter().map(|v| 1 + value_size(v)).sum::<u64>(),
        ("M", Value::Object(fields)) => {
            3 + fields
                .iter()
                .map(|(k, v)| 1 + k.len() as u64 + value_size(v))
                .sum::<u64>()
        }
        _ => 0,
    }
}

/// A number: 1 byte per two significant digits, plus 1 (leading and trailing zeros trimmed).
fn number_size(n: &str) -> u64 {
    let digits: String = n
        .chars()
        .take_while(|c| *c != 'e' && *c != 'E')
        .filter(char::is_ascii_digit)
        .collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len() as u64;
    significant.div_ceil(2) + 1
}

fn base64_len(b: &str) -> u64 {
    let padding = b.bytes().rev().take_while(|c| *c == b'=').count() as u64;
    (b.len() as u64 / 4) * 3 - padding.min(2)
}

/// Bytes of an item: each attribute's name and value.
pub fn item_size(item: &Map<String, Value>) -> u64 {
    item.iter()
        .map(|(name, value)| name.len() as u64 + value_size(value))
        .sum()
}

/// Read request units, in halves: 1 unit (2 halves) per 4 KB read strongly consistent, half
/// of that eventually consistent; at least one unit (or half) even when nothing was found.
pub fn read_halves(bytes: u64, consistent: bool) -> u64 {
    let units = bytes.div_ceil(4096).max(1);
    if consistent {
        units * 2
    } else {
        units
    }
}

/// Write request units: 1 per 1 KB of the larger of the item before and after, at least 1
/// (a write whose condition failed, or a delete of nothing, still takes one).
pub fn write_units(before: u64, after: u64) -> u64 {
    before.max(after).div_ceil(1024).max(1)
}

/// A global secondary index: its key attributes and what it projects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub keys: Vec<String>,
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection: String,
    pub include: Vec<String>,
}

impl Index {
    /// The index's entry for `item` (its keys and projected attributes), if the item is in it.
    pub fn entry(
        &self,
        table_keys: &[String],
        item: &Map<String, Value>,
    ) -> Option<Map<String, Value>> {
        if !self.keys.iter().all(|k| item.contains_key(k)) {
            return None;
        }
        if self.projection == "ALL" {
            return Some(item.clone());
        }
        let wanted = |name: &String| {
            table_keys.contains(name)
                || self.keys.contains(name)
                || (self.projection == "INCLUDE" && self.include.contains(name))
        };
        Some(
            item.iter()
                .filter(|(k, _)| wanted(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }

    /// Write units the index takes for a write that turned `before` into `after`: one write
    /// of the entry when the item enters or leaves the index or its projection changes, two
    /// (a delete and a put) when the index key changes.
    pub fn write_units(
        &self,
        table_keys: &[String],
        before: Option<&Map<String, Value>>,
        after: Option<&Map<String, Value>>,
    ) -> u64 {
        let old = before.and_then(|i| self.entry(table_keys, i));
        let new = after.and_then(|i| self.entry(table_keys, i));
        let units = |entry: &Map<String, Value>| write_units(0, item_size(entry));
        match (old, new) {
            (None, None) => 0,
            (Some(old), None) => units(&old),
            (None, Some(new)) => units(&new),
            (Some(old), Some(new)) => {
                let key_changed = self.keys.iter().any(|k| old.get(k) != new.get(k));
                if key_changed {
                    units(&old) + units(&new)
                } else if old != new {
                    units(&new)
                } else {
                    0
                }
            }
        }
    }
}

/// Bytes DynamoDB stores for an item and its index entries: each with 100 bytes of overhead.
pub fn stored_bytes(table_keys: &[String], indexes: &[Index], item: &Map<String, Value>) -> u64 {
    let entries: u64 = indexes
        .iter()
        .filter_map(|i| i.entry(table_keys, item))
        .map(|e| item_size(&e) + 100)
        .sum();
    item_size(item) + 100 + entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn item_sizes_follow_dynamodbs_rules() {
        assert_eq!(value_size(&json!({"S": "héllo"})), 6, "UTF-8 bytes");
        assert_eq!(
            value_size(&json!({"N": "1700000000"})),
            2,
            "17 significant: 1 + 1"
        );
        assert_eq!(value_size(&json!({"N": "-12.345"})), 4, "5 digits: 3 + 1");
        assert_eq!(value_size(&json!({"BOOL": true})), 1);
        assert_eq!(value_size(&json!({"B": "AAEC"})), 3);
        assert_eq!(
            value_size(&json!({"L": [{"S": "ab"}, {"NULL": true}]})),
            3 + 3 + 2
        );
        assert_eq!(value_size(&json!({"M": {"k": {"S": "v"}}})), 3 + 1 + 1 + 1);
        assert_eq!(
            item_size(&item(json!({"id": {"S": "abc"}, "n": {"N": "5"}}))),
            2 + 3 + 1 + 2
        );
    }

    #[test]
    fn read_and_write_units_round_up_per_4_kb_and_1_kb() {
        assert_eq!(read_halves(0, true), 2, "a miss still reads one unit");
        assert_eq!(read_halves(0, false), 1);
        assert_eq!(read_halves(4096, true), 2);
        assert_eq!(read_halves(4097, true), 4);
        assert_eq!(read_halves(4097, false), 2);
        assert_eq!(read_halves(8192, false), 2);
        assert_eq!(
            write_units(0, 0),
            1,
            "a failed condition still writes one unit"
        );
        assert_eq!(write_units(1024, 10), 1);
        assert_eq!(write_units(10, 1025), 2);
        assert_eq!(write_units(3000, 100), 3, "the larger image counts");
    }

    #[test]
    fn a_sparse_keys_only_index_is_written_when_an_item_enters_leaves_or_moves() {
        let keys = vec!["id".to_string()];
        let index = Index {
            name: "Relay".into(),
            keys: vec!["redrive".into(), "at".into()],
            projection: "KEYS_ONLY".into(),
            include: vec![],
        };
        let out = item(json!({"id": {"S": "a"}, "x": {"S": "1"}}));
        let waiting = item(
            json!({"id": {"S": "a"}, "x": {"S": "2"}, "redrive": {"S": "y"}, "at": {"N": "5"}}),
        );
        let moved = item(
            json!({"id": {"S": "a"}, "x": {"S": "3"}, "redrive": {"S": "y"}, "at": {"N": "9"}}),
        );
        let touched = item(
            json!({"id": {"S": "a"}, "x": {"S": "4"}, "redrive": {"S": "y"}, "at": {"N": "9"}}),
        );
        assert_eq!(index.write_units(&keys, Some(&out), Some(&out)), 0);
        assert_eq!(
            index.write_units(&keys, Some(&out), Some(&waiting)),
            1,
            "enters"
        );
        assert_eq!(
            index.write_units(&keys, Some(&waiting), Some(&moved)),
            2,
            "key changes"
        );
        assert_eq!(
            index.write_units(&keys, Some(&moved), Some(&touched)),
            0,
            "not projected"
        );
        assert_eq!(index.write_units(&keys, Some(&touched), None), 1, "leaves");
        let entry = index.entry(&keys, &touched).unwrap();
        assert!(!entry.contains_key("x"), "{entry:?}");
        assert_eq!(
            stored_bytes(&keys, &[index], &touched),
            item_size(&touched) + 100 + item_size(&entry) + 100
        );
    }
}
