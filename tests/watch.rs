//! The real `wsmon` binary under `watch`: a rolling restart end to end, the
//! replay of its log, exit codes, bad input, and text from a hostile server.

mod common;

use std::time::Duration;

use common::child::{Wsmon, run};
use common::*;
use wsmon::model::Model;
use wsmon::wire::{Decoded, Replayer};

fn event_is(line: &str, event: &str, conn: &str) -> bool {
    let value = json(line);
    value["event"] == event && value["conn"] == conn
}

#[tokio::test]
async fn a_rolling_restart_is_one_wave_and_its_log_replays_to_the_same_summary() {
    let servers = [
        RestartingServer::start(Duration::from_secs(1)).await,
        RestartingServer::start(Duration::from_secs(1)).await,
        RestartingServer::start(Duration::from_secs(1)).await,
    ];
    let names = ["api-1", "api-2", "api-3"];
    let targets: Vec<String> =
        names.iter().zip(&servers).map(|(name, server)| format!("{name}={}", url(server.address))).collect();
    let mut args: Vec<&str> = vec!["--json"];
    args.extend(targets.iter().map(String::as_str));
    args.insert(0, "watch");
    let mut watch = Wsmon::start(&args);

    for name in names {
        watch.since(0, |line| event_is(line, "open", name)).await;
    }
    let restarts_began = watch.seen.len();
    // One after another: each server restarts once the previous one's close is seen.
    for (server, name) in servers.iter().zip(names) {
        server.restart();
        let closed = json(&watch.since(restarts_began, |line| event_is(line, "closed", name)).await);
        assert_eq!((closed["code"].as_u64(), closed["class"].as_str()), (Some(1012), Some("service_restart")));
        assert_eq!(closed["initiator"], "server");
        let scheduled = json(&watch.since(restarts_began, |line| event_is(line, "reconnect_scheduled", name)).await);
        let delay = scheduled["delay_ms"].as_u64().unwrap();
        assert!((1_000..=5_000).contains(&delay), "1–5 s after a 1012: {scheduled}");
        assert_eq!(scheduled["rule"], "restart");
    }
    for name in names {
        watch.since(restarts_began, |line| event_is(line, "open", name)).await;
    }
    assert_eq!(watch.interrupt().await.0, 0);

    let summary_line = watch.seen.last().expect("a summary line").clone();
    let summary = json(&summary_line);
    assert_eq!(summary["event"], "summary", "the summary comes last");
    assert_eq!(summary["waves_total"], 1);
    let wave = &summary["waves"][0];
    assert_eq!(
        (wave["kind"].as_str(), wave["hit"].as_u64(), wave["back"].as_u64()),
        (Some("restart"), Some(3), Some(3))
    );
    assert_eq!(wave["still_down"], 0);
    assert_eq!(wave["recovery"]["count"], 3);
    let max = wave["recovery"]["max_ms"].as_u64().unwrap();
    assert!((1_000..=LIMIT.as_millis() as u64).contains(&max), "recovery includes the 1–5 s delay: {wave}");
    assert_eq!(summary["open_at_end"], 3);
    assert_eq!(summary["by_code"]["1012"], 3);

    // The log replays into the same summary.
    let mut replayer = Replayer::default();
    let mut model = Model::default();
    let mut printed = None;
    for line in &watch.seen {
        match replayer.decode(line).expect("every line decodes") {
            Decoded::Events(events) => events.iter().for_each(|event| model.apply(event)),
            Decoded::Summary { at, summary } => printed = Some((at, summary)),
            Decoded::Gap(gap) => panic!("watch's output leaves nothing out: {gap:?}"),
            Decoded::Session(header) => panic!("only session logs start with a header: {header:?}"),
        }
    }
    let (at, printed) = printed.expect("the summary line decodes");
    assert_eq!(model.summary(at), *printed);
}

#[tokio::test]
async fn fail_on_a_class_that_was_seen_exits_1() {
    let address = closing_server(Some(1002), "broken").await;
    let mut watch = Wsmon::start(&["watch", "--fail-on", "handshake,protocol_error", &url(address)]);
    let line = watch.until(|line| line.contains(" closed ")).await;
    assert!(line.contains("closed 1002 protocol error by server \"broken\" [peer_reported]"), "{line}");
    let (status, stderr) = watch.interrupt().await;
    assert_eq!(status, 1);
    let summary = watch.seen.join("\n");
    assert!(summary.contains("protocol error peer_reported ×1"), "{summary}");
    assert!(summary.contains("gate --fail-on tripped: protocol_error ×1"), "the summary says which class: {summary}");
    assert!(stderr.contains("--fail-on tripped: protocol_error ×1"), "and stderr: {stderr}");
}

