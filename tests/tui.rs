//! The real `wsmon` binary in a pseudo-terminal, read through a VT100
//! emulator: a server restarts with 1012 and comes back, and the screen
//! shows it happen; `q` quits with status 0 and gives the terminal back.
//! The demo's wave on screen, `R`, and the replay of the session's log.
//! `S` over a hand-written profile keeps its comments. `replay --follow`
//! over a file being appended to, and `replay -` over a pipe.

mod common;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use tokio::sync::mpsc;

use common::child::WSMON;
const ROWS: u16 = 40;
const COLS: u16 = 140;

/// The emulated screen, fed by a thread that reads the pty.
struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
    /// A message per chunk of output; closed when the program's side is.
    updates: mpsc::UnboundedReceiver<()>,
}

impl Screen {
    fn text(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Wait until the screen satisfies `done`, re-checking on every update.
    async fn until(&mut self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let wait = async {
            loop {
                let text = self.text();
                if done(&text) {
                    return text;
                }
                if self.updates.recv().await.is_none() {
                    panic!("wsmon's output ended before: {what}\n{text}");
                }
            }
        };
        match tokio::time::timeout(LIMIT, wait).await {
            Ok(text) => text,
            Err(_) => panic!("timed out waiting for: {what}\n{}", self.text()),
        }
    }
}

/// The binary running in a pseudo-terminal of ROWS × COLS.
struct Running {
    child: Box<dyn portable_pty::Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    screen: Screen,
    /// WSMON_DATA_DIR and WSMON_CONFIG_DIR.
    dirs: tempfile::TempDir,
}

fn launch(args: &[String]) -> Running {
    launch_in(tempfile::tempdir().unwrap(), args)
}

fn launch_in(dirs: tempfile::TempDir, args: &[String]) -> Running {
    launch_sized(dirs, args, ROWS, COLS)
}

fn launch_sized(dirs: tempfile::TempDir, args: &[String], rows: u16, cols: u16) -> Running {
    let mut command = CommandBuilder::new(WSMON);
    command.args(args);
    launch_command(dirs, command, rows, cols)
}

/// `command` (wsmon, or a shell that runs it) in a pseudo-terminal.
fn launch_command(dirs: tempfile::TempDir, mut command: CommandBuilder, rows: u16, cols: u16) -> Running {
    let pty = native_pty_system().openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).unwrap();
    command.env("TERM", "xterm-256color");
    command.env("WSMON_DATA_DIR", dirs.path());
    command.env("WSMON_CONFIG_DIR", dirs.path());
    // English whatever the machine's locale: the screens below are read in English.
    for name in wsmon::lang::LOCALE_VARS {
        command.env_remove(name);
    }
    let child = pty.slave.spawn_command(command).unwrap();
    drop(pty.slave);

    let size = |n: u16| std::num::NonZeroU16::new(n).expect("a real size");
    let parser = Arc::new(Mutex::new(vt100::Parser::new(size(rows), size(cols), 0)));
    let (notify, updates) = mpsc::unbounded_channel();
    let mut reader = pty.master.try_clone_reader().unwrap();
    let feed = Arc::clone(&parser);
    std::thread::spawn(move || {
        let mut buffer = [0u8; 8192];
        while let Ok(read) = reader.read(&mut buffer) {
            if read == 0 {
                break;
            }
            feed.lock().unwrap().process(&buffer[..read]);
            if notify.send(()).is_err() {
                break;
            }
        }
    });
    let writer = pty.master.take_writer().unwrap();
    Running { child, writer, screen: Screen { parser, updates }, dirs }
}

impl Running {
    fn press(&mut self, keys: &[u8]) {
        self.writer.write_all(keys).unwrap();
        self.writer.flush().unwrap();
    }

