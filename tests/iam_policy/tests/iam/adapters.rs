//! The AWS adapters (`crates/aws_adapters/src`): which SDK operations each of their methods makes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use crate::sources::{functions_of, root, rust_files, without_tests, FN_RE};

/// The adapter files of `aws_adapters` that call AWS, and the names by which a function's crate
/// reaches them.
pub const ADAPTERS: &[(&str, &[&str])] = &[
    (
        "dynamodb_store.rs",
        &["DynamoApprovalStore", "approval_store(", "WaitDeps"],
    ),
    (
        "dynamodb_delivery.rs",
        &["DynamoApprovalStore", "approval_store(", "WaitDeps"],
    ),
    (
        "dynamodb_reminders.rs",
        &["DynamoApprovalStore", "approval_store(", "WaitDeps"],
    ),
    (
        "dynamodb_messages.rs",
        &["DynamoApprovalStore", "approval_store(", "WaitDeps"],
    ),
    (
        "step_functions_resumer.rs",
        &["StepFunctionsResumer", "WaitDeps"],
    ),
    ("ses_sender.rs", &["SesEmailSender"]),
    ("eventbridge_audit.rs", &["EventBridgeAuditSink"]),
    // Every function's start-up hands it a `ColdContext`; only those that read its secrets
    // name them.
    (
        "secrets.rs",
        &["SecretReader", "cold.secrets", "aws_adapters::secrets"],
    ),
];

/// SDK operations (the fluent builder's name) and the IAM action each needs.
pub const SDK_OPERATIONS: &[(&str, &str)] = &[
    ("get_item", "dynamodb:GetItem"),
    ("put_item", "dynamodb:PutItem"),
    ("update_item", "dynamodb:UpdateItem"),
    ("delete_item", "dynamodb:DeleteItem"),
    ("query", "dynamodb:Query"),
    ("scan", "dynamodb:Scan"),
    ("batch_get_item", "dynamodb:BatchGetItem"),
    ("batch_write_item", "dynamodb:BatchWriteItem"),
    ("transact_get_items", "dynamodb:GetItem"),
    ("transact_write_items", "dynamodb:UpdateItem"),
    ("send_task_success", "states:SendTaskSuccess"),
    ("send_task_failure", "states:SendTaskFailure"),
    ("send_task_heartbeat", "states:SendTaskHeartbeat"),
    ("start_execution", "states:StartExecution"),
    ("send_email", "ses:SendEmail"),
    ("send_bulk_email", "ses:SendBulkEmail"),
    ("put_events", "events:PutEvents"),
    ("get_secret_value", "secretsmanager:GetSecretValue"),
    (
        "batch_get_secret_value",
        "secretsmanager:BatchGetSecretValue",
    ),
];

/// A call without arguments (`.get_item()`): how the SDK's fluent builders start.
pub static OP_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\.\s*([a-z_0-9]+)\(\)").unwrap());

/// A call of a method on `self`.
static SELF_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"self\s*\.\s*([a-z_0-9]+)\(").unwrap());

