//! `hitl-local up`: the whole approval loop on a laptop, no AWS account, no Docker.
//!
//! moto (real DynamoDB, Step Functions with ASL execution, SESv2, RDS APIs) behind an edge
//! that also serves Lambda with our real function binaries; the template's HttpApi routes;
//! its schedules; and a page listing sent emails and executions. Function processes scale out
//! per concurrent invocation up to a concurrency limit (`--concurrency`), and faults can be
//! injected (`--faults`, `/_local/api/faults`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::sync::watch;

use local_stack::standins::jira::JiraStandIn;
use local_stack::standins::slack::SlackStandIn;
use local_stack::standins::teams::TeamsStandIn;
use local_stack::standins::StandIns;
use local_stack::{
    edge, example, http_api, moto, outbox, provision, runtime_api, schedules, template, ui,
};

mod up_options;
use up_options::{parse_args, Options};

async fn bind(port: u16, what: &str) -> Result<TcpListener, String> {
    TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
        format!("cannot listen on 127.0.0.1:{port} for the {what} ({e}). Is another local stack running? Pick another port with --{}-port.", what.split(' ').next().unwrap_or(what))
    })
}

/// The Jira account the stand-in knows (its API token is made up per run).
const JIRA_EMAIL: &str = "automation@example.com";

/// Credentials of this run's stand-ins: random, so nothing real is ever needed or leaked.
struct StandInSecrets {
    slack_bot_token: String,
    slack_signing_secret: String,
    graph_client_id: String,
    graph_client_secret: String,
    jira_api_token: String,
}

impl StandInSecrets {
    fn generate() -> Self {
        StandInSecrets {
            slack_bot_token: format!("xoxb-local-{}", uuid::Uuid::new_v4().simple()),
            slack_signing_secret: random_secret(),
            graph_client_id: uuid::Uuid::new_v4().to_string(),
            graph_client_secret: random_secret(),
            jira_api_token: random_secret(),
        }
    }
}

