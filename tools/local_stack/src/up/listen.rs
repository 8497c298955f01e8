//! The listeners of a `hitl-local up` run: the edge and the API, bound first so a port in use
//! is reported before anything starts, and moto's ports.

use anyhow::anyhow;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

use super::options::Options;

/// The listeners of this run, and the ports of its two moto servers.
pub struct Listeners {
    pub edge: TcpListener,
    pub edge_port: u16,
    pub api: TcpListener,
    pub moto_port: u16,
    pub moto_sfn_port: u16,
}

/// Where this run's services answer.
pub struct Urls {
    pub edge: String,
    pub api: String,
    pub moto: String,
    pub moto_sfn: String,
}

/// Binds the edge and the API, and picks moto's ports (a chosen one must be free).
pub async fn listen(options: &Options) -> anyhow::Result<(Listeners, Urls)> {
    let edge_listener = bind(options.edge_port, "edge (AWS endpoint)").await?;
    let api_listener = bind(options.api_port, "api (HttpApi and local page)").await?;
    let edge_port = edge_listener.local_addr()?.port();
    let api_port = api_listener.local_addr()?.port();
    let moto_port = match options.moto_port {
        0 => free_port()?,
        p => {
            drop(bind(p, "moto server").await?);
            p
        }
    };
    let moto_sfn_port = free_port()?;
    let urls = Urls {
        edge: format!("http://127.0.0.1:{edge_port}"),
        api: format!("http://127.0.0.1:{api_port}"),
        moto: format!("http://127.0.0.1:{moto_port}"),
        moto_sfn: format!("http://127.0.0.1:{moto_sfn_port}"),
    };
    let listeners = Listeners {
        edge: edge_listener,
        edge_port,
        api: api_listener,
        moto_port,
        moto_sfn_port,
    };
    Ok((listeners, urls))
}

async fn bind(port: u16, what: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
        anyhow!("cannot listen on 127.0.0.1:{port} for the {what} ({e}). Is another local stack running? Pick another port with --{}-port.", what.split(' ').next().unwrap_or(what))
    })
}

fn free_port() -> anyhow::Result<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(anyhow::Error::from)
}

/// Until Ctrl-C, SIGTERM, or (with `--stop-on-stdin-eof`) the end of standard input.
pub async fn wait_for_stop(stdin_eof: bool) {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    let stdin_closed = async {
        if !stdin_eof {
            return std::future::pending::<()>().await;
        }
        let mut stdin = tokio::io::stdin();
        let mut buf = [0u8; 64];
        while let Ok(n) = stdin.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
        _ = stdin_closed => {}
    }
}