/// A connection that takes longer than --max-recovery to come back after
/// a close trips the gate, named; one that stays open does not.
#[tokio::test]
async fn max_recovery_trips_on_a_slow_return_and_names_it() {
    let restarting = closing_server(Some(1012), "deploy").await;
    let steady = echo_server().await;
    let (slow, fine) = (format!("api={}", url(restarting)), format!("chat={}", url(steady)));
    let mut watch = Wsmon::start(&["watch", "--json", "--max-recovery", "200ms", &slow, &fine]);
    // Back after the restart rule's 1–5 s: slower than 200 ms.
    for _ in 0..2 {
        watch.until(|line| event_is(line, "open", "api")).await;
    }
    let (status, stderr) = watch.interrupt().await;
    assert_eq!(status, 1, "{stderr}");
    let summary = json(watch.seen.last().unwrap());
    let tripped = &summary["tripped"][0];
    assert_eq!(tripped["gate"], "max_recovery", "{summary}");
    let why = tripped["why"].as_array().unwrap();
    assert!(why.len() == 1 && why[0].as_str().unwrap().starts_with("api "), "only api, named: {why:?}");
    assert!(stderr.contains("--max-recovery tripped: api "), "{stderr}");
    assert!(summary["traffic"].is_object(), "traffic is summed in the summary: {summary}");
}

#[tokio::test]
async fn max_recovery_within_its_limit_exits_0() {
    let steady = echo_server().await;
    let mut watch = Wsmon::start(&["watch", "--json", "--max-recovery", "1s", &url(steady)]);
    watch.until(|line| json(line)["event"] == "open").await;
    let (status, stderr) = watch.interrupt().await;
    assert_eq!(status, 0, "{stderr}");
    assert!(json(watch.seen.last().unwrap()).get("tripped").is_none(), "nothing tripped, nothing said");
}