    /// Wait for the exit; check it succeeded and gave the terminal back.
    /// Returns the directories, which outlive the program.
    async fn exits_cleanly(mut self) -> tempfile::TempDir {
        let mut child = self.child;
        let mut killer = child.clone_killer();
        let status = match tokio::time::timeout(LIMIT, tokio::task::spawn_blocking(move || child.wait())).await {
            Ok(waited) => waited.unwrap().unwrap(),
            Err(_) => {
                let _ = killer.kill();
                panic!("wsmon did not exit within {LIMIT:?}:\n{}", self.screen.text());
            }
        };
        assert!(status.success(), "exit status 0: {status:?}");
        // The reader sees the program's last bytes before the pty closes.
        drop(self.writer);
        while tokio::time::timeout(LIMIT, self.screen.updates.recv()).await.expect("output ends").is_some() {}
        let parser = self.screen.parser.lock().unwrap();
        assert!(!parser.screen().alternate_screen(), "the alternate screen was left");
        assert!(!parser.screen().hide_cursor(), "the cursor is shown again");
        drop(parser);
        self.dirs
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1012_restart_shows_in_history_and_countdown_then_reopens_and_q_quits() {
    let server = RestartingServer::start(Duration::from_secs(1)).await;
    let mut running = launch(&[format!("api={}", url(server.address))]);
    let screen = &mut running.screen;

    screen.until("the connection open", |text| text.contains("● open")).await;
    server.restart();
    let text = screen
        .until("the 1012 in the history and a countdown", |text| {
            text.contains("1012 service restart") && text.contains("◌ waiting")
        })
        .await;
    assert!(text.contains("Restart wave 1"), "the wave banner shows:\n{text}");
    screen
        .until("open again, the history saying so", |text| text.contains("● open") && text.contains("→ open after"))
        .await;

    running.writer.write_all(b"q").unwrap();
    running.writer.flush().unwrap();
    running.exits_cleanly().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_gives_the_terminal_back() {
    let address = echo_server().await;
    let mut running = launch(&[url(address)]);
    running.screen.until("the connection open", |text| text.contains("● open")).await;
    let pid = running.child.process_id().expect("a pid") as i32;
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    running.exits_cleanly().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tui_serves_metrics_and_says_where_on_its_status_line() {
    let address = echo_server().await;
    let mut running = launch(&["--metrics".into(), "127.0.0.1:0".into(), format!("echo={}", url(address))]);
    let text = running.screen.until("where metrics are", |text| text.contains("/metrics")).await;
    let addr = text.lines().find_map(scrape::announced).unwrap_or_else(|| panic!("no address:\n{text}"));
    let open = |m: &scrape::Metrics| m.at("wsmon_connections", &[("state", "open")]) == 1.0;
    scrape::scrape_until(addr, "the connection open", open).await;
    running.press(b"q");
    running.exits_cleanly().await;
}

/// The banner says every connection the first wave hit (the deployment's
/// 24, maybe with the flaky one's 1006) is back.
fn wave_all_back(text: &str) -> bool {
    let Some(at) = text.find("Restart wave 1: ") else { return false };
    let figures: Vec<u32> = text[at + 16..].split_whitespace().take(3).filter_map(|word| word.parse().ok()).collect();
    matches!(figures[..], [back, hit] if back == hit && hit >= 24)
}

fn files_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    entries.map(|entry| entry.unwrap().path()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_shows_its_wave_reports_on_r_and_on_exit_and_its_log_replays() {
    let dirs = tempfile::tempdir().unwrap();
    let on_exit = dirs.path().join("on-exit.md");
    let args = ["demo", "--seed", "7", "--speed", "20", "--deployments", "1", "--report", on_exit.to_str().unwrap()];
    let mut running = launch_in(dirs, &args.map(String::from));
    let text = running.screen.until("the deployment's wave, all back", wave_all_back).await;
    assert!(text.contains("demo (seed 7)"), "the title names the seed:\n{text}");
    running.press(b"R");
    let text = running.screen.until("the report's path", |text| text.contains("report written to")).await;
    assert!(text.contains("on-exit.md"), "R writes where --report said:\n{text}");
    let on_r = std::fs::read_to_string(&on_exit).expect("R wrote the report");
    assert!(on_r.contains("| 1 | restart (in progress) |"), "{on_r}");
    std::fs::remove_file(&on_exit).unwrap();
    running.press(b"q");
    let dirs = running.exits_cleanly().await;
    let report = std::fs::read_to_string(&on_exit).expect("the report is written again on exit");
    assert!(report.starts_with("# Deployment report · demo (seed 7)"), "{report}");

    let logs = files_in(&dirs.path().join("sessions"));
    assert_eq!(logs.len(), 1, "the session was logged");
    let replay = ["replay".to_string(), logs[0].to_string_lossy().into_owned()];
    let mut running = launch_in(dirs, &replay);
    let text = running.screen.until("the replayed wave", wave_all_back).await;
    assert!(text.contains("replay of demo (seed 7)"), "the title names the session:\n{text}");
    running.press(b"r");
    running.screen.until("a replay connects nothing", |text| text.contains("connects nothing")).await;
    running.press(b"q");
    running.exits_cleanly().await;
}

/// A hand-written profile of two connections to `address`, with comments
/// and `[defaults]`.
fn hand_written_profile(address: std::net::SocketAddr) -> String {
    format!(
        r#"# Staging, written by hand.

[defaults]
ping_interval = "5s"  # the proxy drops idle connections at 10s

# The API: the one that matters.
[[connection]]
name = "api"
url = "{url}"  # through the local proxy

# Chat, for the support team.
[[connection]]
name = "chat"
url = "{url}chat"
ping_timeout = "2s"
"#,
        url = url(address)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saving_a_hand_written_profile_with_shift_s_keeps_its_comments() {
    let address = echo_server().await;
    let dirs = tempfile::tempdir().unwrap();
    let profiles = dirs.path().join("profiles");
    std::fs::create_dir_all(&profiles).unwrap();
    let written = hand_written_profile(address);
    std::fs::write(profiles.join("staging.toml"), &written).unwrap();

    let mut running = launch_in(dirs, &["--profile".to_string(), "staging".to_string()]);
    let open_twice = |text: &str| text.matches("● open").count() >= 2;
    running.screen.until("both connections open", open_twice).await;
    running.press(b"S");
    running
        .screen
        .until("the name prompt, with the profile's name", |text| text.contains("save as profile: staging"))
        .await;
    running.press(b"\r");
    running.screen.until("the question to overwrite", |text| text.contains("Profile staging exists.")).await;
    running.press(b"y");
    running.screen.until("the saved feedback", |text| text.contains("saved 2 connections to")).await;
    running.press(b"q");
    let dirs = running.exits_cleanly().await;

    let profiles = dirs.path().join("profiles");
    let saved = std::fs::read_to_string(profiles.join("staging.toml")).unwrap();
    for comment in
        ["# Staging, written by hand.", "# the proxy drops", "# The API", "# through the local proxy", "# Chat"]
    {
        assert!(saved.contains(comment), "{comment:?} survives:\n{saved}");
    }
    assert!(saved.contains("[defaults]\nping_interval = \"5s\""), "{saved}");
    assert_eq!(saved, written, "nothing changed, so the file is the same, byte for byte");
    let backup = std::fs::read_to_string(profiles.join("staging.toml.bak")).unwrap();
    assert_eq!(backup, written, "the previous version is the backup");
}

/// The panel's line under the cursor (shown reversed), if the panel is on screen.
fn panel_cursor(screen: &Screen) -> Option<String> {
    let parser = screen.parser.lock().unwrap();
    let screen = parser.screen();
    let (rows, cols) = screen.size();
    let (rows, cols) = (rows.get(), cols.get());
    let line = |row: u16| screen.contents_between(row, 0, row, cols);
    let title = (0..rows).find(|&row| line(row).contains("Breakdown"))?;
    (title + 1..rows).find(|&row| screen.cell(row, 1).is_some_and(|cell| cell.inverse())).map(line)
}

/// At 80×24, during the demo's deployment: Tab twice reaches the side
/// panel in the bottom pane, j moves its cursor to the wave, Enter narrows
/// the table to the connections it counts and says so, Esc shows them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_80_by_24_a_wave_in_the_side_panel_narrows_the_table() {
    let args: Vec<String> = ["demo", "--seed", "7", "--speed", "5", "--deployments", "1"].map(String::from).to_vec();
    let mut running = launch_sized(tempfile::tempdir().unwrap(), &args, 24, 80);
    running.screen.until("the deployment's wave", |text| text.contains("Restart wave 1")).await;
    running.press(b"\t\t");
    running.screen.until("the side panel in the bottom pane", |text| text.contains("Breakdown")).await;
    for _ in 0..30 {
        if panel_cursor(&running.screen).is_some_and(|line| line.contains(" wave 1")) {
            break;
        }
        running.press(b"j");
        // The next frame, with the cursor one line down.
        tokio::time::timeout(LIMIT, running.screen.updates.recv()).await.expect("a frame");
    }
    let line = panel_cursor(&running.screen).expect("a cursor in the panel");
    assert!(line.contains(" wave 1"), "the cursor reached the wave: {line}\n{}", running.screen.text());
    running.press(b"\r");
    let text =
        running.screen.until("the table narrowed to the wave", |text| text.contains("still down from wave 1")).await;
    assert!(text.contains("shown)"), "the title counts what is shown: {text}");
    running.press(b"\x1b");
    running.screen.until("every connection again", |text| text.contains("Connections (27)")).await;
    running.press(b"q");
    running.exits_cleanly().await;
}

/// The add prompt says inline why it refuses a URL (the same words as the
/// command line), stays open to fix it, and renames a name already taken
/// the way `watch` does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_add_prompt_explains_a_refusal_inline_and_renames_a_taken_name() {
    let address = echo_server().await;
    let mut running = launch(&[format!("api={}", url(address))]);
    running.screen.until("the connection open", |text| text.contains("● open")).await;
    running.press(b"ahttp://x\r");
    let text = running.screen.until("the refusal beside the input", |text| text.contains("✖")).await;
    let prompt = text.lines().find(|line| line.contains("add (URL or NAME=URL):")).expect("the prompt is still open");
    assert!(prompt.contains("http://x") && prompt.contains("did you mean ws://x"), "{prompt}");
    running.press(&[0x7f; 8]); // Backspace over "http://x"
    running.press(format!("api={}\r", url(address)).as_bytes());
    running.screen.until("the taken name renamed", |text| text.contains("added api#2 (api is taken)")).await;
    running.screen.until("both open", |text| text.matches("● open").count() == 2).await;
    running.press(b"q");
    running.exits_cleanly().await;
}

/// An endpoint that refuses the upgrade with 401: its row's last ending
/// says "HTTP 401", the side panel names it under the `http` stage, and
/// Enter in its history explains the refusal like a close code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_endpoint_shows_in_its_row_the_panel_and_is_explained() {
    let refusing = http_server("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n").await;
    let address = echo_server().await;
    let mut running = launch(&[format!("api={}", url(address)), format!("billing={}", url(refusing))]);
    let text = running.screen.until("the 401 in billing's row", |text| text.contains("HTTP 401 · ")).await;
    let row = text.lines().find(|line| line.contains("billing")).unwrap();
    assert!(row.contains("attention") && row.contains("HTTP 401"), "{row}");
    let panel = text.lines().skip_while(|line| !line.contains("Handshake failures")).take(3).collect::<Vec<_>>();
    assert!(panel.iter().any(|line| line.contains("billing×")), "the panel names it: {panel:?}");
    running.press(b"j\r\r");
    // The whole popup, with wsmon's policy at its end (a frame may be read half drawn).
    running
        .screen
        .until("the explanation", |text| text.contains("credentials are missing") && text.contains("needing attention"))
        .await;
    // Esc alone: Esc and q in one read would be Alt+q.
    running.press(b"\x1b");
    running.screen.until("the explanation closed", |text| !text.contains("credentials are missing")).await;
    running.press(b"q");
    running.exits_cleanly().await;
}

/// `i` inspects the selected connection live: a message sent with `m`
/// comes back from the echo server and shows, JSON pretty-printed; Esc
/// closes the inspector.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn i_shows_a_connections_live_messages_and_m_sends_one() {
    let address = echo_server().await;
    let mut running = launch(&[format!("echo={}", url(address))]);
    running.screen.until("the connection open", |text| text.contains("● open")).await;
    running.press(b"i");
    running.screen.until("the inspector", |text| text.contains("Inspect echo") && text.contains("Waiting for")).await;
    running.press(b"m");
    running.screen.until("the send prompt", |text| text.contains("send (text):")).await;
    running.press(b"{\"price\":42,\"tags\":[\"a\"]}\r");
    running
        .screen
        .until("the echo, pretty", |text| text.contains("\"price\": 42,") && text.contains("1 received"))
        .await;
    running.press(b"\x1b");
    running.screen.until("the inspector closed", |text| !text.contains("Inspect echo")).await;
    running.press(b"q");
    running.exits_cleanly().await;
}

/// One contract line of connection "api", at `second` past a fixed time
/// (the stream's clock, not this machine's).
fn api_line(second: u32, body: &str) -> String {
    format!(r#"{{"ts":"2026-11-24T10:00:{second:02}.000Z","conn":"api","url":"ws://127.0.0.1:9/","event":{body}}}"#)
}

fn append(path: &std::path::Path, text: &str) {
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// `replay --follow FILE` while FILE is written: the title says it
/// follows; an open, then a 1012 with its wave, show as they are appended;
/// a line written in two halves is shown once whole; keys that would
/// connect are refused; `q` quits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_follow_shows_a_file_as_it_is_appended_and_q_quits() {
    let dirs = tempfile::tempdir().unwrap();
    let log = dirs.path().join("live.jsonl");
    std::fs::write(&log, "").unwrap();
    let args = ["replay".to_string(), "--follow".into(), log.to_string_lossy().into_owned()];
    let mut running = launch_in(dirs, &args);
    let screen = &mut running.screen;
    screen
        .until("the title saying what it follows", |text| text.contains("following") && text.contains("live.jsonl"))
        .await;

    append(&log, &(api_line(0, r#""open","handshake_ms":3,"subprotocol":null"#) + "\n"));
    screen.until("the connection open", |text| text.contains("● open")).await;
    let close = r#""closed","code":1012,"reason":"deploy","initiator":"server","class":"service_restart","cause":null,"detail":null,"connected_ms":5000"#;
    let scheduled = r#""reconnect_scheduled","delay_ms":3000,"attempt":1,"rule":"restart","attention":false"#;
    append(&log, &format!("{}\n{}\n", api_line(5, close), api_line(5, scheduled)));
    screen
        .until("the 1012 in the history and its wave", |text| {
            text.contains("1012 service restart") && text.contains("Restart wave 1")
        })
        .await;

    // The reopen, written in two halves: nothing is decoded until the line is whole.
    let reopen = api_line(8, r#""open","handshake_ms":2,"subprotocol":null"#);
    let (first, second) = reopen.split_at(50);
    append(&log, first);
    append(&log, &format!("{second}\n"));
    let text = screen.until("open again", |text| text.contains("● open") && text.contains("→ open after")).await;
    assert!(!text.contains("skipped"), "no half line was read as a line:\n{text}");

    running.press(b"r");
    running.screen.until("a followed stream connects nothing", |text| text.contains("a replay of a stream")).await;
    running.press(b"q");
    running.exits_cleanly().await;
}

/// `wsmon replay - < FIFO` in the terminal: keys come from the terminal,
/// the stream from the pipe. Lines show as they are written; when the
/// writer closes, the title says the stream ended and the screen stays
/// until `q`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_stdin_shows_a_piped_stream_live_then_its_end_until_q() {
    let dirs = tempfile::tempdir().unwrap();
    let fifo = dirs.path().join("stream");
    let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a NUL-terminated path in our own temporary directory.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0, "mkfifo");
    // Read and write: the open does not wait for a reader, and closing it ends the stream.
    let mut stream = std::fs::OpenOptions::new().read(true).write(true).open(&fifo).unwrap();
    let mut command = CommandBuilder::new("/bin/sh");
    command.args(["-c", r#"exec "$0" replay - < "$1""#, WSMON, fifo.to_str().unwrap()]);
    let mut running = launch_command(dirs, command, ROWS, COLS);
    let screen = &mut running.screen;
    screen.until("waiting for the stream", |text| text.contains("following stdin · waiting for its first event")).await;

    stream.write_all((api_line(0, r#""open","handshake_ms":3,"subprotocol":null"#) + "\n").as_bytes()).unwrap();
    screen.until("the connection open", |text| text.contains("● open") && text.contains("following stdin")).await;
    let close = r#""closed","code":1012,"reason":"","initiator":"server","class":"service_restart","cause":null,"detail":null,"connected_ms":5000"#;
    stream.write_all((api_line(5, close) + "\n").as_bytes()).unwrap();
    screen.until("the wave", |text| text.contains("Restart wave 1") && text.contains("1012 service restart")).await;
    drop(stream);
    // The title, the status line and the wave that stays: one whole frame.
    let ended = |text: &str| {
        text.contains("stdin: the stream ended")
            && text.contains("final state (q quits)")
            && text.contains("Restart wave 1")
    };
    screen.until("the end of the stream said, its final state on screen", ended).await;
    running.press(b"q");
    running.exits_cleanly().await;
}
