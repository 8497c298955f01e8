//! Each function's IAM grants exactly the AWS calls its code makes, with conditions that match
//! what the code sends. moto does not enforce IAM, so without this a missing permission shows
//! only on AWS (AccessDenied) and an unused one never shows at all.
//!
//! What the code calls is derived from the source:
//! - which port methods (`ApprovalStore::get`, `WorkflowResumer::resume`, ...) a function
//!   calls: from its crate's code through the `approvals` functions it calls (by name, an
//!   over-approximation), every call on a port (`store.`, `resumer.`, `sender.`: the names the
//!   domain gives its port parameters, which a test holds it to);
//! - which AWS adapters it builds: the adapter types its crate names (`ADAPTERS`);
//! - which SDK operations each adapter method makes: read from `crates/aws/src`,
//!   following the adapter's calls to its own helpers (`self.update(..)`), with the index a
//!   `Query` reads.
//!
//! `USES` writes the derived port calls down, so a reviewer can read them and a change in what
//! a function calls shows in the diff; the test fails when it and the code disagree.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use local_stack::template::{load, Stack};
use regex::Regex;
use serde_json::Value;

/// The port methods each function's use cases call (`approvals`), by logical id. Functions not
/// listed call none. Secrets are checked apart (`secrets_are_read_only_by_the_functions_that_name_them`).
const USES: &[(&str, &[&str])] = &[
    // service::create_approval_links
    ("CreateApprovalLinksFunction", &["create"]),
    // service::wait_for_approval (+ delivery::deliver_decision when already decided)
    ("WaitForApprovalFunction", WAIT),
    ("SlackWaitForUserActionFunction", WAIT),
    // email::send_email
    ("SendEmailFunction", &["send"]),
    // service::view_link, service::decide, slack_click::record_click and ::decided
    (
        "DecisionApiFunction",
        &[
            "get",
            "record_decision",
            "claim_delivery",
            "finish_delivery",
            "release_lease",
            "settle",
            "resume",
            "message_updated",
        ],
    ),
    // slack::request_action (create_or_resume)
    (
        "SlackRequestActionFunction",
        &["create", "get", "attach_task_token", "attach_message"],
    ),
    // slack::send_message (create_or_resume with a requestKey)
    (
        "SlackSendMessageFunction",
        &["create", "get", "attach_task_token", "attach_message"],
    ),
    // slack::close_expired_messages_while
    (
        "SlackExpirySweeperFunction",
        &[
            "expired_open_messages",
            "claim_message_close",
            "release_message_close",
        ],
    ),
    // delivery::redrive_while (deliver_decision, fail_expired, update_message, settle)
    (
        "DecisionRedriverFunction",
        &[
            "due_for_redrive",
            "get",
            "claim_delivery",
            "finish_delivery",
            "release_lease",
            "settle",
            "reschedule",
            "resume",
            "claim_expiry",
            "fail",
            "finish_expiry",
            "message_updated",
        ],
    ),
    // teams::request_action (create_approval_links, email::send_email, post_once)
    (
        "TeamsRequestActionFunction",
        &[
            "get",
            "create",
            "attach_message",
            "attach_task_token",
            "send",
        ],
    ),
];

const WAIT: &[&str] = &[
    "attach_task_token",
    "claim_delivery",
    "finish_delivery",
    "release_lease",
    "settle",
    "resume",
];

/// The names the domain gives its port parameters; a call on one of them is a port call.
const PORT_RECEIVERS: &[&str] = &["store", "resumer", "sender"];