#[tokio::test]
async fn fail_on_a_class_that_was_not_seen_exits_0_when_the_duration_ends() {
    let address = closing_server(Some(1000), "done").await;
    let mut watch =
        Wsmon::start(&["watch", "--fail-on", "protocol_error", "--duration", "300ms", "--json", &url(address)]);
    let status = tokio::time::timeout(LIMIT, watch.child.wait()).await.expect("ends after --duration").unwrap();
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn hostile_text_never_reaches_the_terminal_raw() {
    let address = closing_server(Some(4000), "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{202e}").await;
    for json_mode in [false, true] {
        let mut args = vec!["watch".to_string(), url(address)];
        if json_mode {
            args.insert(1, "--json".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut watch = Wsmon::start(&args);
        let line = watch.until(|line| line.contains("closed")).await;
        watch.interrupt().await;
        for shown in &watch.seen {
            assert!(!shown.chars().any(wsmon::text::is_hostile), "raw control characters in: {shown:?}");
        }
        if json_mode {
            assert_eq!(json(&line)["reason"], "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{202e}", "JSON keeps the text");
        } else {
            assert!(line.contains(r"\e]0;pwned\x07\e[2J\x9b31m\u{202e}"), "{line}");
        }
    }
}

#[tokio::test]
async fn bad_input_names_the_value_says_how_to_fix_it_and_exits_2() {
    let cases: [(&[&str], &[&str]); 10] = [
        (&["watch", "http://127.0.0.1:9/"], &["'http://127.0.0.1:9/'", "did you mean ws://127.0.0.1:9/"]),
        (&["watch", "127.0.0.1:9"], &["'127.0.0.1:9'", "ws://"]),
        (&["watch", "ws://127.0.0.1:9/", "--duration", "soon"], &["'soon'", "15s"]),
        (&["watch", "ws://127.0.0.1:9/", "-H", "Authorization"], &["'Authorization'", "'Name: value'"]),
        (&["watch", "ws://127.0.0.1:9/", "--fail-on", "oops"], &["'oops'", "protocol_error"]),
        (&["watch"], &["URL"]),
        (&["codes", "ten-o-two"], &["'ten-o-two'", "1002"]),
        (&["demo", "--speed", "0"], &["'0'", "0.1 to 100"]),
        (&["demo", "--report", "deploy.txt"], &["'deploy.txt'", ".md or .json"]),
        (&["demo", "--json"], &["--headless"]),
    ];
    let dirs = tempfile::tempdir().unwrap();
    for (args, expected) in cases {
        let (status, stdout, stderr) = run(dirs.path(), args).await;
        assert_eq!(status, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}");
        for fragment in expected {
            assert!(stderr.contains(fragment), "{args:?}: expected {fragment:?} in {stderr}");
        }
    }
}

#[tokio::test]
async fn codes_explains_and_compares() {
    let dirs = tempfile::tempdir().unwrap();
    let (status, stdout, _) = run(dirs.path(), &["codes", "1002", "1012"]).await;
    assert_eq!(status, 0);
    assert!(stdout.contains("1002 Protocol Error") && stdout.contains("1012 Service Restart"), "{stdout}");
    assert!(stdout.contains("Key differences:"), "{stdout}");
    let (status, stdout, _) = run(dirs.path(), &["codes", "1014"]).await;
    assert_eq!(status, 0);
    assert!(stdout.starts_with("1014 Bad Gateway"), "{stdout}");
}

#[tokio::test]
async fn more_connections_than_open_files_allow_is_one_clear_line() {
    let dirs = tempfile::tempdir().unwrap();
    let urls: Vec<String> = (0..40).map(|i| format!("c{i}=ws://127.0.0.1:9/")).collect();
    // A soft limit of 50 under a hard one of 100: wsmon raises it to 100,
    // which still holds only 36 sockets besides its own files.
    let script = format!("ulimit -Sn 50 && ulimit -Hn 100 && exec \"$0\" watch {}", urls.join(" "));
    let output = tokio::process::Command::new("sh")
        .args(["-c", &script, common::child::WSMON])
        .env("WSMON_CONFIG_DIR", dirs.path())
        .env("WSMON_DATA_DIR", dirs.path())
        .output();
    let output = tokio::time::timeout(LIMIT, output).await.expect("wsmon ends").expect("sh runs");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("40 sockets") && stderr.contains("limit 100") && stderr.contains("about 36"), "{stderr}");
    assert!(stderr.contains("LimitNOFILE="), "says how to raise it: {stderr}");
}

#[tokio::test]
async fn sessions_are_logged_and_listed_newest_first_unless_no_log() {
    let dirs = tempfile::tempdir().unwrap();
    let address = echo_server().await;
    let target = url(address);
    for name in ["first", "second"] {
        let target = format!("{name}={target}");
        let (status, _, stderr) = run(dirs.path(), &["watch", "--duration", "200ms", &target]).await;
        assert_eq!(status, 0, "{stderr}");
        assert!(stderr.contains("session logged to"), "{stderr}");
    }
    let (status, _, stderr) = run(dirs.path(), &["watch", "--no-log", "--duration", "200ms", &target]).await;
    assert_eq!(status, 0, "{stderr}");
    assert!(!stderr.contains("session logged"), "{stderr}");

    let (status, listing, _) = run(dirs.path(), &["replay"]).await;
    assert_eq!(status, 0);
    let logs: Vec<&str> = listing.lines().collect();
    assert_eq!(logs.len(), 2, "--no-log wrote nothing: {listing}");
    let contents: Vec<String> =
        logs.iter().map(|line| std::fs::read_to_string(line.split_whitespace().last().unwrap()).unwrap()).collect();
    assert!(contents[0].contains("\"conn\":\"second\"") && contents[1].contains("\"conn\":\"first\""), "{listing}");

    let empty = dirs.path().join("empty.jsonl");
    std::fs::write(&empty, "not a log\n").unwrap();
    let (status, _, stderr) = run(dirs.path(), &["replay", empty.to_str().unwrap()]).await;
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.contains(":1: skipped") && stderr.contains("no wsmon events"), "{stderr}");
}

/// The session log keeps one RTT summary per connection and minute (here:
/// the session's end) in place of a line per ping; the replay says so and
/// ends on the same RTT.
#[tokio::test]
async fn a_session_log_summarises_rtt_and_its_replay_says_so() {
    let address = echo_server().await;
    let mut watch = Wsmon::start(&["watch", "--json", "--ping-interval", "20ms", &format!("api={}", url(address))]);
    for _ in 0..5 {
        watch.until(|line| json(line)["event"] == "rtt").await;
    }
    assert_eq!(watch.interrupt().await.0, 0);
    let printed: Vec<f64> = watch
        .seen
        .iter()
        .map(|line| json(line))
        .filter(|value| value["event"] == "rtt")
        .map(|value| value["rtt_ms"].as_f64().unwrap())
        .collect();

    let sessions = watch.dirs.path().join("data/sessions");
    let log = std::fs::read_dir(&sessions).unwrap().next().expect("a session log").unwrap().path();
    let logged: Vec<serde_json::Value> =
        std::fs::read_to_string(&log).unwrap().lines().map(json).filter(|value| value["conn"] == "api").collect();
    assert!(!logged.iter().any(|value| value["event"] == "rtt"), "no line per ping");
    let summaries: Vec<&serde_json::Value> = logged.iter().filter(|value| value["event"] == "rtt_summary").collect();
    assert_eq!(summaries.len(), 1, "one for the session's one minute");
    assert_eq!(summaries[0]["count"].as_u64(), Some(printed.len() as u64));
    let min = printed.iter().copied().fold(f64::MAX, f64::min);
    assert!((summaries[0]["min_ms"].as_f64().unwrap() - min).abs() < 0.001, "{} vs {min}", summaries[0]);
    let last = *printed.last().unwrap();
    assert!((summaries[0]["last_ms"].as_f64().unwrap() - last).abs() < 0.001, "{} vs {last}", summaries[0]);

    let report = watch.dirs.path().join("replayed.json");
    let (status, _, stderr) =
        run(watch.dirs.path(), &["replay", log.to_str().unwrap(), "--report", report.to_str().unwrap()]).await;
    assert_eq!(status, 0, "{stderr}");
    assert!(stderr.contains("one summary per connection and minute"), "the replay says what was left out: {stderr}");
    let report = json(&std::fs::read_to_string(&report).unwrap());
    assert!(report["notes"][0].as_str().unwrap().contains("RTT"), "{report}");
}

/// Text wsmon did not write (a value typed on the command line, a line in
/// a log, a file name) may hold a line feed: it is shown escaped, and never
/// starts a line of its own that looks like wsmon's.
#[tokio::test]
async fn a_line_feed_in_untrusted_text_never_starts_a_line() {
    let dirs = tempfile::tempdir().unwrap();
    let forged = |output: &str| output.lines().any(|line| line.starts_with("wsmon: forged"));

    let (status, _, stderr) =
        run(dirs.path(), &["watch", "ws://127.0.0.1:9/", "--duration", "soon\nwsmon: forged"]).await;
    assert_eq!(status, 2);
    assert!(!forged(&stderr) && stderr.contains(r"soon\nwsmon: forged"), "{stderr}");

    let log = dirs.path().join("hostile.jsonl");
    let line = r#"{"ts":"2026-11-24T10:00:00.000Z","conn":"a","url":"ws://h/","event":"closed","code":1002,"reason":"","initiator":"server","class":"protocol_error","cause":"x\nwsmon: forged","detail":null,"connected_ms":1}"#;
    std::fs::write(&log, format!("{line}\n")).unwrap();
    let (_, _, stderr) = run(dirs.path(), &["replay", log.to_str().unwrap(), "--report", "r.md"]).await;
    assert!(!forged(&stderr) && stderr.contains("skipped"), "{stderr}");

    let profiles = dirs.path().join("config/profiles");
    std::fs::create_dir_all(&profiles).unwrap();
    std::fs::write(
        profiles.join("x\nwsmon: forged.toml"),
        "[[connection]]\nname = \"a\"\nurl = \"ws://127.0.0.1:1/\"\n",
    )
    .unwrap();
    let (status, stdout, stderr) = run(dirs.path(), &["profile", "list"]).await;
    assert_eq!(status, 0, "{stderr}");
    assert!(!forged(&stdout) && stdout.contains(r"x\nwsmon: forged"), "{stdout}");
}

/// The TUI with its output going to a pipe: one line that says what to
/// use instead, not a screen drawn into the pipe.
#[tokio::test]
async fn the_tui_without_a_terminal_says_to_use_watch() {
    let dirs = tempfile::tempdir().unwrap();
    let (status, stdout, stderr) = run(dirs.path(), &["ws://127.0.0.1:9/"]).await;
    assert_eq!(status, 1, "{stderr}");
    assert!(stdout.is_empty(), "nothing drawn: {stdout:?}");
    assert!(stderr.contains("needs a terminal") && stderr.contains("wsmon watch"), "{stderr}");
}

/// A profile's `[waves]` decides when a wave ends: with a quiet period of
/// 300 ms, a one-connection restart is told as ended well before the 10 s
/// default would allow.
#[tokio::test]
async fn a_profiles_wave_settings_end_its_waves() {
    let server = RestartingServer::start(Duration::from_millis(100)).await;
    let dirs = tempfile::tempdir().unwrap();
    let profiles = dirs.path().join("config/profiles");
    std::fs::create_dir_all(&profiles).unwrap();
    let profile =
        format!("[waves]\nquiet = \"300ms\"\n\n[[connection]]\nname = \"api\"\nurl = \"{}\"\n", url(server.address));
    std::fs::write(profiles.join("quick.toml"), profile).unwrap();
    let mut watch = child::Wsmon::start_in(dirs, &["watch", "--profile", "quick"]);
    watch.until(|line| line.contains("api open")).await;
    server.restart();
    let line = watch.until(|line| line.contains("wave 1 (restart) ended after")).await;
    assert!(line.contains("1/1 back"), "{line}");
    assert_eq!(watch.interrupt().await.0, 0);
}

/// A backend that dies like `kill -9`: the connections it holds drop with
/// no close frame, and it stops listening.
struct Killable {
    address: std::net::SocketAddr,
    kill: tokio::sync::oneshot::Sender<()>,
}

async fn killable_server() -> Killable {
    let (listener, address) = listen().await;
    let (kill, killed) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let mut held = Vec::new();
        tokio::select! {
            () = async {
                while let Ok((stream, _)) = listener.accept().await {
                    if let Ok(ws) = tokio_tungstenite::accept_async(stream).await {
                        held.push(ws);
                    }
                }
            } => {}
            _ = killed => {}
        }
        // Dropped together: the listener and every socket, with no close frame.
    });
    Killable { address, kill }
}

