//! The catalog's own consistency; its agreement with the template and the workspace is
//! `tests/agreement.rs`.

use super::*;
use std::collections::BTreeSet;

#[test]
fn names_are_unique_and_agree_with_each_other() {
    let mut ids = BTreeSet::new();
    for f in FUNCTIONS {
        assert!(ids.insert(f.logical_id), "{} twice", f.logical_id);
        assert_eq!(f.binary, f.package.replace('_', "-"), "{}", f.logical_id);
        assert!(f.logical_id.ends_with("Function"), "{}", f.logical_id);
        assert_eq!(by_package(f.package), Some(f));
        assert_eq!(by_binary(f.binary), Some(f));
        assert_eq!(by_logical_id(f.logical_id), Some(f));
    }
}

#[test]
fn the_aws_services_are_those_of_the_sdk_operations() {
    for f in FUNCTIONS {
        let declared: BTreeSet<Aws> = f.aws.iter().copied().collect();
        assert_eq!(
            declared.len(),
            f.aws.len(),
            "{}: a service twice",
            f.logical_id
        );
        let called: BTreeSet<Aws> = f
            .sdk
            .iter()
            .map(|op| {
                op.service().unwrap_or_else(|| {
                    panic!("{}: {} is no service of Aws", f.logical_id, op.action)
                })
            })
            .collect();
        assert_eq!(
            declared, called,
            "{}: its aws services are not those its sdk operations call",
            f.logical_id
        );
    }
}

#[test]
fn a_function_reads_secrets_exactly_when_it_names_some() {
    for f in FUNCTIONS {
        let reads = f.sdk.iter().any(|op| op.action == SECRET_READ);
        assert_eq!(reads, !f.secrets.is_empty(), "{}", f.logical_id);
        for secret in f.secrets {
            assert!(secret.ends_with("_SECRET_ID"), "{}: {secret}", f.logical_id);
        }
    }
}

#[test]
fn operations_and_port_calls_are_listed_once_and_queries_name_their_index() {
    for f in FUNCTIONS {
        let ops: BTreeSet<&Sdk> = f.sdk.iter().collect();
        assert_eq!(
            ops.len(),
            f.sdk.len(),
            "{}: an operation twice",
            f.logical_id
        );
        let calls: BTreeSet<&&str> = f.port_calls.iter().collect();
        assert_eq!(calls.len(), f.port_calls.len(), "{}", f.logical_id);
        for op in f.sdk {
            assert_eq!(
                op.index.is_some(),
                op.action == "dynamodb:Query",
                "{}: {op:?} (a scan of the whole table is no access pattern of ours)",
                f.logical_id
            );
        }
    }
}

#[test]
fn every_function_has_a_budget_and_its_paths_are_named() {
    for f in FUNCTIONS {
        assert!(!f.budgets.is_empty(), "{} has no budget", f.logical_id);
        let paths: BTreeSet<&str> = f.budgets.iter().map(|b| b.path).collect();
        assert_eq!(
            paths.len(),
            f.budgets.len(),
            "{}: a path twice",
            f.logical_id
        );
        for b in f.budgets {
            assert!(
                !b.calls.is_empty(),
                "{} {:?}: no calls",
                f.logical_id,
                b.path
            );
            assert!(
                b.if_time_left.is_empty() || b.answer_within.is_some(),
                "{} {:?}: calls gated on time left need a deadline",
                f.logical_id,
                b.path
            );
        }
    }
}
