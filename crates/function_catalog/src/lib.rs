//! Every Lambda function of the product, declared once. Adding a function means its handler
//! (`functions/<package>`), its entry in [`FUNCTIONS`] and its resource in `template.yaml`; the
//! tests that read this catalog fail when those three disagree (the template's resources, each
//! function's time budget against its `Timeout`, its IAM grants against the calls its code
//! makes, the local stack's and the benchmark's list of functions).
//!
//! Pure data, no dependencies: the functions' start-up, the adapters' tests and the tools all
//! read it.

mod entries;

pub use entries::FUNCTIONS;

/// One function: how it is named in each place, how it is invoked, what it calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function {
    /// The resource's logical id in `template.yaml` (`SlackRequestActionFunction`).
    pub logical_id: &'static str,
    /// The cargo package, and its folder under `functions/` (`slack_request_action`).
    pub package: &'static str,
    /// The binary: the package's `[[bin]]` and the template's `BuildProperties.Binary`.
    pub binary: &'static str,
    /// How Lambda invokes it.
    pub trigger: Trigger,
    /// The AWS services it calls: its connections opened at init, its IAM grants.
    pub aws: &'static [Aws],
    /// The secrets it reads, by the environment variable naming each one's id.
    pub secrets: &'static [&'static str],
}

/// How Lambda invokes a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A Step Functions Task (request-response, or `.waitForTaskToken`).
    Task,
    /// An HttpApi route.
    Http,
    /// An EventBridge Scheduler rule.
    Schedule,
}

/// An AWS service a function calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Aws {
    DynamoDb,
    StepFunctions,
    Ses,
    SecretsManager,
}

/// The catalog entry with this logical id.
pub fn by_logical_id(logical_id: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.logical_id == logical_id)
}

/// The catalog entry of this cargo package (a function's own `CARGO_PKG_NAME`).
pub fn by_package(package: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.package == package)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn names_are_unique_and_agree_with_each_other() {
        let mut ids = BTreeSet::new();
        for f in FUNCTIONS {
            assert!(ids.insert(f.logical_id), "{} twice", f.logical_id);
            assert_eq!(f.binary, f.package.replace('_', "-"), "{}", f.logical_id);
            assert!(f.logical_id.ends_with("Function"), "{}", f.logical_id);
        }
    }
}