/// A rolling restart of one service while another's backend is killed:
/// the restart is one wave, and the crash is reported apart, as the wave's
/// problem with the connections it hit, not as more of the restart.
#[tokio::test]
async fn a_crash_during_a_restart_wave_is_reported_apart() {
    let restarting = RestartingServer::start(Duration::from_millis(200)).await;
    let crashing = killable_server().await;
    let targets = [
        format!("api-1={}", url(restarting.address)),
        format!("api-2={}", url(restarting.address)),
        format!("chat-1={}", url(crashing.address)),
        format!("chat-2={}", url(crashing.address)),
    ];
    let mut args = vec!["watch", "--json"];
    args.extend(targets.iter().map(String::as_str));
    let mut watch = Wsmon::start(&args);
    for name in ["api-1", "api-2", "chat-1", "chat-2"] {
        watch.since(0, |line| event_is(line, "open", name)).await;
    }
    restarting.restart();
    watch.until(|line| event_is(line, "closed", "api-1")).await;
    crashing.kill.send(()).unwrap();
    for name in ["chat-1", "chat-2"] {
        let closed = json(&watch.since(0, |line| event_is(line, "closed", name)).await);
        assert_eq!((closed["code"].as_u64(), closed["initiator"].as_str()), (Some(1006), Some("transport")));
    }
    let (status, stderr) = watch.interrupt().await;
    assert_eq!(status, 0, "{stderr}");
    let summary = json(watch.seen.last().unwrap());
    let wave = &summary["waves"][0];
    assert_eq!((wave["kind"].as_str(), wave["hit"].as_u64()), (Some("restart"), Some(2)), "{wave}");
    let crash = wave["problems"].as_array().unwrap().iter().find(|problem| problem["what"] == "close 1006");
    let crash = crash.unwrap_or_else(|| panic!("the crash is the wave's problem: {wave}"));
    assert_eq!(crash["count"], 2, "{crash}");
    assert_eq!(crash["conns"], serde_json::json!(["chat-1", "chat-2"]), "{crash}");
}