fn random_secret() -> String {
    // Two v4 UUIDs: 244 random bits, plenty for a local signing key that lives one run.
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

async fn run(options: Options) -> Result<(), String> {
    let workspace = std::env::current_dir().map_err(|e| e.to_string())?;
    if !options.template.exists() {
        return Err(format!(
            "{} not found: run hitl-local from the repository root",
            options.template.display()
        ));
    }
    let edge_listener = bind(options.edge_port, "edge (AWS endpoint)").await?;
    let api_listener = bind(options.api_port, "api (HttpApi and local page)").await?;
    let edge_port = edge_listener
        .local_addr()
        .map_err(|e| e.to_string())?
        .port();
    let api_port = api_listener.local_addr().map_err(|e| e.to_string())?.port();
    let moto_port = match options.moto_port {
        0 => free_port()?,
        p => {
            drop(bind(p, "moto server").await?);
            p
        }
    };
    let moto_sfn_port = free_port()?;
    let (edge_url, api_url, moto_url, moto_sfn_url) = (
        format!("http://127.0.0.1:{edge_port}"),
        format!("http://127.0.0.1:{api_port}"),
        format!("http://127.0.0.1:{moto_port}"),
        format!("http://127.0.0.1:{moto_sfn_port}"),
    );

    // Slack, Teams and Jira point at the stand-ins, with credentials made up for this run.
    let secrets = StandInSecrets::generate();
    let standins = StandIns {
        slack: SlackStandIn::new(
            &secrets.slack_bot_token,
            &secrets.slack_signing_secret,
            &format!("{api_url}/slack/interactions"),
        ),
        teams: TeamsStandIn::new(&secrets.graph_client_id, &secrets.graph_client_secret),
        jira: JiraStandIn::new(JIRA_EMAIL, &secrets.jira_api_token),
    };
    let standins_url = format!("{api_url}/_standins");
    let overrides: BTreeMap<String, String> = [
        ("SlackBotToken", secrets.slack_bot_token.clone()),
        ("SlackSigningSecret", secrets.slack_signing_secret.clone()),
        ("SlackApiUrl", format!("{standins_url}/slack/api")),
        (
            "SlackTeamId",
            local_stack::standins::slack::TEAM_ID.to_string(),
        ),
        (
            "TeamsWebhookUrl",
            format!("{standins_url}/teams/webhook/local-approvals"),
        ),
        ("JiraBaseUrl", format!("{standins_url}/jira")),
        ("JiraEmail", JIRA_EMAIL.to_string()),
        ("JiraApiToken", secrets.jira_api_token.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let stack = template::load(&options.template, &api_url, &overrides, |_| random_secret())?;
    for f in &stack.functions {
        if !options.bin_dir.join(&f.binary).exists() {
            return Err(format!(
                "{} is missing: run `cargo build --workspace` first",
                options.bin_dir.join(&f.binary).display()
            ));
        }
    }
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    // Two moto servers: Step Functions' engine (ASL parsing and a thread per execution) in one
    // Python process, DynamoDB, SES and the rest in the other, so a burst of executions does
    // not starve the functions' DynamoDB calls of moto's one interpreter lock.
    let (mut moto, mut moto_sfn) = tokio::try_join!(
        moto::start(&workspace, moto_port, edge_port),
        moto::start(&workspace, moto_sfn_port, edge_port)
    )?;

    provision::provision_secrets(&stack, &provision::sdk_config(&moto_url).await).await?;

    let log_dir = workspace.join(".local-stack/logs");
    std::fs::create_dir_all(&log_dir).map_err(|e| format!("{}: {e}", log_dir.display()))?;
    let base_env: Vec<(String, String)> = [
        ("AWS_REGION", template::REGION),
        ("AWS_DEFAULT_REGION", template::REGION),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_ENDPOINT_URL", edge_url.as_str()),
        ("RUST_LOG", "info"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let template_text = std::fs::read_to_string(&options.template).map_err(|e| e.to_string())?;
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
            &base_env,
            &log_dir,
            limit,
            shutdown_rx.clone(),
        )
        .await?;
        pools.insert(f.logical_id.clone(), pool);
    }

    // Faults apply once the stack is provisioned (through the edge, which routes each call to
    // its moto).
    let faults = Arc::new(edge::faults::Faults::new(
        edge::faults::Config::default(),
        options.faults.seed,
    ));
    let outbox = Arc::new(outbox::Outbox::default());
    let edge = Arc::new(edge::Edge::new(
        edge::Moto {
            data: moto_url.clone(),
            sfn: moto_sfn_url.clone(),
        },
        pools.clone(),
        outbox.clone(),
        faults.clone(),
    ));
    let mut stop = shutdown_rx.clone();
    tokio::spawn(async move {
        let service = edge::router(edge).into_make_service_with_connect_info::<SocketAddr>();
        let _ = axum::serve(edge_listener, service)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await;
    });

    let config = provision::sdk_config(&edge_url).await;
    let state_machines = provision::provision(&stack, &config).await?;
    faults.replace(options.faults.clone());
    let sfn = aws_sdk_sfn::Client::new(&provision::sdk_config(&edge_url).await);
    let schedules = stack.schedules();
    let schedule_targets = schedules::Targets {
        sfn: sfn.clone(),
        functions: pools.clone(),
    };
    schedules::run(schedule_targets.clone(), schedules.clone()).await;

    let routes = stack
        .functions
        .iter()
        .flat_map(|f| {
            f.http_routes.iter().map(|(method, path)| http_api::Route {
                method: method.clone(),
                path: path.clone(),
                function: pools[&f.logical_id].clone(),
            })
        })
        .collect();
    let endpoints = serde_json::json!({"edge": edge_url, "api": api_url, "moto": moto_url, "motoStepFunctions": moto_sfn_url});
    let ui = Arc::new(ui::Ui {
        outbox,
        state_machines: state_machines.clone(),
        schedules,
        schedule_targets,
        endpoints: endpoints.clone(),
        standins: standins.clone(),
    });
    let api_state = Arc::new(http_api::ApiState { routes, ui });
    let app = axum::Router::new()
        .fallback(http_api::handle)
        .with_state(api_state)
        .merge(edge::faults::api_router(faults.clone()))
        .merge(runtime_api::limits::api_router(pools.clone()))
        .nest("/_standins", standins.router_with_faults(faults.clone()));
    let mut stop = shutdown_rx.clone();
    tokio::spawn(async move {
        let _ = axum::serve(
            api_listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await;
    });

    if options.faults != edge::faults::Config::default() {
        eprintln!(
            "  faults: {} (seed {}; counters at {api_url}/_local/api/faults)",
            serde_json::to_string(&options.faults).unwrap_or_default(),
            faults.seed()
        );
    }
    println!("HITL_LOCAL_READY {endpoints}");
    if options.example {
        example::start(&edge_url, &sfn).await?;
    }
    eprintln!(
        "\n  hitl local stack is up.\n\n  Open      {api_url}/_local/   emails to click, executions, schedules\n  API       {api_url}/decisions/{{approvalId}}\n  AWS       AWS_ENDPOINT_URL={edge_url}   (e.g. aws stepfunctions list-executions ...)\n  Logs      .local-stack/logs/\n\n  Ctrl-C to stop.\n"
    );

    wait_for_stop(options.stop_on_stdin_eof).await;
    eprintln!("stopping...");
    let _ = shutdown_tx.send(true);
    let _ = moto.kill().await;
    let _ = moto_sfn.kill().await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    Ok(())
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

async fn wait_for_stop(stdin_eof: bool) {
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
    let options = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(options).await {
        eprintln!("hitl-local: {e}");
        std::process::exit(1);
    }
}
