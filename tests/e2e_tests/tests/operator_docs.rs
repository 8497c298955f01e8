//! What the operator's documents tell them to type must work: every parameter `samconfig.toml`
//! and the README pass to `sam deploy` exists in `template.yaml`, and the key rotation runbook
//! waits as long as a link can live. No stack is started.

use std::path::Path;

use approvals::approval::MAX_EXPIRES_IN_SECONDS;

fn read(file: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read_to_string(root.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The template's parameter names (the keys under `Parameters:`).
fn template_parameters() -> Vec<String> {
    let template = read("template.yaml");
    let section = template
        .split("\nParameters:\n")
        .nth(1)
        .expect("a Parameters section");
    section
        .lines()
        .take_while(|line| line.is_empty() || line.starts_with(' ') || line.starts_with('#'))
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| line.trim().strip_suffix(':').map(str::to_string))
        .collect()
}

/// Every `Name=value` that follows `--parameter-overrides` in `text`.
fn overridden(text: &str) -> Vec<String> {
    text.split("--parameter-overrides")
        .skip(1)
        .flat_map(|rest| {
            rest.split_whitespace()
                .take_while(|word| word.contains('=') && !word.starts_with("--"))
                .map(|word| {
                    word.split('=')
                        .next()
                        .unwrap()
                        .trim_matches('"')
                        .to_string()
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn every_parameter_the_documents_pass_exists_in_the_template() {
    let parameters = template_parameters();
    assert!(
        parameters.iter().any(|p| p == "SenderEmail"),
        "{parameters:?}"
    );
    for file in ["samconfig.toml", "README.md"] {
        for name in overridden(&read(file)) {
            assert!(
                parameters.contains(&name),
                "{file} passes {name}, which template.yaml does not have"
            );
        }
    }
}

/// Dropping the previous signing key breaks every live link it signed: the runbook must wait
/// for the longest a link can live, not the default wait.
#[test]
fn the_key_rotation_runbook_waits_for_the_longest_link_lifetime() {
    let readme = read("README.md");
    let step = readme
        .lines()
        .skip_while(|line| !line.starts_with("# 2."))
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    let days = MAX_EXPIRES_IN_SECONDS / 86_400;
    assert!(
        step.contains(&format!("{days} days")),
        "step 2 of the rotation must wait {days} days: {step}"
    );
    assert!(!step.contains("ApprovalTimeoutSeconds"), "{step}");
}
