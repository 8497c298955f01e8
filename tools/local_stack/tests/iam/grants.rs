//! The template's side: each function's grants, and the grants its code needs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use local_stack::template::{load, Stack};
use serde_json::Value;

use crate::adapters::{reached_adapters, Call};
use crate::sources::{crate_sources, root};
use crate::uses::declared;

pub const SECRET_READ: &str = "secretsmanager:GetSecretValue";

/// The template as deployed with every optional secret set (so every conditional secret and
/// grant exists) and a mixed-case sender.
pub fn stack() -> Stack {
    stack_with(&[])
}

/// The same with more parameters (e.g. another `EmailTransport`).
pub fn stack_with(extra: &[(&str, &str)]) -> Stack {
    let overrides: BTreeMap<String, String> = [
        ("SenderEmail", "Approvals@Corp.example.com"),
        ("SlackBotToken", "xoxb-test"),
        ("SlackSigningSecret", "slack-secret"),
        ("TeamsWebhookUrl", "https://teams.example.com/hook"),
        ("GraphClientSecret", "graph-secret"),
        ("JiraApiToken", "jira-token"),
        ("TeamsBotAppSecret", "bot-secret"),
        ("TeamsBotAppId", "00000000-0000-0000-0000-0000000000b0"),
    ]
    .into_iter()
    .chain(extra.iter().copied())
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
pub enum Target {
    Table,
    Index(String),
    /// `*`: task tokens name no resource.
    Any,
    SesIdentities,
    Other(String),
}

pub fn target(resource: &str) -> Target {
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

pub struct Statement {
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    pub condition: Option<Value>,
}

/// A function's `Policies` as statements; SAM policy templates and managed policies are refused
/// (this test could not see what they allow).
pub fn statements(stack: &Stack, function: &str) -> Vec<Statement> {
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

/// (IAM action, where) pairs the function's code needs, secrets left out.
pub fn needed(
    function: &str,
    binary: &str,
    methods: &BTreeMap<String, BTreeSet<Call>>,
) -> BTreeSet<(String, Target)> {
    let reached = reached_adapters(&crate_sources(binary));
    let uses = declared(function);
    let adapter_text: String = reached
        .iter()
        .filter(|f| **f != "secrets.rs")
        .map(|f| std::fs::read_to_string(root().join("crates/aws_adapters/src").join(f)).unwrap())
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
