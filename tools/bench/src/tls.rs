//! TLS in front of moto and the Slack stand-in, as the functions meet AWS and Slack: a
//! throwaway CA made at bench start (root, intermediate and leaf, RSA 2048, the shape of
//! Amazon's chains), one TLS-terminating proxy per service on a loopback address of its own
//! (so no connection or TLS session is shared between services, as on AWS where each is a
//! host of its own), each forwarding the decrypted bytes to the plain-HTTP endpoint behind it.
//!
//! The functions trust the CA through a PEM bundle: the system's roots plus ours, the size of
//! the bundle a Lambda function loads. `SSL_CERT_FILE` names it for the AWS SDK for Rust and
//! reqwest (both read roots with `rustls-native-certs`, which takes `SSL_CERT_FILE` instead of
//! the system store), `AWS_CA_BUNDLE` for boto3. Each proxy counts the handshakes it
//! completes, so the report shows that TLS really happened, and when.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    SanType, PKCS_RSA_SHA256,
};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// The system bundle the functions would otherwise trust (Debian, Amazon Linux).
const SYSTEM_BUNDLES: [&str; 2] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
];

/// The system's own bundle (which does not hold the bench's CA), if there is one.
pub fn system_bundle() -> Option<PathBuf> {
    SYSTEM_BUNDLES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// The services behind TLS, each on `127.0.0.<octet>`, and what each stands for.
pub const SERVICES: [(&str, u8); 6] = [
    ("aws", 11),
    ("dynamodb", 12),
    ("sfn", 13),
    ("secretsmanager", 14),
    ("sesv2", 15),
    ("slack", 16),
];

/// One TLS-terminating proxy.
pub struct Proxy {
    pub name: &'static str,
    /// `https://127.0.0.N:port`
    pub url: String,
    handshakes: AtomicU64,
    failures: AtomicU64,
    /// What the handshakes settled on: version, key exchange, cipher suite.
    negotiated: Mutex<BTreeSet<String>>,
}

/// The CA bundle and the running proxies.
pub struct Tls {
    pub bundle: PathBuf,
    pub proxies: Vec<Arc<Proxy>>,
    /// Holds the bundle; removed with it.
    dir: PathBuf,
}

impl Drop for Tls {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Tls {
    /// Makes the CA and the bundle in `dir`, and starts one proxy per service: `aws` and the
    /// AWS services forward to `edge`, `slack` to `slack`.
    pub async fn start(dir: &Path, edge: SocketAddr, slack: SocketAddr) -> anyhow::Result<Self> {
        let ips: Vec<IpAddr> = SERVICES
            .iter()
            .map(|(_, octet)| IpAddr::V4(Ipv4Addr::new(127, 0, 0, *octet)))
            .collect();
        let (config, root_pem) = server_config(&ips).context("TLS setup")?;
        let bundle = dir.join("ca-bundle.pem");
        let system = system_bundle()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default();
        std::fs::write(&bundle, format!("{system}\n{root_pem}"))
            .with_context(|| format!("write {}", bundle.display()))?;
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let mut proxies = Vec::new();
        for ((name, _), ip) in SERVICES.iter().zip(ips) {
            let target = if *name == "slack" { slack } else { edge };
            proxies.push(serve(name, ip, target, acceptor.clone()).await?);
        }
        Ok(Tls {
            bundle,
            proxies,
            dir: dir.to_path_buf(),
        })
    }

    pub fn url(&self, name: &str) -> String {
        self.proxies
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.url.clone())
            .unwrap_or_default()
    }

    /// What points a function at the proxies and makes it trust the CA.
    pub fn env(&self) -> Vec<(String, String)> {
        let bundle = self.bundle.display().to_string();
        let mut env = vec![
            ("AWS_ENDPOINT_URL".to_string(), self.url("aws")),
            ("AWS_ENDPOINT_URL_DYNAMODB".into(), self.url("dynamodb")),
            ("AWS_ENDPOINT_URL_SFN".into(), self.url("sfn")),
            (
                "AWS_ENDPOINT_URL_SECRETS_MANAGER".into(),
                self.url("secretsmanager"),
            ),
            ("AWS_ENDPOINT_URL_SESV2".into(), self.url("sesv2")),
            (
                "SLACK_API_URL".into(),
                format!("{}/slack/api", self.url("slack")),
            ),
        ];
        env.extend([
            ("SSL_CERT_FILE".to_string(), bundle.clone()),
            ("AWS_CA_BUNDLE".to_string(), bundle),
        ]);
        env
    }

    /// Handshakes completed so far, per proxy (in [`SERVICES`] order).
    pub fn handshakes(&self) -> Vec<u64> {
        self.proxies
            .iter()
            .map(|p| p.handshakes.load(Ordering::Relaxed))
            .collect()
    }

    /// Every (version, key exchange, cipher suite) the handshakes settled on.
    pub fn negotiated(&self) -> BTreeSet<String> {
        let proxies = self.proxies.iter();
        proxies
            .flat_map(|p| p.negotiated.lock().unwrap().clone())
            .collect()
    }

    /// Handshakes that failed so far (a client that does not trust the CA, for one).
    pub fn failures(&self) -> u64 {
        let failed = self.proxies.iter();
        failed.map(|p| p.failures.load(Ordering::Relaxed)).sum()
    }
}

/// The chain root -> intermediate -> leaf (the leaf names every proxy address and
/// `localhost`); returns the server configuration and the root's PEM.
fn server_config(ips: &[IpAddr]) -> anyhow::Result<(ServerConfig, String)> {
    let key = || KeyPair::generate_for(&PKCS_RSA_SHA256);
    let ca = |name: &str, path_len: Option<u8>| -> Result<CertificateParams, rcgen::Error> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(match path_len {
            Some(n) => BasicConstraints::Constrained(n),
            None => BasicConstraints::Unconstrained,
        });
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        Ok(params)
    };
    let root = CertifiedIssuer::self_signed(ca("hitl-bench throwaway root CA", None)?, key()?)?;
    let intermediate =
        CertifiedIssuer::signed_by(ca("hitl-bench intermediate CA", Some(0))?, key()?, &root)?;
    let mut leaf = CertificateParams::new(vec!["localhost".to_string()])?;
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf.subject_alt_names
        .extend(ips.iter().map(|ip| SanType::IpAddress(*ip)));
    let leaf_key = key()?;
    let leaf_cert = leaf.signed_by(&leaf_key, &intermediate)?;
    let chain: Vec<CertificateDer<'static>> =
        vec![leaf_cert.der().clone(), intermediate.der().clone()];
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, PrivateKeyDer::from(leaf_key))?;
    // No ALPN: every client speaks HTTP/1.1 to the plain endpoints behind.
    Ok((config, root.pem()))
}

