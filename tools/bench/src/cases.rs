//! The four cold paths people meet, each run by three programs side by side: the
//! `lambda_runtime` echo (the limit), ours, and Python 3.11 + boto3 doing the same work.
//!
//! Each round of a case starts a fresh process of each (one cold event, then the warm ones);
//! events that decide get approvals of their own, each with a real waiting execution.

use std::path::PathBuf;

use axum::http::Method;
use function_catalog::Function;
use serde_json::{json, Value};

use crate::cgroup::CpuLimit;
use crate::events::{create_event, lambda_env, link_event};
use crate::functions;
use crate::prep::Stack;
use crate::runner::{self, Program, Resident, Run};
use crate::slack::Slack;
use crate::tls::Tls;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Create,
    LinkGet,
    LinkPost,
    SlackClick,
}

impl Case {
    pub const ALL: [Case; 4] = [
        Case::LinkGet,
        Case::LinkPost,
        Case::SlackClick,
        Case::Create,
    ];

    pub fn parse(name: &str) -> Option<Case> {
        Case::ALL.into_iter().find(|c| c.short() == name)
    }

    pub fn short(self) -> &'static str {
        match self {
            Case::Create => "create",
            Case::LinkGet => "get",
            Case::LinkPost => "post",
            Case::SlackClick => "slack",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Case::Create => "Create Approval Links (a Task: signs links, writes the record)",
            Case::LinkGet => "Decision API GET (opens a signed link's page; never decides)",
            Case::LinkPost => "Decision API POST (decides, resumes the waiting execution)",
            Case::SlackClick => "Slack click (decides, resumes, updates the message)",
        }
    }

    /// The function the case measures.
    pub fn function(self) -> &'static Function {
        match self {
            Case::Create => functions::CREATE,
            Case::LinkGet | Case::LinkPost | Case::SlackClick => functions::DECISION,
        }
    }

    pub fn binary(self) -> &'static str {
        self.function().binary
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Echo,
    Ours,
    Python,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Echo, Kind::Ours, Kind::Python];

    pub fn label(self) -> &'static str {
        match self {
            Kind::Echo => "lambda_runtime echo",
            Kind::Ours => "ours",
            Kind::Python => "Python 3.11 + boto3",
        }
    }
}

/// One process's numbers and whether it did the work.
pub struct Measured {
    pub run: Run,
    /// Events answered as they should be.
    pub ok: usize,
    /// Executions resumed, of those its events could resume.
    pub resumed: Option<(usize, usize)>,
    /// Slack messages updated, of those clicked.
    pub updated: Option<(usize, usize)>,
}

/// Everything the rounds need.
pub struct Bench {
    pub stack: Stack,
    pub tls: Tls,
    pub cpu: CpuLimit,
    pub slack: Slack,
    pub bin_dir: PathBuf,
    pub echo: PathBuf,
    pub python: PathBuf,
    pub script: PathBuf,
    /// Warm events per process (each also gets one cold one).
    pub events: usize,
    pub helpers: Helpers,
    /// Links for the GET case: a GET never decides, so every process opens the same ones.
    pub links: Vec<Value>,
}

/// Unmeasured processes of ours that make approvals and Slack messages for the cases.
pub struct Helpers {
    pub create: Resident,
    pub slack_request: Resident,
}

impl Bench {
    /// The environment of a measured function: the deployment's, behind TLS.
    pub fn function_env(&self, binary: &str) -> Vec<(String, String)> {
        let mut env = lambda_env(binary, self.cpu.memory_mb);
        env.extend(self.tls.env());
        env
    }

    fn program(&self, case: Case, kind: Kind) -> Program {
        let env = self.function_env(case.binary());
        match kind {
            Kind::Echo => Program {
                command: self.echo.clone(),
                args: vec![],
                env,
            },
            Kind::Ours => Program {
                command: self.bin_dir.join(case.binary()),
                args: vec![],
                env,
            },
            Kind::Python => {
                let mut env = env;
                env.push(("BENCH_FUNCTION".into(), case.binary().into()));
                let script = self.script.display().to_string();
                Program {
                    command: self.python.clone(),
                    args: vec![script],
                    env,
                }
            }
        }
    }

    /// The control: ours and Python with the system's bundle instead of the bench's (so
    /// without its CA) must fail their handshakes, which shows that `SSL_CERT_FILE` and
    /// `AWS_CA_BUNDLE` are what make them trust it.
    pub async fn trust_check(&self) -> String {
        let Some(system) = crate::tls::system_bundle() else {
            return "trust check skipped: no system CA bundle".into();
        };
        let mut lines = Vec::new();
        for kind in [Kind::Ours, Kind::Python] {
            let mut program = self.program(Case::Create, kind);
            for (k, v) in program.env.iter_mut() {
                if k == "SSL_CERT_FILE" || k == "AWS_CA_BUNDLE" {
                    *v = system.display().to_string();
                }
            }
            let refused = self.tls.failures();
            let run = runner::run(&program, vec![create_event(0)], None, &self.tls).await;
            let worked =
                matches!(&run, Ok(r) if r.outputs.iter().all(|o| answered(Case::Create, kind, o)));
            let refused = self.tls.failures() - refused;
            lines.push(format!(
                "{} without the bench's CA: {} ({refused} handshakes refused)",
                kind.label(),
                if worked {
                    "WORKED (the check is broken)"
                } else {
                    "failed, as it must"
                }
            ));
        }
        lines.join("; ")
    }

