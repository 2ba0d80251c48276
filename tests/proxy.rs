//! Proxies against real intermediaries on 127.0.0.1: tinyproxy (HTTP
//! CONNECT with Basic auth) and microsocks (SOCKS5 with a user and
//! password), each skipped with a message where it is not installed, and
//! the tests' own CONNECT proxy, which counts what it is asked: the
//! environment's variables by curl's rules, a profile's `proxy`, wss inside
//! the tunnel, and passwords that never show.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::child::{Wsmon, run};
use common::proxies::{ConnectProxy, Intermediary, base64};
use common::tls::tls_server;
use common::*;
use serde_json::Value;
use wsmon::engine::ConnOptions;
use wsmon::engine::proxy::Proxy;

fn through(proxy: &str) -> ConnOptions {
    ConnOptions { proxy: Some(Arc::new(Proxy::parse(proxy).expect("a proxy URL"))), ..options() }
}

/// What `wsmon watch --json ARGS` with `ENV` printed and logged, stopped
/// (Ctrl-C) once its lines hold `opens` opens and `failures` failures.
struct Watched {
    lines: Vec<Value>,
    stdout: String,
    stderr: String,
    logs: String,
}

async fn watch_opens(dirs: tempfile::TempDir, args: &[&str], env: &[(&str, &str)], opens: usize) -> Watched {
    watch_until_seen(dirs, args, env, opens, 0).await
}

async fn watch_until_seen(
    dirs: tempfile::TempDir,
    args: &[&str],
    env: &[(&str, &str)],
    opens: usize,
    failures: usize,
) -> Watched {
    let mut full = vec!["watch", "--json"];
    full.extend_from_slice(args);
    let mut wsmon = Wsmon::start_with(dirs, env, &full);
    let count = |seen: &[String], event: &str| seen.iter().filter(|line| line.contains(event)).count();
    // Each wait reads one more line, bounded by LIMIT.
    while count(&wsmon.seen, r#""event":"open""#) < opens
        || count(&wsmon.seen, r#""event":"handshake_failed""#) < failures
    {
        wsmon.until(|_| true).await;
    }
    let (_, stderr) = wsmon.interrupt().await;
    let logs = read_tree(&wsmon.dirs.path().join("data"));
    let lines = wsmon.seen.iter().map(|line| json(line)).collect();
    Watched { lines, stdout: wsmon.seen.join("\n"), stderr, logs }
}

/// Every file's text under `dir` (session logs, reports).
fn read_tree(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            text.push_str(&read_tree(&path));
        } else if let Ok(content) = std::fs::read_to_string(&path) {
            text.push_str(&content);
        }
    }
    text
}

/// Flags and environment variables of one run.
type Flags<'a> = &'a [&'a str];
type Env<'a> = &'a [(&'a str, &'a str)];

fn opens(lines: &[Value]) -> Vec<&Value> {
    lines.iter().filter(|line| line["event"] == "open").collect()
}

fn event_of<'a>(lines: &'a [Value], conn: &str, event: &str) -> &'a Value {
    lines
        .iter()
        .find(|line| line["conn"] == conn && line["event"] == event)
        .unwrap_or_else(|| panic!("no {event} for {conn}: {lines:#?}"))
}

#[tokio::test]
async fn http_connect_through_tinyproxy_opens_with_the_right_password() {
    let Some(proxy) = Intermediary::tinyproxy("user", "tiny-pass-1").await else { return };
    let server = echo_server().await;
    let options = through(&format!("http://user:tiny-pass-1@{}", proxy.address));
    let lines = watch_until(spec("t", &url(server), options), is("open")).await;
    let open = lines.last().unwrap();
    assert_eq!(open["proxy"], format!("http://user:***@{}", proxy.address), "{open}");
    assert!(open["proxy_ms"].as_u64().unwrap() <= open["handshake_ms"].as_u64().unwrap(), "{open}");
}

#[tokio::test]
async fn a_wrong_password_at_tinyproxy_fails_at_the_proxy_stage() {
    let Some(proxy) = Intermediary::tinyproxy("user", "tiny-pass-2").await else { return };
    let server = echo_server().await;
    let failure = first_failure(&url(server), through(&format!("http://user:wrong-pass-2@{}", proxy.address))).await;
    assert_eq!(failure["stage"], "proxy", "{failure}");
    // tinyproxy answers a wrong password with 401, a missing one with 407.
    assert!(matches!(failure["http_status"].as_u64(), Some(401 | 407)), "{failure}");
    let detail = failure["detail"].as_str().unwrap();
    assert!(detail.starts_with(&format!("proxy http://user:***@{} CONNECT to 127.0.0.1:", proxy.address)), "{detail}");
    assert!(!detail.contains("wrong-pass-2"), "{detail}");

    let missing = first_failure(&url(server), through(&format!("http://{}", proxy.address))).await;
    assert_eq!((missing["stage"].as_str(), missing["http_status"].as_u64()), (Some("proxy"), Some(407)), "{missing}");
    assert!(missing["detail"].as_str().unwrap().contains("Proxy Authentication Required"), "{missing}");
}

