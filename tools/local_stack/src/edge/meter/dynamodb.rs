//! The meter at the edge: [`before`] a call is forwarded (who makes it; for a DynamoDB write,
//! the item as it is, read while the edge holds the item's write lock) and [`after`] moto
//! answered (the call counted; read and write units from the items; SES recipients).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{LazyLock, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::{json, Map, Value};

use super::capacity::{self, Index};
use super::{Capacity, LOAD_TOOL_APP, METER};
use crate::edge::faults::Service;
use crate::edge::Edge;

const WRITES: [&str; 3] = ["PutItem", "UpdateItem", "DeleteItem"];

/// A call on its way to moto, as the meter saw it.
pub struct Pending {
    caller: String,
    service: Service,
    operation: String,
    /// For a DynamoDB write: its table, the item's key, and the item before the write.
    write: Option<Write>,
}

struct Write {
    table: String,
    key: Map<String, Value>,
    before: Option<Map<String, Value>>,
}

/// A table's key attributes and global secondary indexes (asked of moto once).
#[derive(Clone)]
struct Shape {
    keys: Vec<String>,
    indexes: Vec<Index>,
}

static SHAPES: LazyLock<Mutex<HashMap<String, Shape>>> = LazyLock::new(Default::default);

/// Before forwarding `service.operation`: `None` when the meter is off.
pub async fn before(
    edge: &Edge,
    call: &Option<(Service, String)>,
    headers: &HeaderMap,
    body: &Bytes,
    peer: Option<SocketAddr>,
) -> Option<Pending> {
    let (service, operation) = call.clone()?;
    if !METER.on() {
        return None;
    }
    let caller = super::caller(headers, peer, &edge.functions).await;
    let billed_caller = caller != LOAD_TOOL_APP && caller != "other";
    let write =
        if service == Service::Dynamodb && billed_caller && WRITES.contains(&operation.as_str()) {
            write_before(edge, &operation, headers, body).await
        } else {
            None
        };
    Some(Pending {
        caller,
        service,
        operation,
        write,
    })
}

