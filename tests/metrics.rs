//! `--metrics`: the real binary serves `/metrics` while it watches servers
//! the tests run on 127.0.0.1 (a 1012 restart, a frame with reserved bits,
//! a refused port), and a scrape, read by a real parser, counts what the
//! events say. Every known label value shows from the first scrape, no
//! series names a connection unless asked, a hostile connection name stays
//! one label value, bad input stops the start with exit 2, OpenMetrics is
//! served when asked for, and promtool (when installed) finds nothing to
//! lint.

mod common;

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use common::child::{Wsmon, run};
use common::scrape::{Metrics, announced, request, scrape, scrape_until};
use common::*;
use tokio::io::AsyncWriteExt;

const STATES: [&str; 6] = ["open", "silent", "connecting", "waiting", "paused", "attention"];
const CAUSES: [&str; 11] = [
    "masked_frame",
    "reserved_bits",
    "reserved_opcode",
    "fragmented_control_frame",
    "control_frame_too_big",
    "unexpected_continuation",
    "expected_continuation",
    "invalid_close_frame",
    "invalid_close_code",
    "peer_reported",
    "other",
];
const STAGES: [&str; 6] = ["dns", "tcp", "proxy", "tls", "http", "timeout"];
const RULES: [&str; 6] = ["restart", "try_again_later", "normal", "transport", "protocol", "rejected"];

/// Start `wsmon ARGS` and learn where it serves metrics.
async fn start(args: &[&str]) -> (Wsmon, SocketAddr) {
    let mut wsmon = Wsmon::start(args);
    let line = wsmon.stderr_until(|line| line.contains("metrics on http://")).await;
    let addr = announced(&line).unwrap_or_else(|| panic!("no address in: {line}"));
    assert!(addr.ip().is_loopback() && addr.port() != 0, "{line}");
    (wsmon, addr)
}

fn connections(metrics: &Metrics) -> f64 {
    STATES.iter().map(|state| metrics.at("wsmon_connections", &[("state", state)])).sum()
}

/// Every family with every known label value, whatever happened.
fn assert_zero_filled(metrics: &Metrics) {
    let present = |metric: &str, labels: &[(&str, &str)]| {
        assert!(metrics.value(metric, labels).is_some(), "no {metric}{labels:?}:\n{}", metrics.text);
    };
    for state in STATES {
        present("wsmon_connections", &[("state", state)]);
    }
    for code in 1000..=1015 {
        let class = wsmon::close::Class::of_code(code).as_str();
        present("wsmon_closes_total", &[("code", &code.to_string()), ("class", class)]);
    }
    present("wsmon_closes_total", &[("code", "3xxx"), ("class", "registered")]);
    present("wsmon_closes_total", &[("code", "4xxx"), ("class", "private")]);
    present("wsmon_closes_total", &[("code", "other"), ("class", "invalid")]);
    for cause in CAUSES {
        present("wsmon_protocol_errors_total", &[("cause", cause)]);
    }
    for stage in STAGES {
        present("wsmon_handshake_failures_total", &[("stage", stage)]);
    }
    for rule in RULES {
        present("wsmon_reconnects_total", &[("rule", rule)]);
    }
    for kind in ["restart", "abrupt"] {
        present("wsmon_restart_waves_total", &[("kind", kind)]);
    }
    present("wsmon_rtt_seconds_count", &[]);
    present("wsmon_wave_recovery_seconds_count", &[]);
    present("wsmon_build_info", &[("version", env!("CARGO_PKG_VERSION"))]);
    assert_eq!(metrics.value("wsmon_build_info", &[]), Some(1.0));
    // Counters are typed as counters: the names and TYPE lines agree.
    let typed = metrics.samples("wsmon_closes_total", &[]).next().expect("closes");
    assert!(matches!(typed.value, prometheus_parse::Value::Counter(_)), "{typed:?}");
}