/// A profile's `group` puts connections to different endpoints in one
/// service, in the live summary and in the replay of the session log.
#[tokio::test]
async fn a_profiles_groups_are_the_services_live_and_replayed() {
    let (one, two) = (
        RestartingServer::start(Duration::from_millis(100)).await,
        RestartingServer::start(Duration::from_millis(100)).await,
    );
    let dirs = tempfile::tempdir().unwrap();
    let profiles = dirs.path().join("config/profiles");
    std::fs::create_dir_all(&profiles).unwrap();
    let connection = |name: &str, server: &RestartingServer| {
        format!("[[connection]]\nname = \"{name}\"\nurl = \"{}\"\ngroup = \"payments\"\n\n", url(server.address))
    };
    let profile = format!("[waves]\nquiet = \"300ms\"\n\n{}{}", connection("pay-eu", &one), connection("pay-us", &two));
    std::fs::write(profiles.join("pay.toml"), profile).unwrap();
    let mut watch = child::Wsmon::start_in(dirs, &["watch", "--json", "--profile", "pay"]);
    for name in ["pay-eu", "pay-us"] {
        watch.since(0, |line| event_is(line, "open", name)).await;
    }
    let mark = watch.seen.len();
    one.restart();
    two.restart();
    for name in ["pay-eu", "pay-us"] {
        watch.since(mark, |line| event_is(line, "open", name)).await;
    }
    assert_eq!(watch.interrupt().await.0, 0);
    let summary = json(watch.seen.last().unwrap());
    let groups = &summary["waves"][0]["groups"];
    assert_eq!((groups[0]["name"].as_str(), groups[0]["hit"].as_u64()), (Some("payments"), Some(2)), "{summary}");
    assert_eq!(groups.as_array().unwrap().len(), 1, "one service, though two endpoints: {groups}");

    let sessions = watch.dirs.path().join("data/sessions");
    let log = std::fs::read_dir(&sessions).unwrap().next().unwrap().unwrap().path();
    let report = watch.dirs.path().join("replayed.json");
    let (status, _, stderr) =
        run(watch.dirs.path(), &["replay", log.to_str().unwrap(), "--report", report.to_str().unwrap()]).await;
    assert_eq!(status, 0, "{stderr}");
    let replayed = json(&std::fs::read_to_string(&report).unwrap());
    assert_eq!(replayed["waves"][0]["groups"], *groups, "the replay groups them the same way");
}

