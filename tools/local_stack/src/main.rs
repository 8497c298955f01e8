//! `hitl-local up`: the whole approval loop on a laptop, no AWS account, no Docker.
//!
//! moto (real DynamoDB, Step Functions with ASL execution, SESv2, RDS APIs) behind an edge
//! that also serves Lambda with our real function binaries; the template's HttpApi routes;
//! its schedules; and a page listing sent emails and executions. Function processes scale out
//! per concurrent invocation up to a concurrency limit (`--concurrency`), and faults can be
//! injected (`--faults`, `/_local/api/faults`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, Context};
use tokio::net::TcpListener;
use tokio::process::Child;
use tokio::sync::watch;

use local_stack::standins::StandIns;
use local_stack::{
    edge, example, http_api, moto, outbox, provision, runtime_api, schedules, template, ui,
};

mod up;
use up::listen::{listen, wait_for_stop, Listeners, Urls};
use up::options::{parse_args, Options};
use up::standins::{random_secret, standins, template_overrides, StandInSecrets};

async fn run(options: Options) -> anyhow::Result<()> {
    let workspace = std::env::current_dir().context("the current directory")?;
    check_template(&options)?;
    let (listeners, urls) = listen(&options).await?;
    let outbox = Arc::new(outbox::Outbox::default());
    let (standins, stack, smtp) = load_stack(&options, &urls.api, &outbox)?;
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let ((moto, moto_sfn), smtp_server) = tokio::try_join!(
        start_motos(&workspace, &listeners),
        smtp.start(&workspace, outbox.clone())
    )?;

    provision::provision_secrets(&stack, &provision::sdk_config(&urls.moto).await).await?;

    let log_dir = log_dir(&workspace)?;
    let pools = start_pools(
        &stack,
        &options,
        &base_env(&urls.edge, &smtp.ca_file()),
        &log_dir,
        &shutdown_rx,
    )
    .await?;

    let faults = serve_edge(
        listeners.edge,
        &urls,
        &pools,
        (outbox.clone(), options.faults.seed),
        &shutdown_rx,
    );

    let config = provision::sdk_config(&urls.edge).await;
    let state_machines = provision::provision(&stack, &config).await?;
    let audit = local_stack::audit::start(&stack, &pools, &urls.moto, &shutdown_rx).await?;
    if let Some(audit) = &audit {
        local_stack::audit::page::register(audit.clone());
    }
    faults.replace(options.faults.clone());
    let sfn = aws_sdk_sfn::Client::new(&provision::sdk_config(&urls.edge).await);
    let (schedules, schedule_targets) = start_schedules(&stack, &pools, &sfn).await;
    start_watchers(&urls, &stack, &state_machines, &shutdown_rx).await;
    let endpoints = serde_json::json!({"edge": urls.edge, "api": urls.api, "moto": urls.moto, "motoStepFunctions": urls.moto_sfn});
    let ui = Arc::new(ui::Ui {
        outbox,
        state_machines: state_machines.clone(),
        schedules,
        schedule_targets,
        endpoints: endpoints.clone(),
        standins: standins.clone(),
    });
    let app = api_router(&stack, &pools, ui, &standins, &faults)
        .merge(local_stack::audit::api_router(audit));
    serve(listeners.api, app, &shutdown_rx);

    announce(&options, &faults, &urls, &endpoints);
    if options.example {
        example::start(&urls.edge, &sfn).await?;
    }
    print_banner(&urls);

    wait_for_stop(options.stop_on_stdin_eof).await;
    stop(shutdown_tx, [moto, moto_sfn, smtp_server], &smtp.dir).await;
    Ok(())
}

/// Where the function processes' logs go, created.
fn log_dir(workspace: &Path) -> anyhow::Result<std::path::PathBuf> {
    let log_dir = workspace.join(".local-stack/logs");
    std::fs::create_dir_all(&log_dir).with_context(|| format!("create {}", log_dir.display()))?;
    Ok(log_dir)
}

/// The stack's watchers: the executions' metrics and the template's alarms on them.
async fn start_watchers(
    urls: &Urls,
    stack: &template::Stack,
    state_machines: &BTreeMap<String, String>,
    shutdown_rx: &watch::Receiver<bool>,
) {
    // Straight to moto: the stack's own bookkeeping, neither faulted nor metered.
    let sfn_direct = aws_sdk_sfn::Client::new(&provision::sdk_config(&urls.moto_sfn).await);
    local_stack::metrics::states::start(
        sfn_direct,
        state_machines.values().cloned().collect(),
        shutdown_rx.clone(),
    );
    local_stack::alarms::start(stack.alarms.clone(), shutdown_rx.clone());
}