async fn write_before(
    edge: &Edge,
    operation: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Option<Write> {
    let request: Value = serde_json::from_slice(body).ok()?;
    let table = request["TableName"].as_str()?.to_string();
    let shape = shape(edge, &table, headers).await?;
    let key: Map<String, Value> = match operation {
        "PutItem" => {
            let item = request["Item"].as_object()?;
            shape
                .keys
                .iter()
                .filter_map(|k| item.get(k).map(|v| (k.clone(), v.clone())))
                .collect()
        }
        _ => request["Key"].as_object()?.clone(),
    };
    let before = get_item(edge, headers, &table, &key).await?;
    Some(Write { table, key, before })
}

/// After moto answered `status` with `answer` to the call `pending` saw going out.
pub async fn after(
    edge: &Edge,
    pending: Option<Pending>,
    headers: &HeaderMap,
    body: &Bytes,
    (status, answer): (StatusCode, &Bytes),
) {
    let Some(pending) = pending else { return };
    let caller = pending.caller.as_str();
    METER.call(
        caller,
        &format!("{}.{}", pending.service.as_str(), pending.operation),
    );
    let request: Value = serde_json::from_slice(body).unwrap_or_default();
    let answer: Value = serde_json::from_slice(answer).unwrap_or_default();
    match pending.service {
        Service::Ses if pending.operation == "SendEmail" && status.is_success() => {
            let destination = &request["Destination"];
            let count = |f: &str| destination[f].as_array().map_or(0, Vec::len) as u64;
            METER.ses(
                caller,
                count("ToAddresses") + count("CcAddresses") + count("BccAddresses"),
            );
        }
        Service::Dynamodb => {
            // A write whose condition failed is billed as a write; other refusals are not.
            let condition_failed = answer["__type"]
                .as_str()
                .is_some_and(|t| t.ends_with("ConditionalCheckFailedException"));
            if status.is_success() || condition_failed {
                let used = match pending.write {
                    Some(write) => write_after(edge, headers, write).await,
                    None => read(&pending.operation, &request, &answer),
                };
                METER.capacity(caller, &used);
            }
        }
        _ => {}
    }
}

/// Read units of a `GetItem`, `Query` or `Scan` from the items it answered with. (None of the
/// functions' reads projects attributes; a projected read is billed on the whole item, so it
/// would count low here.)
fn read(operation: &str, request: &Value, answer: &Value) -> Capacity {
    let consistent = request["ConsistentRead"].as_bool().unwrap_or(false);
    let bytes = match operation {
        "GetItem" => answer["Item"].as_object().map_or(0, capacity::item_size),
        "Query" | "Scan" => answer["Items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .map(capacity::item_size)
            .sum(),
        _ => return Capacity::default(),
    };
    Capacity {
        read_halves: capacity::read_halves(bytes, consistent),
        ..Capacity::default()
    }
}

async fn write_after(edge: &Edge, headers: &HeaderMap, write: Write) -> Capacity {
    let Some(shape) = shape(edge, &write.table, headers).await else {
        return Capacity::default();
    };
    let after = get_item(edge, headers, &write.table, &write.key)
        .await
        .flatten();
    let (before, after) = (write.before.as_ref(), after.as_ref());
    let size = |i: Option<&Map<String, Value>>| i.map_or(0, capacity::item_size);
    let index_write_units = shape
        .indexes
        .iter()
        .map(|i| i.write_units(&shape.keys, before, after))
        .sum();
    let item = format!("{}\u{0}{}", write.table, Value::Object(write.key.clone()));
    METER.stored(
        item,
        after.map(|i| capacity::stored_bytes(&shape.keys, &shape.indexes, i)),
    );
    Capacity {
        read_halves: 0,
        write_units: capacity::write_units(size(before), size(after)),
        index_write_units,
    }
}

/// A side call to moto's DynamoDB (not counted): `None` when it failed.
async fn side_call(
    edge: &Edge,
    headers: &HeaderMap,
    operation: &str,
    body: Value,
) -> Option<Value> {
    let mut side = HeaderMap::new();
    if let Some(auth) = headers.get("authorization") {
        side.insert("authorization", auth.clone());
    }
    side.insert(
        "x-amz-target",
        format!("DynamoDB_20120810.{operation}").parse().ok()?,
    );
    side.insert("content-type", "application/x-amz-json-1.0".parse().ok()?);
    let uri = Uri::from_static("/");
    let body = Bytes::from(body.to_string());
    let (status, _, bytes) =
        crate::edge::to_moto(edge, &edge.moto.data, &Method::POST, &uri, &side, body)
            .await
            .ok()?;
    status
        .is_success()
        .then(|| serde_json::from_slice(&bytes).ok())
        .flatten()
}

/// The item as it is now: `Some(None)` when there is none.
async fn get_item(
    edge: &Edge,
    headers: &HeaderMap,
    table: &str,
    key: &Map<String, Value>,
) -> Option<Option<Map<String, Value>>> {
    let answer = side_call(
        edge,
        headers,
        "GetItem",
        json!({"TableName": table, "Key": key, "ConsistentRead": true}),
    )
    .await?;
    Some(answer["Item"].as_object().cloned())
}

async fn shape(edge: &Edge, table: &str, headers: &HeaderMap) -> Option<Shape> {
    if let Some(shape) = SHAPES.lock().unwrap_or_else(|p| p.into_inner()).get(table) {
        return Some(shape.clone());
    }
    let described = side_call(edge, headers, "DescribeTable", json!({"TableName": table})).await?;
    let shape = shape_of(&described["Table"])?;
    SHAPES
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(table.to_string(), shape.clone());
    Some(shape)
}

fn shape_of(table: &Value) -> Option<Shape> {
    let names = |schema: &Value| -> Vec<String> {
        schema
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k["AttributeName"].as_str().map(str::to_string))
            .collect()
    };
    let keys = names(&table["KeySchema"]);
    if keys.is_empty() {
        return None;
    }
    let indexes = table["GlobalSecondaryIndexes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| Index {
            name: i["IndexName"].as_str().unwrap_or_default().to_string(),
            keys: names(&i["KeySchema"]),
            projection: i["Projection"]["ProjectionType"]
                .as_str()
                .unwrap_or("ALL")
                .to_string(),
            include: i["Projection"]["NonKeyAttributes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect(),
        })
        .collect();
    Some(Shape { keys, indexes })
}
