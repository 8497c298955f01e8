//! The audit trail's function: the approvals table's stream to EventBridge.

use super::{sdk, Call};
use crate::{Aws, Budget, Function, Sdk, Trigger};

/// One `PutEvents` call (ten events at most).
const PUT_EVENTS_CALL: Call = sdk("events:PutEvents");

/// Its stream mapping's batch size (template.yaml `BatchSize`).
pub const AUDIT_STREAM_BATCH: usize = 10;

pub const AUDIT_PUBLISHER: Function = Function {
    logical_id: "AuditPublisherFunction",
    package: "audit_publisher",
    binary: "audit-publisher",
    trigger: Trigger::Stream,
    aws: &[Aws::EventBridge],
    secrets: &[],
    // A batch of ten records; one write makes a few events (a vote that settles: two), at most
    // one of each kind (eleven): eleven calls of ten events at the very worst.
    budgets: &[Budget::plain(
        "a batch of ten stream records",
        &[PUT_EVENTS_CALL; 11],
    )],
    // approvals::audit::publish_writes
    port_calls: &["publish_events"],
    sdk: &[Sdk::op("events:PutEvents")],
};
