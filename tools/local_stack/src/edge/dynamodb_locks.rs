//! DynamoDB applies a conditional write atomically per item; moto evaluates the condition
//! without a lock, so two concurrent writes to one item can both pass it there. The edge
//! restores DynamoDB's guarantee by serializing writes per item (one of [`STRIPES`] locks
//! chosen by table and key), not globally: under load a single lock queued every write of the
//! stack behind the others. Writes spanning items (`TransactWriteItems`, `BatchWriteItem`)
//! and writes whose key cannot be told take the whole table space exclusively.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use serde_json::{Map, Value};
use tokio::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub const STRIPES: usize = 256;

/// Held while a write is at moto.
#[allow(dead_code)]
pub enum WriteGuard<'a> {
    Item(RwLockReadGuard<'a, ()>, MutexGuard<'a, ()>),
    All(RwLockWriteGuard<'a, ()>),
}

pub struct WriteLocks {
    all: RwLock<()>,
    stripes: Vec<Mutex<()>>,
    /// Key attribute names per table (from `DescribeTable`).
    key_schemas: std::sync::Mutex<HashMap<String, Vec<String>>>,
}

impl Default for WriteLocks {
    fn default() -> Self {
        WriteLocks {
            all: RwLock::new(()),
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            key_schemas: std::sync::Mutex::new(HashMap::new()),
        }
    }
}

/// What a write call touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// One item: `table` and its key (canonical JSON).
    Item(String),
    /// `PutItem` of a table whose key attributes are not known yet.
    PutInto(String),
    All,
}

/// The scope of a DynamoDB write `operation` with request `body`.
pub fn scope(operation: &str, body: &[u8]) -> Scope {
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(body) else {
        return Scope::All;
    };
    let table = request.get("TableName").and_then(Value::as_str);
    match (operation, table, request.get("Key")) {
        ("UpdateItem" | "DeleteItem", Some(table), Some(key)) => {
            Scope::Item(format!("{table}\u{0}{key}"))
        }
        ("PutItem", Some(table), _) => Scope::PutInto(table.to_string()),
        _ => Scope::All,
    }
}

/// The key of `item` given the table's key attribute names.
pub fn item_key(table: &str, key_names: &[String], body: &[u8]) -> Option<String> {
    let request: Value = serde_json::from_slice(body).ok()?;
    let item = request.get("Item")?.as_object()?;
    let mut key = Map::new();
    for name in key_names {
        key.insert(name.clone(), item.get(name)?.clone());
    }
    Some(format!("{table}\u{0}{}", Value::Object(key)))
}

impl WriteLocks {
    pub fn key_names(&self, table: &str) -> Option<Vec<String>> {
        self.key_schemas.lock().unwrap().get(table).cloned()
    }

    pub fn remember_key_names(&self, table: &str, names: Vec<String>) {
        self.key_schemas
            .lock()
            .unwrap()
            .insert(table.to_string(), names);
    }

    /// Locks one item (its stripe) or, with `None`, every item.
    pub async fn lock(&self, item: Option<&str>) -> WriteGuard<'_> {
        match item {
            Some(key) => {
                let mut hasher = DefaultHasher::new();
                key.hash(&mut hasher);
                let stripe = &self.stripes[(hasher.finish() as usize) % STRIPES];
                let shared = self.all.read().await;
                WriteGuard::Item(shared, stripe.lock().await)
            }
            None => WriteGuard::All(self.all.write().await),
        }
    }
}

/// The key attribute names in a `DescribeTable` answer.
pub fn key_names_of(describe_table: &Value) -> Option<Vec<String>> {
    let schema = describe_table["Table"]["KeySchema"].as_array()?;
    let names: Vec<String> = schema
        .iter()
        .filter_map(|k| k["AttributeName"].as_str().map(str::to_string))
        .collect();
    (!names.is_empty()).then_some(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_scoped_to_their_item() {
        let update =
            br#"{"TableName":"T","Key":{"approvalId":{"S":"a1"}},"UpdateExpression":"SET x = :x"}"#;
        assert_eq!(
            scope("UpdateItem", update),
            Scope::Item("T\u{0}{\"approvalId\":{\"S\":\"a1\"}}".into())
        );
        let put = br#"{"TableName":"T","Item":{"approvalId":{"S":"a1"},"title":{"S":"x"}}}"#;
        assert_eq!(scope("PutItem", put), Scope::PutInto("T".into()));
        assert_eq!(
            item_key("T", &["approvalId".into()], put),
            Some("T\u{0}{\"approvalId\":{\"S\":\"a1\"}}".into()),
            "a put and an update of one item share a lock"
        );
        assert_eq!(scope("TransactWriteItems", b"{}"), Scope::All);
        assert_eq!(scope("UpdateItem", b"not json"), Scope::All);
    }

    #[tokio::test]
    async fn one_item_at_a_time_other_items_alongside() {
        let locks = WriteLocks::default();
        let a = locks.lock(Some("T\u{0}a")).await;
        let same = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            locks.lock(Some("T\u{0}a")),
        )
        .await;
        assert!(same.is_err(), "a second write of the item waits");
        // Another item: a different stripe (for these keys) and no wait.
        let other = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            locks.lock(Some("T\u{0}b")),
        )
        .await;
        assert!(other.is_ok());
        drop(other);
        let all =
            tokio::time::timeout(std::time::Duration::from_millis(50), locks.lock(None)).await;
        assert!(all.is_err(), "a transaction waits for single-item writes");
        drop(a);
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(50), locks.lock(None))
                .await
                .is_ok()
        );
    }
}
