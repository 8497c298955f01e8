//! The crate's one error: what could not be read, and where in the template.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    // The cause is in the message (not a `#[source]`), so it is said once by `{e}` and `{e:#}`.
    #[error("cannot read {}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{} is not valid YAML: {error}", path.display())]
    Yaml {
        path: PathBuf,
        error: serde_norway::Error,
    },
    /// A resource's (or a top-level section's) field is missing or not what CloudFormation
    /// takes there.
    #[error("{resource}: {field}: {problem}")]
    Field {
        /// The logical id, or the section (`Parameters`, `Outputs`, `Globals`).
        resource: String,
        /// The field's path under the resource (`Metadata.BuildProperties.Binary`).
        field: String,
        problem: String,
    },
    /// An intrinsic function that cannot be resolved, before the resolver's caller says which
    /// resource and field held it ([`Error::at`]).
    #[error("{0}")]
    Intrinsic(String),
}

impl Error {
    pub(crate) fn field(resource: &str, field: &str, problem: impl Into<String>) -> Error {
        Error::Field {
            resource: resource.to_string(),
            field: field.to_string(),
            problem: problem.into(),
        }
    }

    /// Names the resource and field an intrinsic's error came from.
    pub(crate) fn at(self, resource: &str, field: &str) -> Error {
        match self {
            Error::Intrinsic(problem) => Error::field(resource, field, problem),
            located => located,
        }
    }
}

/// `result.at(resource, field)`: [`Error::at`] on the error.
pub(crate) trait At<T> {
    fn at(self, resource: &str, field: &str) -> Result<T>;
}

impl<T> At<T> for Result<T> {
    fn at(self, resource: &str, field: &str) -> Result<T> {
        self.map_err(|e| e.at(resource, field))
    }
}