#[tokio::test]
async fn counters_follow_a_restart_a_protocol_error_and_a_refused_port() {
    let restarting = RestartingServer::start(Duration::from_millis(300)).await;
    let broken = raw_server(frame(0xC1, b"x")).await; // RSV1 and RSV2 set: reserved_bits
    let refused = closed_port().await;
    let targets = [
        format!("api={}", url(restarting.address)),
        format!("broken={}", url(broken.address)),
        format!("refused={}", url(refused)),
    ];
    let mut args = vec!["watch", "--metrics", "127.0.0.1:0"];
    args.extend(targets.iter().map(String::as_str));
    let (mut watch, addr) = start(&args).await;

    let first = scrape(addr).await;
    assert_zero_filled(&first);

    watch.until(|line| line.contains(" api open")).await;
    restarting.restart();
    watch.until(|line| line.contains(" api closed 1012")).await;
    // The series are fed before the lines: what a line says is already counted.
    let restarts_seen = watch.seen.iter().filter(|line| line.contains(" closed 1012 ")).count() as f64;
    let now = scrape(addr).await;
    let restarts = now.at("wsmon_closes_total", &[("code", "1012"), ("class", "service_restart")]);
    assert!(restarts >= restarts_seen, "{restarts} closes with 1012 counted, {restarts_seen} seen");

    let metrics = scrape_until(addr, "the restart's recovery, the 1002 and the refusals", |m| {
        m.at("wsmon_protocol_errors_total", &[("cause", "reserved_bits")]) >= 1.0
            && m.at("wsmon_closes_total", &[("code", "1002"), ("class", "protocol_error")]) >= 1.0
            && m.at("wsmon_handshake_failures_total", &[("stage", "tcp")]) >= 1.0
            && m.at("wsmon_reconnects_total", &[("rule", "restart")]) >= 1.0
            && m.at("wsmon_reconnects_total", &[("rule", "protocol")]) >= 1.0
            && m.at("wsmon_reconnects_total", &[("rule", "transport")]) >= 1.0
            && m.at("wsmon_restart_waves_total", &[("kind", "restart")]) >= 1.0
            && m.at("wsmon_wave_recovery_seconds_count", &[]) >= 1.0
            && m.at("wsmon_connections", &[("state", "open")]) >= 1.0
    })
    .await;
    assert_zero_filled(&metrics);
    // Three connections, each counted in exactly one state.
    assert_eq!(connections(&metrics), 3.0, "{}", metrics.text);
    // The 1002 is the broken server's only close; nothing else broke a rule.
    assert_eq!(metrics.at("wsmon_protocol_errors_total", &[("cause", "masked_frame")]), 0.0);
    assert_eq!(metrics.at("wsmon_handshake_failures_total", &[("stage", "dns")]), 0.0);
    // The recovery took the server's downtime at least, in seconds.
    let recovery = metrics.at("wsmon_wave_recovery_seconds_sum", &[]);
    assert!((0.3..20.0).contains(&recovery), "{recovery}");
    // Bounded cardinality: nothing names a connection unless asked.
    for sample in &metrics.parsed.samples {
        assert!(!sample.labels.contains_key("connection"), "{sample:?}");
    }
    assert!(!metrics.text.contains("connection="), "{}", metrics.text);
    assert_eq!(watch.interrupt().await.0, 0);
}

/// A name with a quote, a backslash and a line feed.
const HOSTILE: &str = "a\"b\\c\nd";

#[tokio::test]
async fn series_per_connection_on_request_with_hostile_names_escaped() {
    let echo = echo_server().await;
    let refused = closed_port().await;
    let hostile = format!("{HOSTILE}={}", url(echo));
    let plain = format!("plain={}", url(refused));
    let args = [
        "watch",
        "--metrics",
        "127.0.0.1:0",
        "--metrics-per-connection",
        "--ping-interval",
        "100ms",
        hostile.as_str(),
        plain.as_str(),
    ];
    let (mut watch, addr) = start(&args).await;
    let metrics = scrape_until(addr, "the echo connection up, its RTT, the refusal", |m| {
        m.text.contains("wsmon_connection_up{connection=\"a\\\"b\\\\c\\nd\"} 1\n")
            && m.at("wsmon_connection_up", &[("connection", "plain")]) == 0.0
            && m.value("wsmon_connection_closes_total", &[("connection", "plain")]) == Some(0.0)
            && m.at("wsmon_rtt_seconds_count", &[]) >= 1.0
    })
    .await;
    // Every line is a comment or a sample of wsmon's: the name broke none.
    for line in metrics.text.lines().filter(|line| !line.is_empty()) {
        assert!(line.starts_with("# ") || line.starts_with("wsmon_"), "a stray line: {line:?}");
    }
    assert_eq!(metrics.samples("wsmon_connection_up", &[]).count(), 2, "{}", metrics.text);
    assert_eq!(metrics.samples("wsmon_connection_closes_total", &[]).count(), 2, "{}", metrics.text);
    assert!(metrics.text.contains("wsmon_connection_closes_total{connection=\"a\\\"b\\\\c\\nd\"} 0\n"));
    promtool_finds_nothing_wrong(&metrics.text).await;
    assert_eq!(watch.interrupt().await.0, 0);
}

/// `promtool check metrics` on `text`: exit 0, no lint. Skipped (said on
/// stdout) when promtool is not installed.
async fn promtool_finds_nothing_wrong(text: &str) {
    let spawned = tokio::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let Ok(mut promtool) = spawned else {
        println!("skipped: promtool not installed (apt-get install prometheus)");
        return;
    };
    let mut stdin = promtool.stdin.take().expect("piped stdin");
    stdin.write_all(text.as_bytes()).await.expect("promtool reads the scrape");
    drop(stdin);
    let output = tokio::time::timeout(LIMIT, promtool.wait_with_output()).await.expect("promtool ends").unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success() && said.trim().is_empty(), "promtool: {:?}\n{said}\n{text}", output.status);
}

