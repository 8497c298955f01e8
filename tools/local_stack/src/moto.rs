//! Starts moto in server mode: real DynamoDB, Step Functions (with ASL execution), SESv2 and
//! RDS APIs. moto's Step Functions engine calls every integration (Lambda included) at
//! `localhost:$MOTO_PORT`, so `MOTO_PORT` is set to the edge, which serves Lambda itself.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use tokio::process::{Child, Command};

pub async fn start(workspace: &Path, moto_port: u16, edge_port: u16) -> anyhow::Result<Child> {
    let server = workspace.join(".venv/bin/moto_server");
    if !server.exists() {
        return Err(anyhow!(
            "moto is not installed ({} is missing).\n  Run `make venv` (python3 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt).",
            server.display()
        ));
    }
    let mut command = Command::new(server);
    command
        .args(["-H", "127.0.0.1", "-p", &moto_port.to_string()])
        .env("MOTO_PORT", edge_port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    crate::supervisor::tie_to_stack(&mut command);
    let child = command.spawn().context("cannot start moto")?;

    let base = format!("http://127.0.0.1:{moto_port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if client.get(format!("{base}/moto-api/")).send().await.is_ok() {
            break;
        }
        if Instant::now() > deadline {
            return Err(anyhow!("moto did not start within 60 s"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Without this, moto only records executions instead of running their ASL.
    client
        .post(format!("{base}/moto-api/config"))
        .json(&serde_json::json!({"stepfunctions": {"execute_state_machine": true}}))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .context("cannot turn on Step Functions execution in moto")?;
    Ok(child)
}