/// The adapter files of `aws_adapters` that call AWS, and the names by which a function's crate
/// reaches them.
const ADAPTERS: &[(&str, &[&str])] = &[
    (
        "dynamodb_store.rs",
        &["DynamoApprovalStore", "approval_store(", "WaitDeps"],
    ),
    (
        "dynamodb_delivery.rs",
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
    ("secrets.rs", &["SecretReader"]),
];

/// SDK operations (the fluent builder's name) and the IAM action each needs.
const SDK_OPERATIONS: &[(&str, &str)] = &[
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
    ("get_secret_value", "secretsmanager:GetSecretValue"),
    (
        "batch_get_secret_value",
        "secretsmanager:BatchGetSecretValue",
    ),
];

const SECRET_READ: &str = "secretsmanager:GetSecretValue";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The template as deployed with every optional secret set (so every conditional secret and
/// grant exists) and a mixed-case sender.
fn stack() -> Stack {
    let overrides: BTreeMap<String, String> = [
        ("SenderEmail", "Approvals@Corp.example.com"),
        ("SlackBotToken", "xoxb-test"),
        ("SlackSigningSecret", "slack-secret"),
        ("TeamsWebhookUrl", "https://teams.example.com/hook"),
        ("GraphClientSecret", "graph-secret"),
        ("JiraApiToken", "jira-token"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    // HITL_TEMPLATE: another template to check (e.g. a changed copy, to see this test fail).
    let template = std::env::var_os("HITL_TEMPLATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("template.yaml"));
    load(&template, "http://127.0.0.1:3000", &overrides, |_| {
        "x".repeat(40)
    })
    .unwrap()
}

/// Where a grant applies, as the code needs it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Table,
    Index(String),
    /// `*`: task tokens name no resource.
    Any,
    SesIdentities,
    Other(String),
}

fn target(resource: &str) -> Target {
    let table = "arn:aws:dynamodb:us-east-1:123456789012:table/ApprovalsTable";
    if resource == table {
        Target::Table
    } else if let Some(index) = resource.strip_prefix(&format!("{table}/index/")) {
        Target::Index(index.to_string())
    } else if resource == "*" {
        Target::Any
    } else if resource == "arn:aws:ses:us-east-1:123456789012:identity/*" {
        Target::SesIdentities
    } else {
        Target::Other(resource.to_string())
    }
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(one) => vec![one.clone()],
        Value::Array(many) => many.iter().flat_map(strings).collect(),
        _ => vec![],
    }
}

struct Statement {
    actions: Vec<String>,
    resources: Vec<String>,
    condition: Option<Value>,
}

/// A function's `Policies` as statements; SAM policy templates and managed policies are refused
/// (this test could not see what they allow).
fn statements(stack: &Stack, function: &str) -> Vec<Statement> {
    let mut out = Vec::new();
    for policy in &stack.function_policies[function] {
        let list = policy
            .get("Statement")
            .unwrap_or_else(|| panic!("{function}: a policy without Statement: {policy}"));
        for s in list.as_array().unwrap() {
            assert_eq!(s["Effect"], "Allow", "{function}: {s}");
            assert!(s.get("NotAction").is_none() && s.get("NotResource").is_none());
            out.push(Statement {
                actions: strings(&s["Action"]),
                resources: strings(&s["Resource"]),
                condition: s.get("Condition").cloned(),
            });
        }
    }
    out
}

/// The source files of the crate that builds `binary`.
fn crate_sources(binary: &str) -> Vec<PathBuf> {
    let functions = root().join("functions");
    for dir in std::fs::read_dir(&functions).unwrap() {
        let dir = dir.unwrap().path();
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
        if manifest.contains(&format!("name = \"{binary}\"")) {
            return rust_files(&dir.join("src"));
        }
    }
    panic!("no crate builds {binary}");
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The code of `text` without `#[cfg(test)]` modules (tests call what they like).
fn without_tests(text: &str) -> &str {
    text.split("#[cfg(test)]").next().unwrap()
}

/// An SDK call: the operation and, for a `Query`, the index it reads.
type Call = (String, Option<String>);

/// Every method of the `aws_adapters` adapters with the SDK calls it makes, its own helpers'
/// included.
fn adapter_methods() -> BTreeMap<String, BTreeSet<Call>> {
    let src = root().join("crates/aws/src");
    let fn_re = Regex::new(r"\bfn\s+([a-z_0-9]+)").unwrap();
    let op_re = Regex::new(r"\.\s*([a-z_0-9]+)\(\)").unwrap();
    let self_re = Regex::new(r"self\s*\.\s*([a-z_0-9]+)\(").unwrap();
    let const_re = Regex::new(r#"const\s+([A-Z_]+_INDEX):\s*&str\s*=\s*"([^"]+)""#).unwrap();
    let operations: BTreeMap<&str, &str> = SDK_OPERATIONS.iter().copied().collect();
    let mut indexes = BTreeMap::new();
    let mut bodies: BTreeMap<String, String> = BTreeMap::new();
    for path in rust_files(&src) {
        let text = std::fs::read_to_string(&path).unwrap();
        let code = without_tests(&text);
        for c in const_re.captures_iter(code) {
            indexes.insert(c[1].to_string(), c[2].to_string());
        }
        let starts: Vec<(usize, String)> = fn_re
            .captures_iter(code)
            .map(|c| (c.get(0).unwrap().start(), c[1].to_string()))
            .collect();
        for (i, (start, name)) in starts.iter().enumerate() {
            let end = starts.get(i + 1).map_or(code.len(), |(s, _)| *s);
            bodies
                .entry(name.clone())
                .or_default()
                .push_str(&code[*start..end]);
        }
        // Every file that calls AWS is an adapter this test knows how functions reach.
        let file = path.file_name().unwrap().to_str().unwrap();
        let calls_aws = op_re
            .captures_iter(code)
            .any(|c| operations.contains_key(&c[1]) && code.contains(".client"));
        if calls_aws {
            assert!(
                ADAPTERS.iter().any(|(f, _)| *f == file),
                "aws_adapters/src/{file} calls AWS: add it to ADAPTERS (which types reach it)"
            );
        }
    }
    let direct = |body: &str| -> BTreeSet<Call> {
        op_re
            .captures_iter(body)
            .filter(|c| operations.contains_key(&c[1]))
            // `query()` is also a URL's: only an SDK client's counts.
            .filter(|c| &c[1] != "query" || body.contains(".client"))
            .map(|c| (operations[&c[1]].to_string(), None))
            .collect()
    };
    let mut methods: BTreeMap<String, BTreeSet<Call>> = BTreeMap::new();
    for name in bodies.keys() {
        // The helpers it calls on itself, to a fixed point.
        let mut seen = BTreeSet::from([name.clone()]);
        let mut todo = vec![name.clone()];
        let mut calls = BTreeSet::new();
        let mut index_names = BTreeSet::new();
        while let Some(next) = todo.pop() {
            let Some(b) = bodies.get(&next) else { continue };
            calls.extend(direct(b));
            for (constant, index) in &indexes {
                if b.contains(constant.as_str()) {
                    index_names.insert(index.clone());
                }
            }
            for c in self_re.captures_iter(b) {
                if seen.insert(c[1].to_string()) {
                    todo.push(c[1].to_string());
                }
            }
        }
        // A query reads the index named on the way to it (`due_for_redrive` names
        // REDRIVE_INDEX and calls `due_in_index`, which queries); none named: the table.
        let calls = calls
            .into_iter()
            .flat_map(|(op, _)| match op.as_str() {
                "dynamodb:Query" if !index_names.is_empty() => index_names
                    .iter()
                    .map(|i| (op.clone(), Some(i.clone())))
                    .collect::<Vec<_>>(),
                _ => vec![(op, None)],
            })
            .collect();
        methods.insert(name.clone(), calls);
    }
    methods
}

/// The adapter files a crate reaches through the types it names.
fn reached_adapters(sources: &[PathBuf]) -> BTreeSet<&'static str> {
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

/// `(name, body)` of every function in `files`, tests left out.
fn function_bodies(files: &[PathBuf]) -> BTreeMap<String, String> {
    let mut bodies: BTreeMap<String, String> = BTreeMap::new();
    for (name, _, body) in functions_in(files) {
        bodies.entry(name).or_default().push_str(&body);
    }
    bodies
}

/// Every function of `files`: (name, file, body).
fn functions_in(files: &[PathBuf]) -> Vec<(String, PathBuf, String)> {
    let fn_re = Regex::new(r"\bfn\s+([a-z_0-9]+)").unwrap();
    let mut found = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(path).unwrap();
        let code = without_tests(&text);
        let starts: Vec<(usize, String)> = fn_re
            .captures_iter(code)
            .map(|c| (c.get(0).unwrap().start(), c[1].to_string()))
            .collect();
        for (i, (start, name)) in starts.iter().enumerate() {
            let end = starts.get(i + 1).map_or(code.len(), |(s, _)| *s);
            found.push((name.clone(), path.clone(), code[*start..end].to_string()));
        }
    }
    found
}

/// The model or channel module each name a crate imports comes from, as `crate/module`
/// (`use channels::teams::{request_action, ..}` gives `channels/teams`): two modules may have
/// use cases of the same name.
fn imported_modules(files: &[PathBuf]) -> BTreeMap<String, String> {
    let use_re = Regex::new(r"use (approvals|channels)::([a-z_]+)::\{?([^;}]*)").unwrap();
    let mut modules = BTreeMap::new();
    for path in files {
        let text = std::fs::read_to_string(path).unwrap();
        for c in use_re.captures_iter(&text) {
            for name in c[3].split(',').map(str::trim).filter(|n| !n.is_empty()) {
                modules.insert(name.to_string(), format!("{}/{}", &c[1], &c[2]));
            }
        }
    }
    modules
}

/// The production code of `approvals` and `channels` (not their test doubles and contract in
/// `testing/`).
fn domain_files() -> Vec<PathBuf> {
    ["crates/approvals/src", "crates/channels/src"]
        .into_iter()
        .flat_map(|dir| rust_files(&root().join(dir)))
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name != "tests.rs"
                && !p
                    .components()
                    .any(|c| c.as_os_str() == "tests" || c.as_os_str() == "testing")
        })
        .collect()
}

/// The methods of the ports the AWS adapters implement (`approvals/src/ports.rs`).
fn aws_ports(methods: &BTreeMap<String, BTreeSet<Call>>) -> BTreeSet<String> {
    let ports = std::fs::read_to_string(root().join("crates/approvals/src/ports.rs")).unwrap();
    Regex::new(r"\bfn\s+([a-z_0-9]+)")
        .unwrap()
        .captures_iter(&ports)
        .map(|c| c[1].to_string())
        .filter(|m| methods.get(m).is_some_and(|calls| !calls.is_empty()))
        .collect()
}

/// The port methods `binary`'s code calls, itself or through the domain functions it calls.
fn port_calls(binary: &str, ports: &BTreeSet<String>) -> BTreeSet<String> {
    let domain = function_bodies(&domain_files());
    let sources = crate_sources(binary);
    let own = function_bodies(&sources);
    // The crate's first calls into the domain go to the module it imports them from.
    let imported = imported_modules(&sources);
    let first_hop: BTreeMap<String, String> = functions_in(&domain_files())
        .into_iter()
        .filter(|(name, path, _)| {
            imported.get(name).is_some_and(|module| {
                let path = path.to_string_lossy();
                let (krate, module) = module.split_once('/').unwrap();
                let dir = format!("crates/{krate}/src/{module}");
                path.contains(&format!("{dir}/")) || path.ends_with(&format!("{dir}.rs"))
            })
        })
        .fold(BTreeMap::new(), |mut bodies, (name, _, body)| {
            bodies
                .entry(name)
                .or_insert_with(String::new)
                .push_str(&body);
            bodies
        });

    let call_re = Regex::new(r"(?:^|[^.\w])([a-z_][a-z_0-9]*)\s*(?:::<[^>]*>)?\(").unwrap();
    let port_re = Regex::new(&format!(
        r"\b(?:{})\s*\.\s*([a-z_0-9]+)\(",
        PORT_RECEIVERS.join("|")
    ))
    .unwrap();
    // (body, whether it is the crate's own code)
    let mut todo: Vec<(&String, bool)> = own.values().map(|b| (b, true)).collect();
    let mut seen = BTreeSet::new();
    let mut calls = BTreeSet::new();
    while let Some((body, is_own)) = todo.pop() {
        for c in port_re.captures_iter(body) {
            if ports.contains(&c[1]) {
                calls.insert(c[1].to_string());
            }
        }
        for c in call_re.captures_iter(body) {
            let next = match (is_own, first_hop.get(&c[1])) {
                (true, Some(imported)) => Some(imported),
                _ => domain.get(&c[1]),
            };
            if let Some(next) = next {
                if seen.insert(c[1].to_string()) {
                    todo.push((next, false));
                }
            }
        }
    }
    calls
}

#[test]
fn the_domain_names_its_port_parameters_as_this_test_reads_them() {
    let param = Regex::new(r"(\w+)\s*:\s*&(?:dyn|impl)\s+(ApprovalStore|DeliveryStore|MessageStore|Approvals|ChatApprovals|WorkflowResumer|EmailSender)\b").unwrap();
    for path in domain_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        for c in param.captures_iter(without_tests(&text)) {
            assert!(
                PORT_RECEIVERS.contains(&&c[1]),
                "{}: a {} named {}: name it one of {PORT_RECEIVERS:?} (or add the name there)",
                path.display(),
                &c[2],
                &c[1]
            );
        }
    }
}

#[test]
fn uses_is_what_the_code_calls() {
    let stack = stack();
    let ports = aws_ports(&adapter_methods());
    for function in &stack.functions {
        let declared: BTreeSet<String> = USES
            .iter()
            .find(|(f, _)| *f == function.logical_id)
            .map_or(&[][..], |(_, m)| *m)
            .iter()
            .map(|m| m.to_string())
            .collect();
        let derived = port_calls(&function.binary, &ports);
        // A function that builds no AWS adapter calls ports of other kinds (none here).
        let derived: BTreeSet<String> = if reached_adapters(&crate_sources(&function.binary))
            .iter()
            .any(|f| *f != "secrets.rs")
        {
            derived
        } else {
            BTreeSet::new()
        };
        assert_eq!(declared, derived, "USES of {}", function.logical_id);
    }
}

/// (IAM action, where) pairs the function's code needs, secrets left out.
fn needed(
    function: &str,
    binary: &str,
    methods: &BTreeMap<String, BTreeSet<Call>>,
) -> BTreeSet<(String, Target)> {
    let reached = reached_adapters(&crate_sources(binary));
    let uses = USES
        .iter()
        .find(|(f, _)| *f == function)
        .map_or(&[][..], |(_, m)| *m);
    let adapter_text: String = reached
        .iter()
        .filter(|f| **f != "secrets.rs")
        .map(|f| std::fs::read_to_string(root().join("crates/aws/src").join(f)).unwrap())
        .collect();
    let mut out = BTreeSet::new();
    for method in uses {
        assert!(
            adapter_text.contains(&format!("fn {method}(")),
            "{function} uses {method}, which no adapter it builds has (it reaches {reached:?})"
        );
        for (action, index) in &methods[*method] {
            let target = match (action.split(':').next().unwrap(), index) {
                ("dynamodb", Some(index)) => Target::Index(index.clone()),
                ("dynamodb", None) => Target::Table,
                ("states", _) => Target::Any,
                ("ses", _) => Target::SesIdentities,
                _ => Target::Other(action.clone()),
            };
            out.insert((action.clone(), target));
        }
    }
    out
}

#[test]
fn every_grant_is_a_call_the_code_makes_and_every_call_has_its_grant() {
    let stack = stack();
    let methods = adapter_methods();
    let mut problems = Vec::new();
    for function in &stack.functions {
        let name = &function.logical_id;
        let needed = needed(name, &function.binary, &methods);
        let mut granted = BTreeSet::new();
        for s in statements(&stack, name) {
            for action in s.actions.iter().filter(|a| *a != SECRET_READ) {
                for resource in &s.resources {
                    granted.insert((action.clone(), target(resource)));
                }
            }
        }
        for missing in needed.difference(&granted) {
            problems.push(format!(
                "{name}: the code calls {missing:?} without a grant"
            ));
        }
        for unused in granted.difference(&needed) {
            problems.push(format!(
                "{name}: grants {unused:?}, which its code never calls"
            ));
        }
    }
    // Every function the table names exists.
    for (function, _) in USES {
        assert!(
            stack.functions.iter().any(|f| f.logical_id == *function),
            "USES names {function}, which the template does not have"
        );
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn conditions_match_what_the_code_sends() {
    let stack = stack();
    for function in &stack.functions {
        for s in statements(&stack, &function.logical_id) {
            let Some(condition) = &s.condition else {
                continue;
            };
            // The only condition: the From address of SES, which Send Email sends exactly as
            // SENDER_EMAIL holds it (send_email's tests prove that for a mixed-case sender).
            assert_eq!(s.actions, ["ses:SendEmail"], "{}", function.logical_id);
            assert_eq!(
                condition,
                &serde_json::json!({"StringEquals": {"ses:FromAddress": function.env["SENDER_EMAIL"]}}),
                "{}",
                function.logical_id
            );
            assert_eq!(function.env["SENDER_EMAIL"], "Approvals@Corp.example.com");
        }
        // Sending email is always conditioned on the sender.
        for s in statements(&stack, &function.logical_id) {
            if s.actions.iter().any(|a| a.starts_with("ses:")) {
                assert!(
                    s.condition.is_some(),
                    "{}: SES without a From condition",
                    function.logical_id
                );
            }
        }
    }
}

#[test]
fn secrets_are_read_only_by_the_functions_that_name_them() {
    let stack = stack();
    for function in &stack.functions {
        let name = &function.logical_id;
        let builds_reader =
            reached_adapters(&crate_sources(&function.binary)).contains("secrets.rs");
        let named: BTreeSet<&str> = function
            .env
            .iter()
            .filter(|(k, v)| k.ends_with("_SECRET_ID") && !v.is_empty())
            .map(|(_, v)| v.as_str())
            .collect();
        let mut readable = BTreeSet::new();
        for s in statements(&stack, name) {
            if !s.actions.iter().any(|a| a == SECRET_READ) {
                continue;
            }
            for resource in &s.resources {
                assert_ne!(resource, "*", "{name} may read every secret");
                // A name (!Ref of the secret) or the ARN pattern of a named secret.
                let secret = resource
                    .rsplit_once(":secret:")
                    .map_or(resource.as_str(), |(_, s)| s)
                    .trim_end_matches("-??????");
                readable.insert(secret.to_string());
            }
        }
        if !readable.is_empty() {
            assert!(
                builds_reader,
                "{name} may read secrets but its code reads none"
            );
        }
        let readable: BTreeSet<&str> = readable.iter().map(String::as_str).collect();
        assert_eq!(
            readable, named,
            "{name}: the secrets it may read are not the ones its environment names"
        );
    }
}

/// The derivation above reads AWS calls only in `aws_adapters`: no other deployed code calls the SDK.
#[test]
fn aws_is_called_only_through_the_aws_adapters_adapters() {
    let op_re = Regex::new(r"\.\s*([a-z_0-9]+)\(\)").unwrap();
    let operations: BTreeSet<&str> = SDK_OPERATIONS.iter().map(|(op, _)| *op).collect();
    for dir in std::fs::read_dir(root().join("functions")).unwrap() {
        let dir = dir.unwrap().path();
        let name = dir.file_name().unwrap().to_str().unwrap().to_string();
        // The adapters themselves, and tools that never run on AWS.
        if matches!(name.as_str(), "aws_adapters" | "local_stack" | "bench") {
            continue;
        }
        for path in rust_files(&dir.join("src")) {
            let text = std::fs::read_to_string(&path).unwrap();
            let code = without_tests(&text);
            if !code.contains("aws_sdk_") {
                continue;
            }
            for c in op_re.captures_iter(code) {
                assert!(
                    !operations.contains(&c[1]) || &c[1] == "query",
                    "{}: calls {} itself; call AWS through a aws_adapters adapter",
                    path.display(),
                    &c[1]
                );
            }
        }
    }
}