#[tokio::test]
async fn socks5_through_microsocks_opens_and_a_wrong_password_fails_at_the_proxy() {
    let Some(proxy) = Intermediary::microsocks("user", "socks-pass-3").await else { return };
    let server = echo_server().await;
    for scheme in ["socks5", "socks5h"] {
        let options = through(&format!("{scheme}://user:socks-pass-3@{}", proxy.address));
        // socks5h: the proxy resolves the name.
        let target = format!("ws://localhost:{}/", server.port());
        let lines = watch_until(spec("t", &target, options), is("open")).await;
        assert_eq!(lines.last().unwrap()["proxy"], format!("{scheme}://user:***@{}", proxy.address));
    }
    let failure = first_failure(&url(server), through(&format!("socks5://user:nope-3@{}", proxy.address))).await;
    assert_eq!((failure["stage"].as_str(), &failure["http_status"]), (Some("proxy"), &Value::Null), "{failure}");
    let detail = failure["detail"].as_str().unwrap();
    assert!(detail.contains("refused the user name and password"), "{detail}");
    assert!(!detail.contains("nope-3"), "{detail}");

    // The server refusing behind the proxy is the server's TCP stage.
    let refused =
        first_failure(&url(closed_port().await), through(&format!("socks5://user:socks-pass-3@{}", proxy.address)))
            .await;
    assert_eq!(refused["stage"], "tcp", "{refused}");
    assert!(refused["detail"].as_str().unwrap().contains("could not reach the server"), "{refused}");
}

#[tokio::test]
async fn a_proxy_that_is_not_there_fails_at_the_proxy_stage() {
    let server = echo_server().await;
    let nobody = closed_port().await;
    let failure = first_failure(&url(server), through(&format!("http://{nobody}"))).await;
    assert_eq!(failure["stage"], "proxy", "{failure}");
    assert!(failure["detail"].as_str().unwrap().contains("connection refused"), "{failure}");
}

#[tokio::test]
async fn all_proxy_is_honoured_and_no_proxy_bypasses_it() {
    let proxy = ConnectProxy::start(None).await;
    let server = echo_server().await;
    let target = url(server);
    let all_proxy = format!("http://{}", proxy.address);
    let connect = format!("CONNECT 127.0.0.1:{} HTTP/1.1", server.port());

    let watched = watch_opens(tempfile::tempdir().unwrap(), &[&target], &[("ALL_PROXY", &all_proxy)], 1).await;
    assert_eq!(opens(&watched.lines)[0]["proxy"], all_proxy.as_str());
    assert_eq!(proxy.requests().iter().filter(|head| head.starts_with(&connect)).count(), 1, "{:?}", proxy.requests());

    // Each of these goes direct: the proxy hears nothing more.
    let direct: [(Flags, Env); 5] = [
        (&[], &[("ALL_PROXY", &all_proxy), ("NO_PROXY", "127.0.0.1")]),
        (&[], &[("all_proxy", &all_proxy), ("no_proxy", "localhost, 127.0.0.0/8")]),
        (&[], &[("ALL_PROXY", &all_proxy), ("NO_PROXY", "*")]),
        // curl ignores upper-case HTTP_PROXY (a CGI program's Proxy: header).
        (&[], &[("HTTP_PROXY", &all_proxy)]),
        (&["--no-proxy"], &[("ALL_PROXY", &all_proxy), ("http_proxy", &all_proxy)]),
    ];
    for (flags, env) in direct {
        let mut args = flags.to_vec();
        args.push(&target);
        let watched = watch_opens(tempfile::tempdir().unwrap(), &args, env, 1).await;
        let open = opens(&watched.lines)[0];
        assert!(open.get("proxy").is_none(), "{env:?}: {open}");
    }
    assert_eq!(proxy.requests().len(), 1, "{:?}", proxy.requests());
}

