//! The local SMTP server: aiosmtpd from the pinned Python tools (`requirements-dev.txt`), run
//! like moto (`smtp/server.py`). It listens with STARTTLS and with TLS from the first byte,
//! with a certificate made for the run by a private CA the functions trust (`SSL_CERT_FILE`),
//! and requires AUTH with credentials made up for the run. Each message it accepts goes to the
//! outbox, so the local page shows SMTP mail as it shows SES mail.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::outbox::{now_rfc3339, strings, Outbox, SentEmail};

const SERVER: &str = include_str!("smtp/server.py");
/// The account the functions log in as (its password is made up per run).
pub const USERNAME: &str = "hitl-local";

/// Where the server listens, and the CA certificate that signs its certificate, chosen before
/// it starts (the template's parameters and the functions' `SSL_CERT_FILE` name them).
#[derive(Debug, Clone)]
pub struct SmtpServer {
    pub starttls_port: u16,
    pub tls_port: u16,
    pub dir: PathBuf,
    pub password: String,
}

impl SmtpServer {
    /// Two free ports, a directory of its own and a password made up for this run.
    pub fn choose(password: &str) -> anyhow::Result<Self> {
        let port = || {
            std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .context("no free port for the SMTP server")
        };
        Ok(SmtpServer {
            starttls_port: port()?,
            tls_port: port()?,
            dir: std::env::temp_dir().join(format!("hitl-smtp-{}", uuid::Uuid::new_v4().simple())),
            password: password.to_string(),
        })
    }

    /// The certificate the functions must trust (their `SSL_CERT_FILE`).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// Starts the server and waits for its ready line; its messages go to `outbox` from then
    /// on.
    pub async fn start(&self, workspace: &Path, outbox: Arc<Outbox>) -> anyhow::Result<Child> {
        let python = workspace.join(".venv/bin/python");
        if !python.exists() {
            return Err(anyhow!(
                "the Python tools are not installed ({} is missing).\n  Run `make venv`.",
                python.display()
            ));
        }
        let mut command = Command::new(python);
        command
            .args(["-u", "-c", SERVER])
            .env("HITL_SMTP_USERNAME", USERNAME)
            .env("HITL_SMTP_PASSWORD", &self.password)
            .env("HITL_SMTP_STARTTLS_PORT", self.starttls_port.to_string())
            .env("HITL_SMTP_TLS_PORT", self.tls_port.to_string())
            .env("HITL_SMTP_DIR", &self.dir)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true);
        crate::supervisor::tie_to_stack(&mut command);
        let mut child = command.spawn().context("cannot start the SMTP server")?;
        let stdout = child
            .stdout
            .take()
            .context("the SMTP server has no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .map_err(|_| anyhow!("the SMTP server did not start within 30 s"))?
            .context("the SMTP server")?
            .context("the SMTP server stopped at once (is aiosmtpd installed? run `make venv`)")?;
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                match serde_json::from_str::<Value>(&line) {
                    Ok(message) => outbox.record(received(&message)),
                    Err(_) => eprintln!("[smtp] {line}"),
                }
            }
        });
        Ok(child)
    }
}

/// A message the server printed, as the outbox keeps it.
fn received(m: &Value) -> SentEmail {
    let text = |k: &str| m[k].as_str().unwrap_or_default().to_string();
    SentEmail {
        id: text("id")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
            .collect(),
        via: "smtp".into(),
        from: text("from"),
        from_name: m["fromName"].as_str().map(str::to_string),
        to: strings(&m["to"]),
        cc: strings(&m["cc"]),
        bcc: strings(&m["bcc"]),
        reply_to: strings(&m["replyTo"]),
        subject: text("subject"),
        text: text("text"),
        html: text("html"),
        sent_at: now_rfc3339(),
    }
}