/// An index name constant (`const RELAY_INDEX: &str = "..."`).
static INDEX_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"const\s+([A-Z_]+_INDEX):\s*&str\s*=\s*"([^"]+)""#).unwrap());

/// The IAM action of an SDK operation, if `op` is one.
fn iam_action(op: &str) -> Option<&'static str> {
    SDK_OPERATIONS
        .iter()
        .find(|(o, _)| *o == op)
        .map(|(_, action)| *action)
}

/// An SDK call: the operation and, for a `Query`, the index it reads.
pub type Call = (String, Option<String>);

/// Every method of the `aws_adapters` adapters with the SDK calls it makes, its own helpers'
/// included.
pub fn adapter_methods() -> BTreeMap<String, BTreeSet<Call>> {
    let source = AdapterSource::read(&root().join("crates/aws_adapters/src"));
    source
        .bodies
        .keys()
        .map(|name| (name.clone(), source.calls_of(name)))
        .collect()
}

/// The code of the adapters: every function's body by name (the bodies of functions of the same
/// name joined) and the index each `*_INDEX` constant names.
struct AdapterSource {
    bodies: BTreeMap<String, String>,
    indexes: BTreeMap<String, String>,
}

impl AdapterSource {
    fn read(src: &Path) -> Self {
        let mut source = AdapterSource {
            bodies: BTreeMap::new(),
            indexes: BTreeMap::new(),
        };
        for path in rust_files(src) {
            let text = std::fs::read_to_string(&path).unwrap();
            let code = without_tests(&text);
            for c in INDEX_RE.captures_iter(code) {
                source.indexes.insert(c[1].to_string(), c[2].to_string());
            }
            for (name, body) in functions_of(code) {
                source.bodies.entry(name).or_default().push_str(body);
            }
            assert_known_if_it_calls_aws(&path, code);
        }
        source
    }

    /// The SDK calls of `name` and of the helpers it calls on itself, to a fixed point.
    fn calls_of(&self, name: &str) -> BTreeSet<Call> {
        let mut seen = BTreeSet::from([name.to_string()]);
        let mut todo = vec![name.to_string()];
        let mut actions = BTreeSet::new();
        let mut index_names = BTreeSet::new();
        while let Some(next) = todo.pop() {
            let Some(body) = self.bodies.get(&next) else {
                continue;
            };
            actions.extend(direct_actions(body));
            index_names.extend(self.indexes_named_in(body));
            for c in SELF_RE.captures_iter(body) {
                if seen.insert(c[1].to_string()) {
                    todo.push(c[1].to_string());
                }
            }
        }
        with_indexes(actions, &index_names)
    }

    /// The indexes whose constants `body` names.
    fn indexes_named_in(&self, body: &str) -> Vec<String> {
        self.indexes
            .iter()
            .filter(|(constant, _)| body.contains(constant.as_str()))
            .map(|(_, index)| index.clone())
            .collect()
    }
}

/// Every file that calls AWS is an adapter this test knows how functions reach.
fn assert_known_if_it_calls_aws(path: &Path, code: &str) {
    let file = path.file_name().unwrap().to_str().unwrap();
    let calls_aws = OP_RE
        .captures_iter(code)
        .any(|c| iam_action(&c[1]).is_some() && code.contains(".client"));
    if calls_aws {
        assert!(
            ADAPTERS.iter().any(|(f, _)| *f == file),
            "aws_adapters/src/{file} calls AWS: add it to ADAPTERS (which types reach it)"
        );
    }
}

/// The IAM actions of the SDK calls `body` makes itself.
fn direct_actions(body: &str) -> BTreeSet<String> {
    OP_RE
        .captures_iter(body)
        .filter_map(|c| iam_action(&c[1]).map(|action| (c, action)))
        // `query()` is also a URL's: only an SDK client's counts.
        .filter(|(c, _)| &c[1] != "query" || body.contains(".client"))
        .map(|(_, action)| action.to_string())
        .collect()
}

/// A query reads the index named on the way to it (`due_for_relay` names RELAY_INDEX and
/// calls `due_in_index`, which queries); none named: the table.
fn with_indexes(actions: BTreeSet<String>, index_names: &BTreeSet<String>) -> BTreeSet<Call> {
    actions
        .into_iter()
        .flat_map(|action| match action.as_str() {
            "dynamodb:Query" if !index_names.is_empty() => index_names
                .iter()
                .map(|i| (action.clone(), Some(i.clone())))
                .collect::<Vec<_>>(),
            _ => vec![(action, None)],
        })
        .collect()
}

/// The adapter files a crate reaches through the types it names.
pub fn reached_adapters(sources: &[PathBuf]) -> BTreeSet<&'static str> {
    let code: String = sources
        .iter()
        .map(|p| without_tests(&std::fs::read_to_string(p).unwrap()).to_string())
        .collect();
    ADAPTERS
        .iter()
        .filter(|(_, names)| names.iter().any(|n| code.contains(n)))
        .map(|(file, _)| *file)
        .collect()
}

/// The methods of the ports the AWS adapters implement (`approvals/src/ports.rs`).
pub fn aws_ports(methods: &BTreeMap<String, BTreeSet<Call>>) -> BTreeSet<String> {
    let ports = std::fs::read_to_string(root().join("crates/approvals/src/ports.rs")).unwrap();
    FN_RE
        .captures_iter(&ports)
        .map(|c| c[1].to_string())
        .filter(|m| methods.get(m).is_some_and(|calls| !calls.is_empty()))
        .collect()
}
