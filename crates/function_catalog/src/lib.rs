//! Every Lambda function of the product, declared once. Adding a function means its handler
//! (`functions/<package>`), its entry in [`FUNCTIONS`] and its resource in `template.yaml`; the
//! tests that read this catalog fail when those three disagree:
//! - `function_catalog`'s own `tests/agreement.rs`: the template's functions, binaries, log
//!   groups and secrets, the workspace's packages and binaries;
//! - `aws_adapters`' timeouts test: each [`Budget`] against the function's `Timeout`;
//! - `iam_policy`: the port calls and SDK operations against what the code calls and what the
//!   template grants;
//! - the benchmark names the functions it runs through this catalog.
//!
//! Pure data, no dependencies: the functions' start-up, the adapters' tests and the tools all
//! read it. Durations are classes ([`Worst`]) that `aws_adapters::timeouts` resolves, so the
//! limits stay beside the code that sets them.

mod budget;
mod entries;

pub use budget::{Budget, Call, Deadline, Worst};
pub use entries::*;

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
    /// One event at its worst, per path: what its `Timeout` must hold.
    pub budgets: &'static [Budget],
    /// The methods of the AWS-backed ports (`approvals::ports`) its use cases call, secrets
    /// apart (`iam_policy` derives them from the code and fails when they differ).
    pub port_calls: &'static [&'static str],
    /// The SDK operations those calls make, and the secret reads: what its IAM policy grants.
    pub sdk: &'static [Sdk],
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
    /// A DynamoDB stream's event source mapping.
    Stream,
}

/// An AWS service a function calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Aws {
    DynamoDb,
    StepFunctions,
    Ses,
    SecretsManager,
    EventBridge,
}

impl Aws {
    /// The service prefix of its IAM actions (`dynamodb:GetItem`).
    pub const fn iam_prefix(self) -> &'static str {
        match self {
            Aws::DynamoDb => "dynamodb",
            Aws::StepFunctions => "states",
            Aws::Ses => "ses",
            Aws::SecretsManager => "secretsmanager",
            Aws::EventBridge => "events",
        }
    }
}

/// One SDK operation, as IAM names it, with the index a DynamoDB `Query` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sdk {
    pub action: &'static str,
    pub index: Option<&'static str>,
}

impl Sdk {
    /// An operation on a whole resource (the table, a secret, `*`).
    pub const fn op(action: &'static str) -> Sdk {
        Sdk {
            action,
            index: None,
        }
    }

    /// A `dynamodb:Query` of an index.
    pub const fn query(index: &'static str) -> Sdk {
        Sdk {
            action: "dynamodb:Query",
            index: Some(index),
        }
    }

    /// The service it belongs to, if it is one of [`Aws`].
    pub fn service(&self) -> Option<Aws> {
        let prefix = self.action.split(':').next()?;
        [
            Aws::DynamoDb,
            Aws::StepFunctions,
            Aws::Ses,
            Aws::SecretsManager,
            Aws::EventBridge,
        ]
        .into_iter()
        .find(|s| s.iam_prefix() == prefix)
    }
}

/// The action every secret read needs.
pub const SECRET_READ: &str = "secretsmanager:GetSecretValue";

/// The catalog entry with this logical id.
pub fn by_logical_id(logical_id: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.logical_id == logical_id)
}

/// The catalog entry of this cargo package (a function's own `CARGO_PKG_NAME`).
pub fn by_package(package: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.package == package)
}

/// The catalog entry that builds this binary.
pub fn by_binary(binary: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.binary == binary)
}

#[cfg(test)]
mod tests;
