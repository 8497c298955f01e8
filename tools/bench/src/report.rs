//! The printed report: per case, echo / ours / Python side by side (ranges over the rounds),
//! the ratios, the TLS handshakes, and what a cold event costs at the emulated memory size.

use std::time::Duration;

use crate::cases::{Case, Kind, Measured};
use crate::tls::SERVICES;

/// Lambda's arm64 price (the template's default architecture), per GB-second and per request.
const PRICE_GB_SECOND: f64 = 0.000_013_333_4;
const PRICE_REQUEST: f64 = 0.000_000_2;
/// Slack's limit for answering an interaction.
const SLACK_LIMIT: Duration = Duration::from_secs(3);

/// Every round of one case: for each kind (in `Kind::ALL` order), its processes.
pub struct CaseResults {
    pub case: Case,
    pub runs: [Vec<anyhow::Result<Measured>>; 3],
}

struct Stats {
    init: Vec<Duration>,
    init_cpu: Vec<Duration>,
    first: Vec<Duration>,
    p50: Vec<Duration>,
    p99: Vec<Duration>,
    rss_kib: u64,
}

fn stats(runs: &[anyhow::Result<Measured>]) -> Option<Stats> {
    let ok: Vec<&Measured> = runs.iter().filter_map(|r| r.as_ref().ok()).collect();
    if ok.is_empty() {
        return None;
    }
    let mut s = Stats {
        init: ok.iter().map(|m| m.run.init).collect(),
        init_cpu: ok.iter().filter_map(|m| m.run.init_cpu).collect(),
        first: ok.iter().map(|m| m.run.first).collect(),
        p50: Vec::new(),
        p99: Vec::new(),
        rss_kib: ok.iter().map(|m| m.run.peak_rss_kib).max().unwrap_or(0),
    };
    for m in &ok {
        let mut warm = m.run.warm.clone();
        warm.sort();
        s.p50.push(percentile(&warm, 50.0));
        s.p99.push(percentile(&warm, 99.0));
    }
    Some(s)
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median(values: &[Duration]) -> Duration {
    let mut v = values.to_vec();
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    match ms {
        m if m < 10.0 => format!("{m:.2}"),
        m if m < 100.0 => format!("{m:.1}"),
        m => format!("{m:.0}"),
    }
}

fn range(values: &[Duration]) -> String {
    let (lo, hi) = (values.iter().min(), values.iter().max());
    match (lo, hi) {
        (Some(lo), Some(hi)) if lo == hi => format!("{} ms", ms(*lo)),
        (Some(lo), Some(hi)) => format!("{}–{} ms", ms(*lo), ms(*hi)),
        _ => "-".into(),
    }
}

/// `(kind, size in bytes)` of what each kind runs; Python has no binary of its own.
pub type Sizes = dyn Fn(Case, Kind) -> Option<u64>;

pub fn print_case(results: &CaseResults, sizes: &Sizes, memory_mb: u64) {
    let case = results.case;
    let rounds = results.runs[0].len();
    println!(
        "\n== {} [{}], {rounds} rounds ==",
        case.title(),
        case.binary()
    );
    println!(
        "{:<21} {:<17} {:<17} {:<17} {:<17} {:>8} {:>8}  {:<9} checks",
        "", "init", "first answer", "warm p50", "warm p99", "peak RSS", "size", "TLS i+a"
    );
    let all: Vec<Option<Stats>> = results.runs.iter().map(|r| stats(r)).collect();
    for (i, kind) in Kind::ALL.into_iter().enumerate() {
        let runs = &results.runs[i];
        let Some(s) = &all[i] else {
            println!("{:<21} failed: {}", kind.label(), first_error(runs));
            continue;
        };
        let size =
            sizes(case, kind).map_or("-".into(), |b| format!("{:.1} MB", b as f64 / 1_048_576.0));
        println!(
            "{:<21} {:<17} {:<17} {:<17} {:<17} {:>5.1} MB {:>8}  {:<9} {}",
            kind.label(),
            range(&s.init),
            range(&s.first),
            range(&s.p50),
            range(&s.p99),
            s.rss_kib as f64 / 1024.0,
            size,
            tls_split(runs),
            checks(runs)
        );
    }
    print_ratios(&all);
    for (i, kind) in [(1, Kind::Ours), (2, Kind::Python)] {
        if let Some(Ok(m)) = results.runs[i].first() {
            println!(
                "  TLS handshakes, {} (round 1): {}",
                kind.label(),
                tls_detail(m)
            );
        }
    }
    print_costs(case, &all, memory_mb);
}

fn first_error(runs: &[anyhow::Result<Measured>]) -> String {
    runs.iter()
        .find_map(|r| r.as_ref().err().map(|e| format!("{e:#}")))
        .unwrap_or_default()
}

/// Handshakes during init + after it, in round 1.
fn tls_split(runs: &[anyhow::Result<Measured>]) -> String {
    match runs.first() {
        Some(Ok(m)) => {
            let init: u64 = m.run.tls_init.iter().sum();
            let total: u64 = m.run.tls_total.iter().sum();
            format!("{init}+{}", total - init)
        }
        _ => "-".into(),
    }
}

fn tls_detail(m: &Measured) -> String {
    let named = |counts: &[u64]| {
        let parts: Vec<String> = SERVICES
            .iter()
            .zip(counts)
            .filter(|(_, n)| **n > 0)
            .map(|((name, _), n)| format!("{name} {n}"))
            .collect();
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join(", ")
        }
    };
    let after: Vec<u64> = m
        .run
        .tls_total
        .iter()
        .zip(&m.run.tls_init)
        .map(|(t, i)| t - i)
        .collect();
    format!(
        "during init: {}; after: {}",
        named(&m.run.tls_init),
        named(&after)
    )
}

