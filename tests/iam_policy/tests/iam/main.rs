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
//! - which SDK operations each adapter method makes: read from `crates/aws_adapters/src`,
//!   following the adapter's calls to its own helpers (`self.update(..)`), with the index a
//!   `Query` reads.
//!
//! Each function's entry in `function_catalog` writes down its port calls and SDK operations,
//! so a reviewer can read them and a change in what a function calls shows in the diff; this
//! test fails when the catalog and the code, or the catalog and the template's grants,
//! disagree.
//!
//! The modules: `sources` (reading the workspace's code), `adapters` (the SDK calls of each AWS
//! adapter method), `port_calls` (the port methods a function's code reaches), `grants` (the
//! template's statements, and the SDK operations the code makes).

mod adapters;
mod grants;
mod port_calls;
mod roles;
mod sources;

use std::collections::BTreeSet;

use function_catalog::{Function, FUNCTIONS};
use regex::Regex;

use adapters::{adapter_methods, aws_ports, reached_adapters, OP_RE, SDK_OPERATIONS};
use grants::{
    catalog_sdk, code_sdk, lambda_statements, stack, statements, target, target_of,
    template_document, SECRET_READ,
};
use port_calls::{port_calls, PORT_RECEIVERS};
use roles::{lambda_needs, own_roles, reference};
use sources::{crate_sources, domain_files, root, rust_files, without_tests};

/// The catalog's entry of a function of the template.
fn entry(logical_id: &str) -> &'static Function {
    function_catalog::by_logical_id(logical_id)
        .unwrap_or_else(|| panic!("{logical_id} is in template.yaml but not in the catalog"))
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
fn port_calls_are_what_the_code_calls() {
    let ports = aws_ports(&adapter_methods());
    for function in FUNCTIONS {
        let declared: BTreeSet<String> =
            function.port_calls.iter().map(|m| m.to_string()).collect();
        let derived = port_calls(function.binary, &ports);
        // A function that builds no AWS adapter calls ports of other kinds (none here).
        let derived: BTreeSet<String> = if reached_adapters(&crate_sources(function.binary))
            .iter()
            .any(|f| *f != "secrets.rs")
        {
            derived
        } else {
            BTreeSet::new()
        };
        assert_eq!(
            declared, derived,
            "the catalog's port_calls of {} (left) are not what its code calls (right)",
            function.logical_id
        );
    }
}

#[test]
fn sdk_operations_are_what_the_code_calls() {
    let methods = adapter_methods();
    for function in FUNCTIONS {
        assert_eq!(
            catalog_sdk(function),
            code_sdk(function, &methods),
            "the catalog's sdk of {} (left) is not what its code calls (right)",
            function.logical_id
        );
    }
}

