//! The template's side: each function's grants, and the grants its code needs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use function_catalog::Function;
use sam_template::{Deployed, Deployment, Template};
use serde_json::Value;

use crate::adapters::{reached_adapters, Call};
use crate::roles::{inline_own_roles, own_roles, LAMBDA_ACTIONS};
use crate::sources::{crate_sources, root};

pub use function_catalog::SECRET_READ;

/// The template as deployed with every optional secret set (so every conditional secret and
/// grant exists) and a mixed-case sender.
pub fn stack() -> Deployed {
    stack_with(&[])
}

/// The same with more parameters (e.g. another `EmailTransport`).
pub fn stack_with(extra: &[(&str, &str)]) -> Deployed {
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
    let template = template_path();
    // A function's own role read as its Policies (crate::roles).
    let text = inline_own_roles(&std::fs::read_to_string(&template).unwrap());
    let deployment = Deployment {
        region: "us-east-1",
        account: "123456789012",
        stack_name: "hitl",
        parameters: &overrides,
        api_endpoint: None,
        generated: &|_| "x".repeat(40),
    };
    Template::parse(&text, template.parent().unwrap())
        .unwrap()
        .deploy(&deployment)
        .unwrap()
}

/// The template the tests read. HITL_TEMPLATE: another one to check (e.g. a changed copy, to see
/// this test fail).
pub fn template_path() -> PathBuf {
    std::env::var_os("HITL_TEMPLATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("template.yaml"))
}

/// The template as written (YAML, intrinsics unresolved).
pub fn template_document() -> sam_template::yaml::Value {
    sam_template::yaml::from_str(&std::fs::read_to_string(template_path()).unwrap()).unwrap()
}

/// Where a grant applies, as the code needs it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    Table,
    Index(String),
    /// `*`: task tokens name no resource.
    Any,
    SesIdentities,
    /// The audit trail's event bus.
    AuditBus,
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
    } else if resource == "arn:aws:events:us-east-1:123456789012:event-bus/AuditEventBus" {
        Target::AuditBus
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
/// (this test could not see what they allow). For a function with its own role, what the role
/// grants Lambda itself ([`lambda_statements`]) is left out: the code makes no such call.
pub fn statements(stack: &Deployed, function: &str) -> Vec<Statement> {
    let own_role = own_roles(&template_document())
        .iter()
        .any(|(f, _)| f == function);
    let lambdas = |s: &Statement| {
        s.actions
            .iter()
            .all(|a| LAMBDA_ACTIONS.contains(&a.as_str()))
    };
    all_statements(stack, function)
        .into_iter()
        .filter(|s| !(own_role && lambdas(s)))
        .collect()
}

/// What a function's own role grants Lambda itself ([`LAMBDA_ACTIONS`]): (action, resource).
pub fn lambda_statements(stack: &Deployed, function: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for s in all_statements(stack, function) {
        if s.actions
            .iter()
            .all(|a| LAMBDA_ACTIONS.contains(&a.as_str()))
        {
            assert!(s.condition.is_none(), "{function}: {:?}", s.actions);
            for a in &s.actions {
                out.extend(s.resources.iter().map(|r| (a.clone(), r.clone())));
            }
        }
    }
    out
}

fn all_statements(stack: &Deployed, function: &str) -> Vec<Statement> {
    let mut out = Vec::new();
    let deployed = stack.functions.iter().find(|f| f.logical_id == function);
    for policy in &deployed.unwrap().policies {
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

/// Where an SDK operation applies: the table, an index of it, `*`, SES's identities.
pub fn target_of(action: &str, index: Option<&str>) -> Target {
    match (action.split(':').next().unwrap(), index) {
        ("dynamodb", Some(index)) => Target::Index(index.to_string()),
        ("dynamodb", None) => Target::Table,
        ("states", _) => Target::Any,
        ("ses", _) => Target::SesIdentities,
        ("events", _) => Target::AuditBus,
        _ => Target::Other(action.to_string()),
    }
}

/// The SDK operations (IAM action, index) the code of `function` makes: those of the adapter
/// methods behind its port calls (as the catalog lists them; `port_calls_are_what_the_code_calls`
/// holds that list to the code), and the secret read when it builds a secret reader.
pub fn code_sdk(
    function: &Function,
    methods: &BTreeMap<String, BTreeSet<Call>>,
) -> BTreeSet<(String, Option<String>)> {
    let reached = reached_adapters(&crate_sources(function.binary));
    let adapter_text: String = reached
        .iter()
        .filter(|f| **f != "secrets.rs")
        .map(|f| std::fs::read_to_string(root().join("crates/aws_adapters/src").join(f)).unwrap())
        .collect();
    let mut out = BTreeSet::new();
    for method in function.port_calls {
        assert!(
            adapter_text.contains(&format!("fn {method}(")),
            "{} uses {method}, which no adapter it builds has (it reaches {reached:?})",
            function.logical_id
        );
        out.extend(methods[*method].iter().cloned());
    }
    if reached.contains("secrets.rs") {
        out.insert((SECRET_READ.to_string(), None));
    }
    out
}

/// The catalog's SDK operations of `function`, as `code_sdk` gives them.
pub fn catalog_sdk(function: &Function) -> BTreeSet<(String, Option<String>)> {
    function
        .sdk
        .iter()
        .map(|op| (op.action.to_string(), op.index.map(str::to_string)))
        .collect()
}