fn check_template(options: &Options) -> anyhow::Result<()> {
    if options.template.exists() {
        return Ok(());
    }
    Err(anyhow!(
        "{} not found: run hitl-local from the repository root",
        options.template.display()
    ))
}

/// The stand-ins, the stack (its Slack, Teams, Jira, SMTP and Outlook parameters pointing at
/// the stand-ins and the SMTP server, with credentials made up for this run) and the SMTP
/// server to start.
fn load_stack(
    options: &Options,
    api_url: &str,
    outbox: &Arc<outbox::Outbox>,
) -> anyhow::Result<(StandIns, template::Stack, local_stack::smtp::SmtpServer)> {
    let secrets = &StandInSecrets::generate();
    let smtp = local_stack::smtp::SmtpServer::choose(&secrets.smtp_password)?;
    let overrides = template_overrides(secrets, api_url, &smtp, &options.parameters);
    let mut stack = template::load(&options.template, api_url, &overrides, |_| random_secret())?;
    if options.echo {
        stack.functions.push(up::echo::function());
    }
    check_binaries(&stack, &options.bin_dir)?;
    // The mailbox Outlook sends from: the sender the functions are configured with.
    let mut mailboxes: Vec<&str> = stack
        .functions
        .iter()
        .filter_map(|f| f.env.get("SENDER_EMAIL").map(String::as_str))
        .collect();
    mailboxes.dedup();
    let standins = standins(secrets, api_url, &mailboxes, outbox.clone());
    Ok((standins, stack, smtp))
}

/// Two moto servers: Step Functions' engine (ASL parsing and a thread per execution) in one
/// Python process, DynamoDB, SES and the rest in the other, so a burst of executions does
/// not starve the functions' DynamoDB calls of moto's one interpreter lock.
async fn start_motos(workspace: &Path, listeners: &Listeners) -> anyhow::Result<(Child, Child)> {
    tokio::try_join!(
        moto::start(workspace, listeners.moto_port, listeners.edge_port),
        moto::start(workspace, listeners.moto_sfn_port, listeners.edge_port)
    )
}

fn check_binaries(stack: &template::Stack, bin_dir: &Path) -> anyhow::Result<()> {
    for f in &stack.functions {
        if !bin_dir.join(&f.binary).exists() {
            return Err(anyhow!(
                "{} is missing: run `cargo build --workspace` first",
                bin_dir.join(&f.binary).display()
            ));
        }
    }
    Ok(())
}