#[tokio::test]
async fn promtool_checks_a_scrape_after_closes_and_failures() {
    let closing = closing_server(Some(1001), "bye").await;
    let refused = closed_port().await;
    let (targets, refused) = (format!("away={}", url(closing)), format!("refused={}", url(refused)));
    let (mut watch, addr) = start(&["watch", "--metrics", "127.0.0.1:0", targets.as_str(), refused.as_str()]).await;
    let metrics = scrape_until(addr, "a 1001 and a refusal", |m| {
        m.at("wsmon_closes_total", &[("code", "1001"), ("class", "going_away")]) >= 1.0
            && m.at("wsmon_handshake_failures_total", &[("stage", "tcp")]) >= 1.0
    })
    .await;
    promtool_finds_nothing_wrong(&metrics.text).await;
    assert_eq!(watch.interrupt().await.0, 0);
}

#[tokio::test]
async fn openmetrics_when_asked_and_only_get_on_metrics() {
    let refused = closed_port().await;
    let target = url(refused);
    let (mut watch, addr) = start(&["watch", "--metrics", "127.0.0.1:0", target.as_str()]).await;

    let accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";
    let open = request(addr, "GET", "/metrics", &[("Accept", accept)]).await;
    assert_eq!(open.status, 200);
    assert!(open.header("content-type").unwrap().starts_with("application/openmetrics-text"), "{}", open.head);
    assert!(open.body.ends_with("# EOF\n"), "{}", open.body);
    assert!(open.body.contains("# TYPE wsmon_closes counter\n"), "{}", open.body);

    let plain = request(addr, "GET", "/metrics", &[("Accept", "text/plain")]).await;
    assert!(plain.header("content-type").unwrap().starts_with("text/plain; version=0.0.4"));
    assert!(!plain.body.contains("# EOF"), "{}", plain.body);

    assert_eq!(request(addr, "GET", "/", &[]).await.status, 404);
    assert_eq!(request(addr, "GET", "/metrics/x", &[]).await.status, 404);
    let post = request(addr, "POST", "/metrics", &[("Content-Length", "0")]).await;
    assert_eq!((post.status, post.header("allow")), (405, Some("GET".into())));
    assert_eq!(watch.interrupt().await.0, 0);
}

#[tokio::test]
async fn more_connections_than_the_limit_are_refused_at_start() {
    let dirs = tempfile::tempdir().unwrap();
    let args = [
        "watch",
        "--metrics",
        "127.0.0.1:0",
        "--metrics-per-connection",
        "--metrics-per-connection-limit",
        "2",
        "ws://127.0.0.1:9/a",
        "ws://127.0.0.1:9/b",
        "ws://127.0.0.1:9/c",
    ];
    let (status, stdout, stderr) = run(dirs.path(), &args).await;
    assert_eq!(status, 2, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("3 connections is over the limit of 2"), "{stderr}");
    assert!(stderr.contains("--metrics-per-connection-limit 3"), "what to do: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let alone = ["watch", "--metrics-per-connection", "ws://127.0.0.1:9/"];
    let (status, _, stderr) = run(dirs.path(), &alone).await;
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.contains("needs --metrics ADDR"), "{stderr}");
}

#[tokio::test]
async fn a_busy_or_bad_address_is_refused_at_start() {
    let dirs = tempfile::tempdir().unwrap();
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = held.local_addr().unwrap().to_string();
    let (status, _, stderr) = run(dirs.path(), &["watch", "--metrics", busy.as_str(), "ws://127.0.0.1:9/"]).await;
    assert_eq!(status, 2, "{stderr}");
    assert_eq!(stderr, format!("wsmon: cannot listen on {busy}: address in use\n"));

    let (status, _, stderr) = run(dirs.path(), &["watch", "--metrics", "9464", "ws://127.0.0.1:9/"]).await;
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.contains("not an address: '9464' — give HOST:PORT, e.g. 127.0.0.1:9464"), "{stderr}");
}

#[tokio::test]
async fn a_profile_names_the_address_and_the_demo_serves_too() {
    let echo = echo_server().await;
    let dirs = tempfile::tempdir().unwrap();
    let profiles = dirs.path().join("config/profiles");
    std::fs::create_dir_all(&profiles).unwrap();
    let profile =
        format!("[defaults]\nmetrics = \"127.0.0.1:0\"\n\n[[connection]]\nname = \"echo\"\nurl = \"{}\"\n", url(echo));
    std::fs::write(profiles.join("local.toml"), profile).unwrap();
    let mut watch = Wsmon::start_in(dirs, &["watch", "--profile", "local"]);
    let line = watch.stderr_until(|line| line.contains("metrics on http://")).await;
    let addr = announced(&line).unwrap();
    scrape_until(addr, "the profile's connection open", |m| m.at("wsmon_connections", &[("state", "open")]) == 1.0)
        .await;
    assert_eq!(watch.interrupt().await.0, 0);

    // The demo's fleet, every connection counted in one state.
    let args =
        ["demo", "--headless", "--seed", "7", "--services", "1", "--connections", "3", "--metrics", "127.0.0.1:0"];
    let (mut demo, addr) = start(&args).await;
    let metrics = scrape_until(addr, "the demo's connections counted", |m| connections(m) > 0.0).await;
    assert_zero_filled(&metrics);
    let counted = connections(&metrics);
    assert!(counted >= 3.0, "{}", metrics.text);
    assert_eq!(demo.interrupt().await.0, 0);
}