/// Plain `watch` is a deploy gate's log: no line per ping; the summary
/// counts the pings answered and their round trips, and `--json`'s summary
/// counts the same pings its `rtt` lines do.
#[tokio::test]
async fn readable_output_has_no_line_per_ping_and_the_summary_has_the_rtt() {
    let address = echo_server().await;
    let dirs = tempfile::tempdir().unwrap();
    let target = format!("api={}", url(address));
    let args = ["watch", "--ping-interval", "20ms", "--duration", "1s", target.as_str()];
    let (status, stdout, stderr) = run(dirs.path(), &args).await;
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.lines().any(|line| line.contains(" api open in ")), "{stdout}");
    assert!(!stdout.lines().any(|line| line.contains(" rtt ")), "a line per ping: {stdout}");
    let rtt = stdout.lines().find(|line| line.trim_start().starts_with("rtt: min ")).expect(&stdout);
    assert!(rtt.contains(" pings"), "{rtt}");

    let (status, stdout, stderr) = run(dirs.path(), &[&["watch", "--json"], &args[1..]].concat()).await;
    assert_eq!(status, 0, "{stderr}");
    let lines: Vec<serde_json::Value> = stdout.lines().map(json).collect();
    let pings = lines.iter().filter(|value| value["event"] == "rtt").count() as u64;
    let summary = lines.iter().find(|value| value["event"] == "summary").expect(&stdout);
    assert!(pings > 0, "{stdout}");
    assert_eq!(summary["rtt"]["pings"].as_u64(), Some(pings), "{summary}");
    let (min, max) = (summary["rtt"]["min_ms"].as_f64().unwrap(), summary["rtt"]["max_ms"].as_f64().unwrap());
    let mean = summary["rtt"]["mean_ms"].as_f64().unwrap();
    assert!(min <= mean && mean <= max, "{summary}");
}