/// The environment every function process starts with: the edge as its AWS endpoint, and the
/// local SMTP server's CA as the one certificate authority its TLS trusts (every other
/// endpoint of the local stack is plain HTTP on loopback).
fn base_env(edge_url: &str, smtp_ca: &Path) -> Vec<(String, String)> {
    [
        ("AWS_REGION", template::REGION),
        ("AWS_DEFAULT_REGION", template::REGION),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_ENDPOINT_URL", edge_url),
        ("RUST_LOG", "info"),
        ("SSL_CERT_FILE", &smtp_ca.to_string_lossy()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// A pool per function, limited to its reserved concurrency or `--concurrency`.
async fn start_pools(
    stack: &template::Stack,
    options: &Options,
    base_env: &[(String, String)],
    log_dir: &Path,
    shutdown_rx: &watch::Receiver<bool>,
) -> anyhow::Result<BTreeMap<String, Arc<runtime_api::FunctionPool>>> {
    let template_text = std::fs::read_to_string(&options.template)
        .with_context(|| format!("read {}", options.template.display()))?;
    let reserved = runtime_api::limits::reserved_concurrency(&template_text)?;
    let mut pools = BTreeMap::new();
    for f in &stack.functions {
        let limit = reserved
            .get(&f.logical_id)
            .copied()
            .unwrap_or(options.concurrency);
        let pool = runtime_api::FunctionPool::start(
            f,
            &options.bin_dir,
            base_env,
            log_dir,
            limit,
            shutdown_rx.clone(),
        )
        .await?;
        pools.insert(f.logical_id.clone(), pool);
    }
    Ok(pools)
}

/// Serves `router` on `listener` until shutdown.
fn serve(listener: TcpListener, router: axum::Router, shutdown_rx: &watch::Receiver<bool>) {
    let mut stop = shutdown_rx.clone();
    tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let _ = axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await;
    });
}

/// The template's HttpApi routes, each to its function's pool.
fn http_routes(
    stack: &template::Stack,
    pools: &BTreeMap<String, Arc<runtime_api::FunctionPool>>,
) -> Vec<http_api::Route> {
    stack
        .functions
        .iter()
        .flat_map(|f| {
            f.http_routes.iter().map(|r| http_api::Route {
                method: r.method.clone(),
                path: r.path.clone(),
                function: pools[&f.logical_id].clone(),
                throttle: r
                    .throttle
                    .map(|t| Arc::new(http_api::throttle::TokenBucket::new(t))),
            })
        })
        .collect()
}

/// The faults in force, then the ready line the launcher and the tests wait for.
fn announce(
    options: &Options,
    faults: &edge::faults::Faults,
    urls: &Urls,
    endpoints: &serde_json::Value,
) {
    if options.faults != edge::faults::Config::default() {
        eprintln!(
            "  faults: {} (seed {}; counters at {}/_local/api/faults)",
            serde_json::to_string(&options.faults).unwrap_or_default(),
            faults.seed(),
            urls.api
        );
    }
    println!("HITL_LOCAL_READY {endpoints}");
}

/// The edge (Lambda and moto behind the fault injector) on its listener. Its faults start
/// empty: they apply once the stack is provisioned.
fn serve_edge(
    listener: TcpListener,
    urls: &Urls,
    pools: &BTreeMap<String, Arc<runtime_api::FunctionPool>>,
    (outbox, seed): (Arc<outbox::Outbox>, Option<u64>),
    shutdown_rx: &watch::Receiver<bool>,
) -> Arc<edge::faults::Faults> {
    let faults = Arc::new(edge::faults::Faults::new(
        edge::faults::Config::default(),
        seed,
    ));
    let edge = Arc::new(edge::Edge::new(
        edge::Moto {
            data: urls.moto.clone(),
            sfn: urls.moto_sfn.clone(),
        },
        pools.clone(),
        outbox.clone(),
        faults.clone(),
    ));
    serve(listener, edge::router(edge), shutdown_rx);
    faults
}

/// The API listener's routes: the HttpApi and the local page, the fault and limit controls,
/// and the stand-ins.
fn api_router(
    stack: &template::Stack,
    pools: &BTreeMap<String, Arc<runtime_api::FunctionPool>>,
    ui: Arc<ui::Ui>,
    standins: &local_stack::standins::StandIns,
    faults: &Arc<edge::faults::Faults>,
) -> axum::Router {
    let api_state = Arc::new(http_api::ApiState {
        routes: http_routes(stack, pools),
        ui,
    });
    axum::Router::new()
        .fallback(http_api::handle)
        .with_state(api_state)
        .merge(edge::faults::api_router(faults.clone()))
        .merge(runtime_api::limits::api_router(pools.clone()))
        .merge(edge::meter::api_router())
        .merge(local_stack::alarms::api_router())
        .nest("/_standins", standins.router_with_faults(faults.clone()))
}

fn print_banner(urls: &Urls) {
    eprintln!(
        "\n  hitl local stack is up.\n\n  Open      {api_url}/_local/   emails to click, executions, schedules\n  API       {api_url}/decisions/{{approvalId}}\n  AWS       AWS_ENDPOINT_URL={edge_url}   (e.g. aws stepfunctions list-executions ...)\n  Logs      .local-stack/logs/\n\n  Ctrl-C to stop.\n",
        api_url = urls.api,
        edge_url = urls.edge,
    );
}

/// The template's schedules, running against Step Functions and the pools.
async fn start_schedules(
    stack: &template::Stack,
    pools: &BTreeMap<String, Arc<runtime_api::FunctionPool>>,
    sfn: &aws_sdk_sfn::Client,
) -> (Vec<template::ScheduleDef>, schedules::Targets) {
    let schedules = stack.schedules();
    let schedule_targets = schedules::Targets {
        sfn: sfn.clone(),
        functions: pools.clone(),
    };
    schedules::run(schedule_targets.clone(), schedules.clone()).await;
    (schedules, schedule_targets)
}

/// Stops the listeners and the pools, then the moto servers and the SMTP server (and removes
/// `smtp_dir`, its certificates), and gives the processes a moment to exit.
async fn stop(shutdown_tx: watch::Sender<bool>, servers: [Child; 3], smtp_dir: &Path) {
    eprintln!("stopping...");
    let _ = shutdown_tx.send(true);
    for mut server in servers {
        let _ = server.kill().await;
    }
    let _ = std::fs::remove_dir_all(smtp_dir);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let options = parse_args();
    if let Err(e) = run(options).await {
        eprintln!("hitl-local: {e:#}");
        std::process::exit(1);
    }
}
