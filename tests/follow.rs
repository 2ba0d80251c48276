//! `wsmon replay -` without a terminal: a stream piped in as it is
//! written, read to its end, then its report. Written in stages with a
//! line cut between two writes; and the real `wsmon watch --json` piped
//! through, its report equal to watch's own summary.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::child::{Wsmon, command};
use common::*;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin};

/// `wsmon replay - --report REPORT` with stdin and stderr piped.
fn replay_stdin(dirs: &Path, report: &Path) -> (Child, ChildStdin) {
    let mut child = command(dirs)
        .args(["replay", "-", "--report", report.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("wsmon starts");
    let stdin = child.stdin.take().expect("piped stdin");
    (child, stdin)
}

/// Wait for the exit (stdin closed); check it succeeded.
async fn exits_cleanly(child: &mut Child) {
    let status = tokio::time::timeout(LIMIT, child.wait()).await.expect("replay ends at the end of stdin");
    assert!(status.unwrap().success(), "exit status 0");
}

fn read_json(path: &Path) -> Value {
    json(&std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display())))
}

fn line(second: u32, conn: &str, body: &str) -> String {
    format!(
        r#"{{"ts":"2026-11-24T10:00:{second:02}.000Z","conn":"{conn}","url":"ws://127.0.0.1:9/{conn}","event":{body}}}"#
    )
    // The remote clock: nowhere near this machine's, and it does not matter.
}

const OPEN: &str = r#""open","handshake_ms":3,"subprotocol":null"#;

fn closed(code: u16, class: &str) -> String {
    let cause = if code == 1002 { r#""peer_reported""# } else { "null" };
    format!(
        r#""closed","code":{code},"reason":"","initiator":"server","class":"{class}","cause":{cause},"detail":null,"connected_ms":900"#
    )
}

#[tokio::test]
async fn a_stream_written_in_stages_is_replayed_to_its_end_with_what_came_after_a_pause() {
    let dirs = tempfile::tempdir().unwrap();
    let report = dirs.path().join("stream.json");
    let (mut child, mut stdin) = replay_stdin(dirs.path(), &report);
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();

    // Part 1: two connections open, one 1012, a bad line, and half of the second 1012.
    let second_close = line(6, "b", &closed(1012, "service_restart"));
    let (first_half, second_half) = second_close.split_at(70);
    let part_1 = [
        line(0, "a", OPEN),
        line(0, "b", OPEN),
        line(5, "a", &closed(1012, "service_restart")),
        "not json".to_string(),
        first_half.to_string(),
    ];
    stdin.write_all(part_1.join("\n").as_bytes()).await.unwrap();
    stdin.flush().await.unwrap();
    // Read as it came: the bad line (4) is said on stderr while the stream runs.
    let said = async {
        while let Some(text) = stderr.next_line().await.expect("readable stderr") {
            if text.contains("stdin:4: skipped: not a wsmon event") {
                return;
            }
        }
        panic!("stderr ended before the skipped line");
    };
    tokio::time::timeout(LIMIT, said).await.expect("the skipped line is said while the stream runs");
    assert!(child.try_wait().unwrap().is_none(), "still running: the stream has not ended");

    // Part 2, after the pause: the rest of the cut line, both back, then a 1002.
    let part_2 = [
        second_half.to_string(),
        line(8, "a", OPEN),
        line(9, "b", OPEN),
        line(30, "a", &closed(1002, "protocol_error")),
    ];
    stdin.write_all((part_2.join("\n") + "\n").as_bytes()).await.unwrap();
    drop(stdin);
    exits_cleanly(&mut child).await;

    let report = read_json(&report);
    assert_eq!(report["closes"], 3, "{report:#}");
    assert_eq!(report["by_code"], serde_json::json!({ "1002": 1, "1012": 2 }), "the cut line counts once, whole");
    assert_eq!(report["waves_total"], 1);
    let wave = &report["waves"][0];
    assert_eq!((wave["hit"].as_u64(), wave["back"].as_u64()), (Some(2), Some(2)), "{wave}");
    assert_eq!(report["protocol_errors"][0]["conn"], "a", "what came after the pause is in");
    assert_eq!(report["ended"], "2026-11-24T10:00:30.000Z", "the figures are taken at the stream's end: {report:#}");
}

/// `wsmon watch --json` against a server that restarts with 1012, its
/// lines handed to `replay -` as they come (the test stands where ssh
/// would): the replay's report is watch's own summary.
#[tokio::test]
async fn watch_json_piped_into_replay_reports_what_watch_summed_up() {
    let server = RestartingServer::start(Duration::from_millis(500)).await;
    let mut watch = Wsmon::start(&["watch", "--json", &format!("api={}", url(server.address))]);
    let report = watch.dirs.path().join("piped.json");
    let (mut replay, mut stdin) = replay_stdin(watch.dirs.path(), &report);
    let mut sent = 0;

    watch.until(|line| json(line)["event"] == "open").await;
    forward(&watch.seen, &mut sent, &mut stdin).await;
    server.restart();
    let restarted = watch.seen.len();
    watch.since(restarted, |line| json(line)["event"] == "closed").await;
    forward(&watch.seen, &mut sent, &mut stdin).await;
    watch.since(restarted, |line| json(line)["event"] == "open").await;
    assert_eq!(watch.interrupt().await.0, 0);
    forward(&watch.seen, &mut sent, &mut stdin).await;
    drop(stdin);
    exits_cleanly(&mut replay).await;

    let summary = json(watch.seen.last().expect("the summary line"));
    assert_eq!((summary["event"].as_str(), summary["by_code"]["1012"].as_u64()), (Some("summary"), Some(1)));
    let mut expected = summary.as_object().unwrap().clone();
    for key in ["ts", "conn", "url", "event"] {
        expected.remove(key);
    }
    let mut replayed = read_json(&report).as_object().unwrap().clone();
    for key in ["label", "ended"] {
        replayed.remove(key);
    }
    assert_eq!(Value::Object(replayed), Value::Object(expected), "the replay sums up the stream as watch did");
}

/// Write the lines read so far that are not sent yet.
async fn forward(seen: &[String], sent: &mut usize, stdin: &mut ChildStdin) {
    for line in &seen[*sent..] {
        stdin.write_all(format!("{line}\n").as_bytes()).await.unwrap();
    }
    stdin.flush().await.unwrap();
    *sent = seen.len();
}