#[tokio::test]
async fn a_profile_s_proxy_holds_for_its_connections_and_secrets_never_show() {
    let (shared, own) = (
        ConnectProxy::start(Some("user:pr0xy-pass-default")).await,
        ConnectProxy::start(Some("other:lit3ral-pass-own")).await,
    );
    let server = echo_server().await;
    let target = url(server);
    let dirs = tempfile::tempdir().unwrap();
    let profiles = dirs.path().join("config").join("profiles");
    std::fs::create_dir_all(&profiles).unwrap();
    let profile = format!(
        r#"# proxies
[defaults]
proxy = "http://user:${{PROXY_PASS}}@{shared}"

[[connection]]
name = "via-defaults"
url = "{target}"

[[connection]]
name = "own"
url = "{target}"
proxy = "http://other:lit3ral-pass-own@{own}"

[[connection]]
name = "direct"
url = "{target}"
proxy = ""

[[connection]]
name = "denied"
url = "{target}"
proxy = "http://user:${{WRONG_PASS}}@{shared}"
"#,
        shared = shared.address,
        own = own.address,
    );
    std::fs::write(profiles.join("p.toml"), profile).unwrap();
    let env = [("PROXY_PASS", "pr0xy-pass-default"), ("WRONG_PASS", "n0t-the-right-one")];
    // Beside the session's directories, which go with the child.
    let kept = tempfile::tempdir().unwrap();
    let report = kept.path().join("report.md");
    let report_arg = report.display().to_string();
    let watched = watch_until_seen(dirs, &["-p", "p", "--report", &report_arg], &env, 3, 1).await;
    let lines = &watched.lines;

    assert_eq!(event_of(lines, "via-defaults", "open")["proxy"], format!("http://user:***@{}", shared.address));
    assert_eq!(event_of(lines, "own", "open")["proxy"], format!("http://other:***@{}", own.address));
    assert!(event_of(lines, "direct", "open").get("proxy").is_none());
    let denied = event_of(lines, "denied", "handshake_failed");
    assert_eq!((denied["stage"].as_str(), denied["http_status"].as_u64()), (Some("proxy"), Some(407)), "{denied}");
    // The proxy echoed the credentials it was sent; they are hidden by name.
    assert!(denied["detail"].as_str().unwrap().contains("(got Basic ${WRONG_PASS})"), "{denied}");
    let report = std::fs::read_to_string(report).unwrap();
    assert!(report.contains(&format!("via http://user:***@{}", shared.address)), "{report}");

    let everything = [&watched.stdout, &watched.stderr, &watched.logs, &report].map(|text| text.as_str()).join("\n");
    for secret in ["pr0xy-pass-default", "lit3ral-pass-own", "n0t-the-right-one"] {
        assert!(!everything.contains(secret), "{secret} shown:\n{everything}");
    }
    for pair in ["user:pr0xy-pass-default", "other:lit3ral-pass-own", "user:n0t-the-right-one"] {
        assert!(!everything.contains(&base64(pair.as_bytes())), "{pair} shown in base64:\n{everything}");
    }
    assert!(watched.logs.contains(r#""proxies":{"#), "the session line names the proxies: {}", watched.logs);
}

#[tokio::test]
async fn wss_runs_tls_inside_the_tunnel_named_for_the_server() {
    let proxy = ConnectProxy::start(None).await;
    let (ca_pem, address) = tls_server().await;
    let dirs = tempfile::tempdir().unwrap();
    let ca_file = dirs.path().join("ca.pem");
    std::fs::write(&ca_file, ca_pem).unwrap();
    let (ca, proxy_url) = (ca_file.display().to_string(), format!("http://{}", proxy.address));
    let target = format!("wss://localhost:{}/", address.port());
    let args = ["--ca-file", &ca, "--proxy", &proxy_url, &target];
    let watched = watch_opens(dirs, &args, &[], 1).await;
    assert_eq!(opens(&watched.lines)[0]["proxy"], proxy_url.as_str());
    // The proxy was asked for the name: TLS checked the certificate for it.
    let asked = format!("CONNECT localhost:{} HTTP/1.1", address.port());
    assert!(proxy.requests().iter().any(|head| head.starts_with(&asked)), "{:?}", proxy.requests());
}

#[tokio::test]
async fn a_bad_proxy_flag_is_refused_without_its_password() {
    let dirs = tempfile::tempdir().unwrap();
    for bad in ["https://user:s3cret-flag@proxy:3128", "--proxy=socks4://user:s3cret-flag@proxy"] {
        let args: Vec<&str> = match bad.strip_prefix("--proxy=") {
            Some(_) => vec!["watch", bad, "ws://127.0.0.1:9/"],
            None => vec!["watch", "--proxy", bad, "ws://127.0.0.1:9/"],
        };
        let (status, stdout, stderr) = run(dirs.path(), &args).await;
        assert_eq!(status, 2, "{stderr}");
        assert!(stderr.contains("user:***@proxy") && stderr.contains("proxy URL"), "{stderr}");
        assert!(!stdout.contains("s3cret-flag") && !stderr.contains("s3cret-flag"), "{stderr}");
    }
    let (status, _, stderr) = run(dirs.path(), &["watch", "--proxy", "http://h:1", "--no-proxy", "ws://h/"]).await;
    assert_eq!(status, 2, "{stderr}");
}