    /// One round of `case`: echo, ours and Python, each a fresh process.
    pub async fn round(&self, case: Case) -> Vec<(Kind, anyhow::Result<Measured>)> {
        let mut results = Vec::new();
        let mut ours_events: Option<Prepared> = None;
        for kind in Kind::ALL {
            let prepared = match (kind, &ours_events) {
                // The echo gets ours' events (it consumes nothing), ours gets them next.
                (Kind::Ours, Some(prepared)) => Ok(prepared.clone()),
                _ => self.prepare(case).await,
            };
            let measured = match prepared {
                Ok(prepared) => {
                    if kind == Kind::Echo {
                        ours_events = Some(prepared.clone());
                    }
                    self.measure(case, kind, prepared).await
                }
                Err(e) => Err(e.context("preparing the events")),
            };
            results.push((kind, measured));
        }
        results
    }

    async fn measure(
        &self,
        case: Case,
        kind: Kind,
        prepared: Prepared,
    ) -> anyhow::Result<Measured> {
        let program = self.program(case, kind);
        let run = runner::run(&program, prepared.events, Some(&self.cpu), &self.tls).await?;
        let ok = run
            .outputs
            .iter()
            .filter(|o| answered(case, kind, o))
            .count();
        let consumed = kind != Kind::Echo;
        let resumed = match (&prepared.executions, consumed) {
            (Some(executions), true) => {
                Some((self.stack.resumed(executions).await, executions.len()))
            }
            _ => None,
        };
        let updated = match (&prepared.posted, consumed) {
            (Some(posted), true) => Some((self.slack.updated(posted), posted.len())),
            _ => None,
        };
        Ok(Measured {
            run,
            ok,
            resumed,
            updated,
        })
    }

    /// The events of one process, and what they should change.
    async fn prepare(&self, case: Case) -> anyhow::Result<Prepared> {
        let count = self.events + 1;
        let mut prepared = Prepared::default();
        prepared.events = match case {
            Case::Create => (0..count).map(create_event).collect(),
            Case::LinkGet => self
                .links
                .iter()
                .take(count)
                .map(|l| link_event(l, Method::GET))
                .collect(),
            Case::LinkPost => {
                let links = self.create_links(count).await?;
                let ids: Vec<String> = links.iter().map(|l| text(&l["approvalId"])).collect();
                prepared.executions = Some(self.stack.park(&ids).await?);
                links.iter().map(|l| link_event(l, Method::POST)).collect()
            }
            Case::SlackClick => {
                let posted = self.post_messages(count).await?;
                let ids: Vec<String> = posted.iter().map(|p| text(&p["approvalId"])).collect();
                prepared.executions = Some(self.stack.park(&ids).await?);
                let events = self.slack.click_events(&posted)?;
                prepared.posted = Some(posted);
                events
            }
        };
        Ok(prepared)
    }

    /// `count` approvals with links, made by our Create Approval Links (unmeasured).
    pub async fn create_links(&self, count: usize) -> anyhow::Result<Vec<Value>> {
        let mut links = Vec::with_capacity(count);
        for i in 0..count {
            links.push(self.helpers.create.invoke(create_event(i)).await?);
        }
        Ok(links)
    }

    /// `count` Request Action messages in the stand-in, made by our Slack Request Action.
    async fn post_messages(&self, count: usize) -> anyhow::Result<Vec<Value>> {
        let mut posted = Vec::with_capacity(count);
        for i in 0..count {
            let event = json!({"channel": "#approvals", "text": format!("Bench request {i}"),
                "taskToken": format!("bench-placeholder-{i}")});
            posted.push(self.helpers.slack_request.invoke(event).await?);
        }
        Ok(posted)
    }
}

#[derive(Clone, Default)]
struct Prepared {
    events: Vec<Value>,
    executions: Option<Vec<String>>,
    posted: Option<Vec<Value>>,
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// Did the process answer this event as the function should?
fn answered(case: Case, kind: Kind, outcome: &runner::Outcome) -> bool {
    match (outcome, kind, case) {
        (Err(_), _, _) => false,
        (Ok(_), Kind::Echo, _) => true,
        (Ok(v), _, Case::Create) => v["approvalId"].is_string(),
        (Ok(v), _, _) => v["statusCode"] == 200,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `make bench` builds `functions::ALL` in release: every measured function is in it.
    #[test]
    fn every_case_runs_a_function_make_bench_builds() {
        for case in Case::ALL {
            assert!(
                functions::ALL.contains(&case.function()),
                "{}: {} is not in functions::ALL",
                case.short(),
                case.binary()
            );
        }
    }
}