#[test]
fn every_grant_is_in_the_catalog_and_every_operation_of_the_catalog_granted() {
    let stack = stack();
    let mut problems = Vec::new();
    for function in &stack.functions {
        let name = &function.logical_id;
        let entry = entry(name);
        let needed: BTreeSet<_> = entry
            .sdk
            .iter()
            .filter(|op| op.action != SECRET_READ)
            .map(|op| (op.action.to_string(), target_of(op.action, op.index)))
            .collect();
        let mut granted = BTreeSet::new();
        let mut reads_secrets = false;
        for s in statements(&stack, name) {
            for action in &s.actions {
                reads_secrets |= action == SECRET_READ;
                for resource in s.resources.iter().filter(|_| action != SECRET_READ) {
                    granted.insert((action.clone(), target(resource)));
                }
            }
        }
        for missing in needed.difference(&granted) {
            problems.push(format!(
                "{name}: the catalog lists {missing:?}, which the template does not grant"
            ));
        }
        for unused in granted.difference(&needed) {
            problems.push(format!(
                "{name}: grants {unused:?}, which its catalog entry does not list"
            ));
        }
        if reads_secrets && entry.secrets.is_empty() {
            problems.push(format!(
                "{name}: may read secrets; its catalog entry names none"
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn conditions_match_what_the_code_sends() {
    let stack = stack();
    for function in &stack.functions {
        for s in statements(&stack, &function.logical_id) {
            // The audit bus takes only the audit trail's source from its publisher.
            if s.actions.iter().any(|a| a == "events:PutEvents") {
                assert_eq!(s.actions, ["events:PutEvents"], "{}", function.logical_id);
                let source = serde_json::json!({"StringEquals": {"events:source": approvals::audit::SOURCE}});
                assert_eq!(
                    s.condition.as_ref(),
                    Some(&source),
                    "{}",
                    function.logical_id
                );
                continue;
            }
            let Some(condition) = &s.condition else {
                continue;
            };
            // The only other condition: the From address of SES, which Send Email sends exactly as
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
        let in_catalog = entry(name).secrets;
        let named: BTreeSet<&str> = function
            .env
            .iter()
            .filter(|(k, v)| k.ends_with("_SECRET_ID") && !v.is_empty())
            .inspect(|(k, _)| {
                assert!(
                    in_catalog.contains(&k.as_str()),
                    "{name}: its environment names {k}, which its catalog secrets do not"
                );
            })
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
            for c in OP_RE.captures_iter(code) {
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

/// Each email transport's grant exists only where it is used: SES's `ses:SendEmail` with
/// `EmailTransport=ses`, the SMTP password with `smtp`, the Outlook client secret with
/// `outlook`, for every function that sends email (its environment has `EMAIL_TRANSPORT`).
#[test]
fn each_email_transport_is_granted_only_what_it_uses() {
    for (transport, secret) in [
        ("ses", None),
        ("smtp", Some("smtp-password")),
        ("outlook", Some("outlook-client-secret")),
    ] {
        let stack = grants::stack_with(&[
            ("EmailTransport", transport),
            ("SmtpHost", "smtp.example.com"),
            ("SmtpPassword", "smtp-secret"),
            ("OutlookTenantId", "contoso.example.com"),
            ("OutlookClientId", "00000000-0000-0000-0000-000000000001"),
            ("OutlookClientSecret", "outlook-secret"),
        ]);
        let senders: Vec<_> = stack
            .functions
            .iter()
            .filter(|f| f.env.iter().any(|(k, _)| k == "EMAIL_TRANSPORT"))
            .collect();
        assert!(senders.len() >= 2, "Send Email and Teams Request Action");
        for function in senders {
            let name = &function.logical_id;
            let grants = statements(&stack, name);
            let ses = grants
                .iter()
                .any(|s| s.actions.iter().any(|a| a == "ses:SendEmail"));
            assert_eq!(
                ses,
                transport == "ses",
                "{name} with {transport}: ses:SendEmail"
            );
            let readable: Vec<&String> = grants
                .iter()
                .filter(|s| s.actions.iter().any(|a| a == grants::SECRET_READ))
                .flat_map(|s| &s.resources)
                .collect();
            for other in ["smtp-password", "outlook-client-secret"] {
                let granted = readable.iter().any(|r| r.contains(other));
                assert_eq!(
                    granted,
                    secret == Some(other),
                    "{name} with {transport}: {other}"
                );
            }
        }
    }
}

#[test]
fn own_roles_grant_lambda_only_their_stream_log_group_and_failure_queue() {
    let stack = stack();
    let document = template_document();
    let roles = own_roles(&document);
    assert!(
        roles.iter().any(|(f, _)| f == "AuditPublisherFunction"),
        "the Audit Publisher has its own role (not SAM's AWSLambdaDynamoDBExecutionRole)"
    );
    for (function, _) in roles {
        assert_eq!(
            lambda_statements(&stack, &function),
            lambda_needs(&document, &function),
            "{function}: what its role grants Lambda (left), what its stream, log group and failure queue need (right)"
        );
    }
}

/// Nobody but the Audit Publisher's role may put events on the audit bus, whatever their own
/// policies allow: no forged `hitl.approvals` events.
#[test]
fn only_the_audit_publishers_role_may_put_events_on_the_audit_bus() {
    let document = template_document();
    let (_, role) = own_roles(&document)
        .into_iter()
        .find(|(f, _)| f == "AuditPublisherFunction")
        .expect("the Audit Publisher's own role");
    let resources = document["Resources"].as_mapping().unwrap();
    let denies: Vec<_> = resources
        .values()
        .filter(|r| r["Type"] == "AWS::Events::EventBusPolicy")
        .map(|r| &r["Properties"])
        .filter(|p| reference(&p["EventBusName"]) == Some(("AuditEventBus".to_string(), None)))
        .map(|p| &p["Statement"])
        .filter(|s| {
            s["Effect"] == "Deny" && s["Principal"] == "*" && s["Action"] == "events:PutEvents"
        })
        .collect();
    assert_eq!(denies.len(), 1, "one Deny of PutEvents on the audit bus");
    let deny = denies[0];
    assert_eq!(
        reference(&deny["Resource"]),
        Some(("AuditEventBus".to_string(), Some("Arn".to_string())))
    );
    let except = &deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"];
    assert_eq!(reference(except), Some((role, Some("Arn".to_string()))));
    assert_eq!(
        deny["Condition"].as_mapping().unwrap().len(),
        1,
        "{:?}",
        deny["Condition"]
    );
}
