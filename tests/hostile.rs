//! A hostile server on 127.0.0.1 tries to make wsmon misreport, leak a
//! secret or grow without bound; each test is one attack.

mod common;

use common::*;

/// The head ends with bare LF (httparse accepts it) and a binary frame's
/// payload holds CRLFCRLF and a forged close frame: wsmon reports the real
/// close that follows, not the forgery.
#[tokio::test]
async fn a_bare_lf_head_cannot_forge_a_close() {
    let bare_lf = |accept: &str| switching_protocols(accept).replace("\r\n", "\n");
    let mut payload = b"\r\n\r\n".to_vec();
    payload.extend(frame(0x88, &close_payload(1000, "forged")));
    let bytes = [frame(0x82, &payload), frame(0x88, &close_payload(1012, "real"))].concat();
    let peer = raw_server_answering(bare_lf, bytes).await;
    let event = first_close(&url(peer.address), options()).await;
    assert_eq!((&event["code"], &event["reason"]), (&1012.into(), &"real".into()), "{event}");
}

/// Peak resident memory wsmon may reach whatever one peer does.
const RSS_LIMIT_KIB: u64 = 200 * 1024;

/// A figure of /proc/PID/status in KiB ("VmRSS", "VmHWM").
fn proc_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc is readable");
    let line = status.lines().find(|line| line.starts_with(field)).expect("the field is there");
    line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).expect("a number of KiB")
}

/// A server floods pings and never reads: wsmon owes it a pong for each,
/// which would pile up in the write buffer. With wsmon's own pings off,
/// the connection fails once the buffer is full, and the peak RSS stays
/// under the limit (sampled while waiting, so a leak fails fast).
#[tokio::test]
async fn a_ping_flood_from_a_peer_that_never_reads_is_bounded() {
    let closed = ping_flood_until_closed(&[]).await;
    assert_eq!((&closed["code"], &closed["initiator"]), (&1006.into(), &"client".into()), "{closed}");
    assert!(closed["detail"].as_str().unwrap().contains("stopped reading"), "{closed}");
}

/// Runs `wsmon watch` (its own pings off, and `extra` flags) against a
/// server that floods pings and never reads, sampling its RSS while it
/// waits for the `closed` event, so a leak fails fast; asserts the peak
/// RSS stays under the limit and returns the event.
async fn ping_flood_until_closed(extra: &[&str]) -> serde_json::Value {
    let address = flooding_server(frame(0x89, &[b'p'; 125])).await;
    let url = url(address);
    let args = [&["watch", "--json", "--no-log", "--ping-interval", "0s"], extra, &[url.as_str()]].concat();
    let mut wsmon = child::Wsmon::start(&args);
    let pid = wsmon.child.id().expect("running");
    let sample = async {
        loop {
            let rss = proc_kib(pid, "VmRSS:");
            if rss > RSS_LIMIT_KIB {
                return rss;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    let closed = tokio::select! {
        line = wsmon.until(|line| line.contains(r#""event":"closed""#)) => json(&line),
        rss = sample => panic!("wsmon grew to {rss} KiB under the ping flood"),
    };
    let peak = proc_kib(pid, "VmHWM:");
    // The figure for the record (`cargo test --test hostile -- --nocapture`).
    println!("peak RSS under the ping flood: {peak} KiB");
    assert!(peak < RSS_LIMIT_KIB, "peak RSS {peak} KiB");
    closed
}

/// Answers every upgrade with what `answer` makes of the request's
/// Authorization value: the server echoes the credential back.
async fn echoing_server(answer: fn(&str, &str) -> Vec<u8>) -> std::net::SocketAddr {
    use tokio::io::AsyncWriteExt;
    let (listener, address) = listen().await;
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Some(request) = read_request(&mut stream).await else { return };
                let key = header(&request, "sec-websocket-key").unwrap_or_default();
                let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
                let credential = header(&request, "authorization").unwrap_or_default();
                let _ = stream.write_all(&answer(&accept, &credential)).await;
                let _ = tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut Vec::new()).await;
            });
        }
    });
    address
}

const TOKEN: &str = "tok-3f9a1c77e2";

