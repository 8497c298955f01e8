//! Audit Publisher (the approvals table's DynamoDB stream): publishes what each committed write
//! did to a request as EventBridge events on the audit bus (`approvals::audit`, docs/AUDIT.md),
//! in stream order. It answers with the first stream record not wholly published
//! (`ReportBatchItemFailures`), so Lambda hands that record and every later one over again and
//! none is lost; a record that keeps failing ends in the mapping's failure queue.

use approvals::audit::publish_writes;
use approvals::HitlError;
use aws_adapters::cold_start::ColdContext;
use aws_adapters::dynamodb_stream::StreamEvent;
use aws_adapters::eventbridge_audit::{writes, BatchResponse, EventBridgeAuditSink};
use aws_adapters::startup::{serve_task, Dependencies, Task};

struct Deps {
    sink: EventBridgeAuditSink,
}

impl Dependencies for Deps {
    async fn build(cold: ColdContext) -> Result<Self, HitlError> {
        let bus = cold.settings.required("AUDIT_EVENT_BUS")?;
        Ok(Deps {
            sink: EventBridgeAuditSink::from_config(&cold.config, bus),
        })
    }
}

impl Task for Deps {
    type Input = StreamEvent;
    type Output = BatchResponse;

    async fn handle(&self, event: StreamEvent) -> Result<BatchResponse, HitlError> {
        let failed = publish_writes(&self.sink, writes(&event.records)).await;
        let response = BatchResponse::retry_from(failed);
        tracing::info!(
            records = event.records.len(),
            retried_from = ?response.batch_item_failures.first().map(|f| &f.item_identifier),
            "audit events published"
        );
        Ok(response)
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_kit::Error> {
    serve_task::<Deps>(env!("CARGO_PKG_NAME")).await
}
