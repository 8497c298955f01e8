//! The audit trail locally (docs/AUDIT.md): the approvals table's stream (enabled here, as the
//! template's `StreamSpecification` asks) fed to the Audit Publisher by a local event source
//! mapping ([`stream`]), its bus in moto with a rule to a queue read into memory ([`bus`]),
//! DynamoDB's TTL played by a reaper ([`reaper`]). What was published is on the page and at
//! `GET /_local/api/audit-events`.

pub mod bus;
pub mod moto_json;
pub mod page;
pub mod reaper;
pub mod stream;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, Context};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::runtime_api::FunctionPool;
use crate::template::Stack;
use bus::BusReader;
use moto_json::MotoJson;
use reaper::Reaper;
use stream::{Mapping, MappingState};

/// The environment variable naming the publisher's bus: the function that has it is the
/// stream's consumer.
const BUS_VARIABLE: &str = "AUDIT_EVENT_BUS";

pub struct AuditLocal {
    pub bus: BusReader,
    pub reaper: Reaper,
    pub state: Arc<Mutex<MappingState>>,
}

/// Enables the table's stream, creates the bus and starts the mapping, the reader and the
/// reaper; `None` when the template has no audit publisher.
pub async fn start(
    stack: &Stack,
    pools: &BTreeMap<String, Arc<FunctionPool>>,
    moto_url: &str,
    shutdown: &watch::Receiver<bool>,
) -> anyhow::Result<Option<Arc<AuditLocal>>> {
    let Some((function, bus)) = stack
        .functions
        .iter()
        .find_map(|f| Some((f.logical_id.clone(), f.env.get(BUS_VARIABLE)?.clone())))
    else {
        return Ok(None);
    };
    let table = stack
        .functions
        .iter()
        .find_map(|f| f.env.get("TABLE_NAME").cloned())
        .ok_or_else(|| anyhow!("no function names the approvals table (TABLE_NAME)"))?;
    let moto = MotoJson::new(moto_url);
    let stream_arn = enable_stream(&moto, &table).await?;
    let state = Arc::new(Mutex::new(MappingState::default()));
    let audit = Arc::new(AuditLocal {
        bus: BusReader::create(moto.clone(), &bus).await?,
        reaper: Reaper {
            moto: moto.clone(),
            table,
            state: state.clone(),
        },
        state: state.clone(),
    });
    let mapping = Mapping {
        moto,
        stream_arn,
        function: pools[&function].clone(),
        state,
    };
    tokio::spawn(mapping.run(shutdown.clone()));
    tokio::spawn(keep_up(audit.clone(), shutdown.clone()));
    Ok(Some(audit))
}

/// `NEW_AND_OLD_IMAGES`, as the template's table has; the stream's ARN.
async fn enable_stream(moto: &MotoJson, table: &str) -> anyhow::Result<String> {
    let spec = json!({"TableName": table,
        "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"}});
    // Already enabled (by a provisioning that reads the template's StreamSpecification): fine.
    let _ = moto
        .call("dynamodb", "DynamoDB_20120810.UpdateTable", &spec)
        .await;
    let described = moto
        .call(
            "dynamodb",
            "DynamoDB_20120810.DescribeTable",
            &json!({"TableName": table}),
        )
        .await?;
    described["Table"]["LatestStreamArn"]
        .as_str()
        .map(str::to_string)
        .context("the approvals table has no stream")
}

/// Reads the bus twice a second and plays TTL every minute.
async fn keep_up(audit: Arc<AuditLocal>, mut stop: watch::Receiver<bool>) {
    let mut ticks = 0u64;
    while !*stop.borrow() {
        if let Err(e) = audit.bus.drain().await {
            tracing::debug!("audit bus: {e:#}");
        }
        ticks += 1;
        if ticks.is_multiple_of(120) {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            if let Err(e) = audit.reaper.sweep(now).await {
                tracing::debug!("ttl reaper: {e:#}");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = stop.changed() => {}
        }
    }
}

impl AuditLocal {
    /// What the API shows: the events read so far and the mapping's counters.
    pub async fn report(&self) -> Value {
        let _ = self.bus.drain().await;
        let (invocations, retries, given_up) = {
            let state = self.state.lock().unwrap();
            (state.invocations, state.retries, state.given_up.clone())
        };
        json!({"events": self.bus.snapshot(),
            "mapping": {"invocations": invocations, "retries": retries, "givenUp": given_up}})
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Sweep {
    /// Unix seconds: delete what TTL would have deleted by then.
    now: i64,
}

/// `GET /_local/api/audit-events`, `POST /_local/api/audit/ttl-sweep {"now"}`.
pub fn api_router(audit: Option<Arc<AuditLocal>>) -> Router {
    let Some(audit) = audit else {
        return Router::new();
    };
    Router::new()
        .route("/_local/api/audit-events", get(events))
        .route("/_local/api/audit/ttl-sweep", post(sweep))
        .with_state(audit)
}

async fn events(State(audit): State<Arc<AuditLocal>>) -> Json<Value> {
    Json(audit.report().await)
}

async fn sweep(
    State(audit): State<Arc<AuditLocal>>,
    Json(body): Json<Sweep>,
) -> (axum::http::StatusCode, Json<Value>) {
    match audit.reaper.sweep(body.now).await {
        Ok(removed) => (
            axum::http::StatusCode::OK,
            Json(json!({"removed": removed})),
        ),
        Err(e) => (
            axum::http::StatusCode::BAD_GATEWAY,
            Json(json!({"message": format!("{e:#}")})),
        ),
    }
}