/// Listens on `ip` (or 127.0.0.1 where only that is configured, as on macOS) and forwards
/// each connection, once its handshake is done, to `target`.
async fn serve(
    name: &'static str,
    ip: IpAddr,
    target: SocketAddr,
    acceptor: TlsAcceptor,
) -> anyhow::Result<Arc<Proxy>> {
    let listener = match TcpListener::bind((ip, 0)).await {
        Ok(listener) => listener,
        Err(_) => TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .with_context(|| format!("bind the {name} proxy"))?,
    };
    let address = listener.local_addr()?;
    let proxy = Arc::new(Proxy {
        name,
        url: format!("https://{address}"),
        handshakes: AtomicU64::new(0),
        failures: AtomicU64::new(0),
        negotiated: Mutex::new(BTreeSet::new()),
    });
    let counted = proxy.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(forward(stream, target, acceptor.clone(), counted.clone()));
        }
    });
    Ok(proxy)
}

async fn forward(stream: TcpStream, target: SocketAddr, acceptor: TlsAcceptor, proxy: Arc<Proxy>) {
    let _ = stream.set_nodelay(true);
    let mut tls = match acceptor.accept(stream).await {
        Ok(tls) => tls,
        Err(_) => {
            proxy.failures.fetch_add(1, Ordering::Relaxed);
            return;
        }
    };
    proxy.handshakes.fetch_add(1, Ordering::Relaxed);
    let (_, session) = tls.get_ref();
    let negotiated = format!(
        "{:?} {:?} {:?}",
        session.protocol_version(),
        session.negotiated_key_exchange_group().map(|g| g.name()),
        session.negotiated_cipher_suite().map(|c| c.suite())
    );
    proxy
        .negotiated
        .lock()
        .unwrap()
        .insert(negotiated.replace("Some(", "").replace(')', ""));
    let Ok(mut upstream) = TcpStream::connect(target).await else {
        return;
    };
    let _ = upstream.set_nodelay(true);
    let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
}
