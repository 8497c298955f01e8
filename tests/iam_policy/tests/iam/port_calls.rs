//! Which port methods a function's code calls, itself or through the domain functions it calls.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use regex::Regex;

use crate::sources::{
    crate_sources, domain_files, function_bodies, functions_in, imported_modules,
};

/// The names the domain gives its port parameters; a call on one of them is a port call.
pub const PORT_RECEIVERS: &[&str] = &["store", "resumer", "sender"];

/// The port methods `binary`'s code calls, itself or through the domain functions it calls.
pub fn port_calls(binary: &str, ports: &BTreeSet<String>) -> BTreeSet<String> {
    let domain = function_bodies(&domain_files());
    let sources = crate_sources(binary);
    let own = function_bodies(&sources);
    let first_hop = first_hop(&sources);

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

/// The crate's first calls into the domain go to the module it imports them from: the bodies of
/// the domain functions the crate imports, by name, from that module only.
fn first_hop(sources: &[PathBuf]) -> BTreeMap<String, String> {
    let imported = imported_modules(sources);
    functions_in(&domain_files())
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
        })
}
