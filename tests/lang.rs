//! The language of the prose (docs/ARCHITECTURE.md, "Languages") through
//! the real binary: `--lang` and the locale choose the words of `wsmon
//! codes` and of the Markdown report, and never a byte of the JSON.

mod common;

use common::child::{Wsmon, run_with};
use common::*;
use serde_json::Value;
use wsmon::text::width;

/// Environment variables for the child.
type Env = &'static [(&'static str, &'static str)];

const JAPANESE: Env = &[("LANG", "ja_JP.UTF-8")];
const C: Env = &[("LANG", "C")];

#[tokio::test]
async fn codes_follow_the_flag_then_lc_all_then_lc_messages_then_lang() {
    let dirs = tempfile::tempdir().unwrap();
    let cases: [(Env, &[&str], bool); 6] = [
        (JAPANESE, &["codes", "1002", "1012"], true),
        (&[("LC_ALL", "C"), ("LANG", "ja_JP.UTF-8")], &["codes", "1002", "1012"], false),
        (&[("LC_ALL", ""), ("LC_MESSAGES", "ja_JP.UTF-8"), ("LANG", "C")], &["codes", "1002", "1012"], true),
        (JAPANESE, &["codes", "--lang", "en", "1002", "1012"], false),
        (C, &["--lang", "ja", "codes", "1002", "1012"], true),
        (C, &["codes", "1002", "1012"], false),
    ];
    for (env, args, japanese) in cases {
        let (status, stdout, stderr) = run_with(dirs.path(), env, args).await;
        assert_eq!(status, 0, "{env:?} {args:?}: {stderr}");
        let (title, differences) = if japanese {
            ("1002 プロトコルエラー", "主な違い")
        } else {
            ("1002 Protocol Error", "Key differences")
        };
        assert!(stdout.starts_with(title) && stdout.contains(differences), "{env:?} {args:?}: {stdout}");
        for line in stdout.lines() {
            assert!(width(line) <= 80, "{env:?} {args:?}: {} cells: {line}", width(line));
        }
    }
}

#[tokio::test]
async fn a_bad_lang_says_what_is_allowed_and_exits_2() {
    let dirs = tempfile::tempdir().unwrap();
    let (status, stdout, stderr) = run_with(dirs.path(), JAPANESE, &["codes", "--lang", "de", "1002"]).await;
    assert_eq!(status, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("'de'") && stderr.contains("use en or ja"), "{stderr}");
}

/// What differs between two runs of the same watch: times and durations.
const VOLATILE: [&str; 6] = ["ts", "handshake_ms", "connected_ms", "delay_ms", "started", "duration_ms"];

fn stable(mut value: Value) -> Value {
    match &mut value {
        Value::Object(fields) => {
            for key in VOLATILE {
                fields.remove(key);
            }
            for field in fields.values_mut() {
                *field = stable(field.take());
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| *item = stable(item.take())),
        _ => {}
    }
    value
}

/// `watch --json` against a server that closes with 1002 and one that
/// refuses the upgrade with 403, until both reconnects are scheduled (10 s
/// and 30 s away, so nothing else happens), then Ctrl-C: the lines of each
/// connection, and the summary.
async fn watch_json(env: &[(&str, &str)], targets: &[String]) -> (Vec<Value>, tempfile::TempDir) {
    let mut args = vec!["watch", "--json"];
    args.extend(targets.iter().map(String::as_str));
    let mut watch = Wsmon::start_with(tempfile::tempdir().unwrap(), env, &args);
    for name in ["bad", "refused"] {
        watch.since(0, |line| json(line)["event"] == "reconnect_scheduled" && json(line)["conn"] == name).await;
    }
    assert_eq!(watch.interrupt().await.0, 0);
    let mut lines: Vec<Value> = watch.seen.iter().map(|line| stable(json(line))).collect();
    // The two connections' lines interleave as they come: each in its own order.
    lines.sort_by_key(|value| value["conn"].as_str().unwrap_or_default().to_string());
    (lines, watch.dirs)
}

#[tokio::test]
async fn json_lines_and_the_json_report_are_the_same_under_a_japanese_locale() {
    let closing = closing_server(Some(1002), "bad frame").await;
    let refusing = http_server("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n").await;
    let targets = [format!("bad={}", url(closing)), format!("refused={}", url(refusing))];
    let (english, dirs) = watch_json(C, &targets).await;
    let (japanese, _) = watch_json(JAPANESE, &targets).await;
    assert_eq!(english, japanese, "watch --json changed with the locale");
    let closed = japanese.iter().find(|value| value["event"] == "closed").expect("a close");
    assert_eq!((closed["class"].as_str(), closed["cause"].as_str()), (Some("protocol_error"), Some("peer_reported")));
    let failed = japanese.iter().find(|value| value["event"] == "handshake_failed").expect("a refusal");
    assert_eq!((failed["stage"].as_str(), failed["class"].as_str()), (Some("http"), Some("handshake")));

    // One log replayed into reports under both locales.
    let log = std::fs::read_dir(dirs.path().join("data/sessions")).unwrap().next().unwrap().unwrap().path();
    let log = log.to_str().unwrap();
    let mut reports = Vec::new();
    for (env, name) in [(C, "c"), (JAPANESE, "ja")] {
        for extension in ["json", "md"] {
            let report = dirs.path().join(format!("{name}.{extension}"));
            let report = report.to_str().unwrap();
            let (status, _, stderr) = run_with(dirs.path(), env, &["replay", log, "--report", report]).await;
            assert_eq!(status, 0, "{stderr}");
            reports.push(std::fs::read_to_string(report).unwrap());
        }
    }
    let [json_c, markdown_c, json_ja, markdown_ja] = &reports[..] else { unreachable!() };
    assert_eq!(json_c, json_ja, "the JSON report is the same in every language");
    assert!(markdown_c.starts_with("# Deployment report") && markdown_c.contains("## Protocol errors (1002): 1"));
    assert!(markdown_ja.starts_with("# デプロイレポート") && markdown_ja.contains("## プロトコルエラー (1002): 1"));
    assert!(markdown_ja.contains("| peer_reported | bad | 1 |"), "slugs stay: {markdown_ja}");
}
