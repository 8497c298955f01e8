//! Team decisions (quorum votes, reminders) as the tests drive them: each approver's own
//! approval email and links, the votes and tally of a decision output, how many times an
//! execution was resumed, and schedules fired on demand.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{endpoints, http, links_of, local_api, sfn, SentEmail};

/// One approver's personal links.
#[derive(Debug, Clone)]
pub struct Personal {
    pub approve: String,
    pub reject: String,
}

/// Every email sent so far whose subject contains `needle`.
pub async fn emails_now(needle: &str) -> Vec<SentEmail> {
    let all: Vec<SentEmail> = serde_json::from_value(local_api("/_local/api/emails").await)
        .expect("the outbox lists emails");
    all.into_iter()
        .filter(|e| e.subject.contains(needle))
        .collect()
}

/// Waits until `person` got `count` emails whose subject starts with `prefix` and contains
/// `title`; those emails, oldest first.
pub async fn emails_to(person: &str, prefix: &str, title: &str, count: usize) -> Vec<SentEmail> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found: Vec<SentEmail> = emails_now(title)
            .await
            .into_iter()
            .filter(|e| e.subject.starts_with(prefix) && e.to.iter().any(|t| t == person))
            .collect();
        if found.len() >= count {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "{person} got {} of {count} email(s) {prefix:?}…{title:?} after 30 s",
            found.len()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The personal links of each of `people` from the first approval email each got for `title`
/// (the request's own email, not a reminder).
pub async fn personal_links(title: &str, people: &[&str]) -> BTreeMap<String, Personal> {
    let mut links = BTreeMap::new();
    for person in people {
        let emails = emails_to(person, "", title, 1).await;
        let first = emails
            .iter()
            .find(|e| !e.subject.starts_with("Reminder"))
            .unwrap_or_else(|| panic!("{person} has no approval email for {title}"));
        let (approve, reject) = links_of(first);
        links.insert(person.to_string(), Personal { approve, reject });
    }
    links
}

/// One entry of a decision output's `votes`, the fields a reader checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteSeen {
    /// Whose place the vote filled.
    pub approver: String,
    pub decision: String,
    /// Who actually voted (`decidedBy.id`).
    pub by: String,
    pub channel: String,
    pub verified: bool,
}

/// The `votes` of a decision output (the Task's output), in the order cast.
pub fn votes_of(decision: &Value) -> Vec<VoteSeen> {
    let votes = decision["votes"]
        .as_array()
        .unwrap_or_else(|| panic!("no votes in {decision}"));
    votes
        .iter()
        .map(|v| {
            let field = |f: &Value| {
                f.as_str()
                    .unwrap_or_else(|| panic!("vote field missing in {v}"))
                    .to_string()
            };
            VoteSeen {
                approver: field(&v["approver"]),
                decision: field(&v["decision"]),
                by: field(&v["decidedBy"]["id"]),
                channel: field(&v["decidedBy"]["channel"]),
                verified: v["decidedBy"]["verified"]
                    .as_bool()
                    .unwrap_or_else(|| panic!("decidedBy.verified missing in {v}")),
            }
        })
        .collect()
}

/// How many times a `.waitForTaskToken` Task of the execution was resumed with a result
/// (its `TaskSucceeded` events): exactly once per decided request.
pub async fn resumes(execution_arn: &str) -> usize {
    let history = sfn()
        .await
        .get_execution_history()
        .execution_arn(execution_arn)
        .max_results(1000)
        .send()
        .await
        .expect("GetExecutionHistory");
    history
        .events()
        .iter()
        .filter_map(|e| e.task_succeeded_event_details())
        .filter(|d| d.resource().contains("waitForTaskToken"))
        .count()
}

/// Fires the schedule `name` (`Function.Event`) now, as EventBridge Scheduler would, and
/// waits for its function: the function's output (a failure panics).
pub async fn fire_schedule(name: &str) -> Value {
    let url = format!("{}/_local/api/schedules/{name}/fire", endpoints().api);
    let r = http().post(url).send().await.unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{name} failed: {body}");
    body["output"].clone()
}

/// Whether `report` (a scheduled run's output) lists `approval_id` under `field`.
pub fn lists(report: &Value, field: &str, approval_id: &str) -> bool {
    report[field]
        .as_array()
        .is_some_and(|ids| ids.iter().any(|id| id == approval_id))
}

/// The personal link of approver `index` of a request (`decision`: approve or reject), signed
/// with the stack's key ring as Create Approval Links signs them: the email fallback of a
/// request whose own channel (the Teams bot) sends none.
pub async fn signed_link(approval_id: &str, decision: approvals::Decision, index: usize) -> String {
    let secrets = aws_sdk_secretsmanager::Client::new(&crate::sdk_config().await);
    let ring = secrets
        .get_secret_value()
        .secret_id("hitl-local/link-signing-keys")
        .send()
        .await
        .unwrap()
        .secret_string
        .unwrap();
    let signer = approvals::key_ring::parse_key_ring(ring.as_bytes()).unwrap();
    let record = crate::approval_record(approval_id).await;
    let expires_at: i64 = crate::attr(&record, "expiresAt").parse().unwrap();
    signer.link_url(
        &endpoints().api,
        approval_id,
        decision,
        expires_at,
        Some(index),
    )
}

/// The audit events' detail-types of `approval_id`, one per `eventId` (a re-published event
/// dropped as a consumer would), once `wanted` of them are in (waits up to a minute).
pub async fn audit_kinds(approval_id: &str, wanted: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let all = local_api("/_local/api/audit-events").await;
        let mut seen: Vec<String> = Vec::new();
        let mut kinds = Vec::new();
        let events = all["events"].as_array().cloned().unwrap_or_default();
        for e in events
            .iter()
            .filter(|e| e["detail"]["approvalId"] == approval_id)
        {
            let id = e["detail"]["eventId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if !seen.contains(&id) {
                seen.push(id);
                kinds.push(e["detail-type"].as_str().unwrap_or_default().to_string());
            }
        }
        if kinds.len() >= wanted || Instant::now() > deadline {
            return kinds;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