/// Answers as expected, executions resumed and messages updated, over every round.
fn checks(runs: &[anyhow::Result<Measured>]) -> String {
    let ok: Vec<&Measured> = runs.iter().filter_map(|r| r.as_ref().ok()).collect();
    let sum = |f: &dyn Fn(&Measured) -> Option<(usize, usize)>| {
        let pairs: Vec<(usize, usize)> = ok.iter().filter_map(|m| f(m)).collect();
        (!pairs.is_empty()).then(|| {
            let (a, b) = pairs.iter().fold((0, 0), |(a, b), (x, y)| (a + x, b + y));
            format!("{a}/{b}")
        })
    };
    let mut parts = vec![format!(
        "ok {}",
        sum(&|m| Some((m.ok, m.run.outputs.len()))).unwrap_or_default()
    )];
    if let Some(r) = sum(&|m| m.resumed) {
        parts.push(format!("resumed {r}"));
    }
    if let Some(u) = sum(&|m| m.updated) {
        parts.push(format!("updated {u}"));
    }
    let failed = runs.len() - ok.len();
    if failed > 0 {
        parts.push(format!("{failed} rounds FAILED: {}", first_error(runs)));
    }
    parts.join(", ")
}

fn ratio(a: &[Duration], b: &[Duration]) -> String {
    let (a, b) = (median(a).as_secs_f64(), median(b).as_secs_f64());
    if b > 0.0 {
        format!("{:.1}x", a / b)
    } else {
        "-".into()
    }
}

fn print_ratios(all: &[Option<Stats>]) {
    if let (Some(echo), Some(ours)) = (&all[0], &all[1]) {
        println!(
            "  ours/echo (medians): init {} (its CPU time {} against {}: {}), first answer {}, warm p50 {}",
            ratio(&ours.init, &echo.init),
            range(&ours.init_cpu),
            range(&echo.init_cpu),
            ratio(&ours.init_cpu, &echo.init_cpu),
            ratio(&ours.first, &echo.first),
            ratio(&ours.p50, &echo.p50)
        );
    }
    if let (Some(ours), Some(python)) = (&all[1], &all[2]) {
        println!(
            "  python/ours (medians): init {}, first answer {}, warm p50 {}, warm p99 {}, peak RSS {:.1}x",
            ratio(&python.init, &ours.init),
            ratio(&python.first, &ours.first),
            ratio(&python.p50, &ours.p50),
            ratio(&python.p99, &ours.p99),
            python.rss_kib as f64 / ours.rss_kib.max(1) as f64
        );
    }
}

/// A cold event is billed from spawn to answer (Lambda bills init too): first answer x GB.
fn print_costs(case: Case, all: &[Option<Stats>], memory_mb: u64) {
    let cost = |s: &Stats| {
        let seconds = median(&s.first).as_secs_f64();
        (seconds * memory_mb as f64 / 1024.0 * PRICE_GB_SECOND + PRICE_REQUEST) * 1e6
    };
    if let (Some(ours), Some(python)) = (&all[1], &all[2]) {
        println!(
            "  per 1M cold events at {memory_mb} MB (arm64 price, median first answer): ours ${:.2}, Python ${:.2}",
            cost(ours),
            cost(python)
        );
    }
    if case == Case::SlackClick {
        if let Some(ours) = &all[1] {
            let worst = ours.first.iter().max().copied().unwrap_or_default();
            let verdict = if worst < SLACK_LIMIT {
                "within"
            } else {
                "OVER"
            };
            println!(
                "  Slack's 3 s: ours answers a cold click in {} at worst ({verdict})",
                range(&[worst])
            );
        }
    }
}