/// Servers echo the expanded `${TOKEN}` in a 401 body and in a close
/// reason, with trace logging on: the value is in no output and no file
/// (stdout, stderr, the session log, the report), `${WSMON_TEST_TOKEN}` is.
#[tokio::test]
async fn an_echoed_credential_appears_nowhere() {
    let denying = echoing_server(|_, credential| {
        let body = format!("invalid credential: {credential}");
        format!("HTTP/1.1 401 Unauthorized\r\nContent-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
    })
    .await;
    let closing = echoing_server(|accept, credential| {
        let reason = format!("bad {credential}");
        [switching_protocols(accept).into_bytes(), frame(0x88, &close_payload(4003, &reason))].concat()
    })
    .await;
    let dirs = tempfile::tempdir().unwrap();
    let report = dirs.path().join("report.json");
    let mut wsmon = child::command(dirs.path());
    wsmon
        .env("WSMON_TEST_TOKEN", TOKEN)
        .env("WSMON_LOG", "trace")
        .args(["watch", "--json", "--duration", "3s", "-H", "Authorization: Bearer ${WSMON_TEST_TOKEN}"])
        .arg(format!("deny={}", url(denying)))
        .arg(format!("close={}", url(closing)))
        .arg("--report")
        .arg(&report);
    let output = tokio::time::timeout(LIMIT, wsmon.output()).await.expect("wsmon ends").expect("wsmon runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stdout.contains("invalid credential: Bearer ${WSMON_TEST_TOKEN}"), "{stdout}");
    assert!(stdout.contains(r#""reason":"bad Bearer ${WSMON_TEST_TOKEN}""#), "{stdout}");
    assert!(!stdout.contains(TOKEN), "stdout: {stdout}");
    assert!(!stderr.contains(TOKEN), "stderr: {stderr}");
    assert!(raw_controls(&stderr).is_empty(), "the log is escaped: {stderr:?}");
    let mut files = 0;
    for file in walk(dirs.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert!(!text.contains(TOKEN), "{}: {text}", file.display());
        files += 1;
    }
    assert!(files >= 2, "the session log and the report were written");
}

/// A token with no run of three characters that wsmon's own output could
/// hold by chance (every three have letters of both cases).
const SPLIT_TOKEN: &str = "qZ7vXk9wPmRtLsJd";

/// Every piece of three characters of `secret`.
fn pieces_of(secret: &str) -> Vec<&str> {
    (0..=secret.len() - 3).map(|start| &secret[start..start + 3]).collect()
}

/// One server answers the upgrade with a 401 whose chunked body splits the
/// echoed token (wsmon does not undo chunking: the framing sits inside
/// it), and one with a body longer than the 120 bytes wsmon keeps, whose
/// cut leaves five characters of the token at its end: no three characters
/// of the token are in stdout, the session log or the report.
#[tokio::test]
async fn a_credential_echoed_cut_or_split_leaves_no_piece() {
    let split = echoing_server(|_, credential| {
        let (head, tail) = credential.split_at(credential.len() - 3);
        let (first, second) = (format!("bad credential: {head}"), format!("{tail} rejected"));
        let body = format!("{:x}\r\n{first}\r\n{:x}\r\n{second}\r\n0\r\n\r\n", first.len(), second.len());
        format!("HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n{body}").into_bytes()
    })
    .await;
    let cut = echoing_server(|_, credential| {
        let kept = "Bearer ".len() + 5;
        let body = format!("{}{credential}", "x".repeat(120 - kept));
        format!("HTTP/1.1 401 Unauthorized\r\nContent-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
    })
    .await;
    let dirs = tempfile::tempdir().unwrap();
    let report = dirs.path().join("report.json");
    let mut wsmon = child::command(dirs.path());
    wsmon
        .env("WSMON_TEST_TOKEN", SPLIT_TOKEN)
        .args(["watch", "--json", "--duration", "3s", "-H", "Authorization: Bearer ${WSMON_TEST_TOKEN}"])
        .arg(format!("split={}", url(split)))
        .arg(format!("cut={}", url(cut)))
        .arg("--report")
        .arg(&report);
    let output = tokio::time::timeout(LIMIT, wsmon.output()).await.expect("wsmon ends").expect("wsmon runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    for conn in ["split", "cut"] {
        let failure = stdout
            .lines()
            .map(json)
            .find(|event| event["conn"] == conn && event["event"] == "handshake_failed")
            .unwrap_or_else(|| panic!("{conn} failed its handshake: {stdout}"));
        assert!(failure["detail"].as_str().unwrap().contains("${WSMON_TEST_TOKEN}"), "{failure}");
    }
    let mut texts = vec![("stdout".into(), stdout.into_owned())];
    for file in walk(dirs.path()) {
        texts.push((file.display().to_string(), String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into()));
    }
    assert!(texts.len() >= 3, "the session log and the report were written");
    for (name, text) in texts {
        for piece in pieces_of(SPLIT_TOKEN) {
            assert!(!text.contains(piece), "{name} holds '{piece}': {text}");
        }
    }
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() { files.extend(walk(&path)) } else { files.push(path) }
    }
    files
}

/// What a terminal must never receive raw (everything but the newline).
fn raw_controls(text: &str) -> Vec<char> {
    text.chars().filter(|&c| c != '\n' && wsmon::text::is_hostile(c)).collect()
}

/// A profile file whose name carries an OSC sequence and a bidi override,
/// and a bad name typed by the user: both reach the terminal escaped.
#[tokio::test]
async fn file_names_and_bad_input_reach_the_terminal_escaped() {
    let dirs = tempfile::tempdir().unwrap();
    let profiles = dirs.path().join("config/profiles");
    std::fs::create_dir_all(&profiles).unwrap();
    let hostile = "x\u{1b}]0;pwned\u{7}\u{202e}lmth";
    std::fs::write(profiles.join(format!("{hostile}.toml")), "[[connection]]\nurl = \"ws://127.0.0.1:9/\"\n").unwrap();

    let (status, stdout, stderr) = child::run(dirs.path(), &["profile", "list"]).await;
    assert_eq!(status, 0, "{stderr}");
    assert!(raw_controls(&stdout).is_empty(), "{stdout:?}");
    assert!(stdout.contains(r"x\e]0;pwned\x07\u{202e}lmth"), "{stdout}");

    let (status, stdout, stderr) = child::run(dirs.path(), &["profile", "show", hostile]).await;
    assert_eq!(status, 2);
    assert!(raw_controls(&stdout).is_empty() && raw_controls(&stderr).is_empty(), "{stderr:?}");
    assert!(stderr.contains(r"x\e]0;pwned\x07\u{202e}lmth"), "{stderr}");
}

/// The ping flood again, with `--max-message 1GiB`: what wsmon may queue
/// for the peer is bounded by what wsmon sends, not by the largest message
/// it accepts, so the peak RSS stays under the same limit.
#[tokio::test]
async fn a_ping_flood_stays_bounded_with_a_huge_max_message() {
    let closed = ping_flood_until_closed(&["--max-message", "1GiB"]).await;
    assert!(closed["detail"].as_str().unwrap().contains("stopped reading"), "{closed}");
}
