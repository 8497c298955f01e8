//! moto in server mode for the adapters' tests: started on a free port, stopped on drop.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `.venv/bin/moto_server` on a free port.
pub fn spawn_moto() -> (Moto, u16) {
    let server = venv("moto_server");
    let port = free_port();
    let child = Command::new(server)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (Moto(child), port)
}

/// Starts moto answering one request at a time (its server without threads), for concurrent
/// conditional writes: moto checks a condition and writes without a lock, so two threads can
/// both pass one; one request at a time is DynamoDB's per-item atomicity (and more), as the
/// local stack's edge restores it.
#[allow(dead_code)] // Not every test binary that includes this module races writes.
pub fn spawn_serial_moto() -> (Moto, u16) {
    let port = free_port();
    let serial = "import moto.server as m, werkzeug.serving as w; \
        run = w.run_simple; \
        m.run_simple = lambda *a, **k: run(*a, **{**k, 'threaded': False}); \
        m.main()";
    let child = Command::new(venv("python"))
        .args(["-c", serial, "-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (Moto(child), port)
}

fn venv(program: &str) -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = root.join(".venv/bin").join(program);
    assert!(
        path.exists(),
        "{} is missing: run `make venv`",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The SDK configuration of moto at `port` (over the functions' shared HTTP client), once
/// moto answers (or after 10 s of trying).
pub async fn sdk_config_when_ready(port: u16) -> aws_config::SdkConfig {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(aws_adapters::sdk_http::SharedReqwest)
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "t", "t", None, None, "test",
        ))
        .load()
        .await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    for _ in 0..100 {
        if client.list_tables().send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    config
}
