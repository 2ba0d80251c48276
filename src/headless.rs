//! `wsmon watch`: the engine without a screen. Every event becomes one line
//! (readable, or JSON with `--json`); at the end (duration over, Ctrl-C or
//! SIGTERM) the summary; the exit code says whether a `--fail-on` class was
//! seen. Lines and summary read the same model the TUI reads. The session
//! is logged (see `recording`) and, when asked, reported (see `report`).

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use tokio::time::Instant;

use crate::close::Class;
use crate::engine::{ConnSpec, Engine, sleep_until_or_never};
use crate::event::{EventKind, Ts};
use crate::format::{clock_ms, duration_ms, percentiles};
use crate::model::{Model, Summary};
use crate::recording::Recorder;
use crate::report::Report;
use crate::text::escape;
use crate::wire;

/// How long connections get to close politely when watch ends.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);
/// Events taken from the channel per batch.
const BATCH: usize = 4096;
/// Events are taken at most this often. Waking for each one (thousands a
/// second at 10,000 connections) cost more CPU than everything else wsmon
/// does; events still carry their own time, so nothing is lost but latency.
const DRAIN_EVERY: Duration = Duration::from_millis(50);

pub struct WatchOptions {
    pub specs: Vec<ConnSpec>,
    /// What is watched (a profile's name, "ad hoc"): names the log and the report.
    pub label: String,
    pub json: bool,
    pub duration: Option<Duration>,
    pub fail_on: Vec<Class>,
    /// Write a session log capped at this many bytes.
    pub log: Option<u64>,
    /// Write a report here at the end.
    pub report: Option<PathBuf>,
}

pub struct WatchOutcome {
    pub summary: Summary,
    /// A `--fail-on` class was seen.
    pub failed: bool,
    /// The complete session log.
    pub log: Option<PathBuf>,
}

/// Watch until the duration ends or `stop` completes; write to `out`.
pub async fn watch(
    options: WatchOptions,
    out: &mut impl Write,
    stop: impl Future<Output = ()>,
) -> io::Result<WatchOutcome> {
    let (mut engine, mut events) = Engine::new();
    for spec in options.specs {
        engine.add(spec);
    }
    let mut model = Model::default();
    let mut recorder = options.log.and_then(|cap| start_recorder(&options.label, cap));
    let deadline = options.duration.map(|duration| Instant::now() + duration);
    let mut batch = Vec::with_capacity(BATCH);
    tokio::pin!(stop);
    let mut next_drain = Instant::now();
    loop {
        tokio::select! {
            received = events.recv_many(&mut batch, BATCH), if Instant::now() >= next_drain => {
                if received == 0 {
                    break;
                }
                next_drain = Instant::now() + DRAIN_EVERY;
                for event in batch.drain(..) {
                    model.apply(&event);
                    let Some(conn) = model.connection(event.conn) else { continue };
                    // With --json, one encoding serves the output and the log;
                    // otherwise the log encodes what it keeps (not traffic: it sums that).
                    let line = options.json.then(|| wire::encode_event(&event, &conn.name, &conn.url)).flatten();
                    record(&mut recorder, |log| log.record(&model, &event, line.as_deref()));
                    if options.json {
                        if let Some(line) = &line {
                            writeln!(out, "{line}")?;
                        }
                    } else if let Some(text) = describe(&event.kind) {
                        writeln!(out, "{} {} {text}", clock_ms(event.at), escape(&conn.name))?;
                    }
                }
                // Logged before shown: what a reader saw is on disk.
                record(&mut recorder, |log| log.flush(&model, Ts::now()));
                out.flush()?;
            }
            // Woken to drain again, once the pause is over.
            () = tokio::time::sleep_until(next_drain), if Instant::now() < next_drain => {}
            () = sleep_until_or_never(deadline) => break,
            () = &mut stop => break,
        }
    }
    let now = Ts::now();
    let summary = model.summary(now);
    if options.json {
        writeln!(out, "{}", wire::encode_summary(&summary, now))?;
    } else {
        write!(out, "{}", summary_text(&summary))?;
    }
    out.flush()?;
    engine.shutdown(SHUTDOWN_GRACE).await;
    let log = recorder.and_then(|log| match log.finish(&model, &summary, now) {
        Ok(path) => Some(path),
        Err(error) => {
            crate::tell!("wsmon: the session log is incomplete: {error}");
            None
        }
    });
    if let Some(path) = &options.report {
        match Report::new(&options.label, summary.clone(), now).write(path) {
            Ok(()) => crate::tell!("wsmon: report written to {}", path.display()),
            Err(error) => crate::tell!("wsmon: could not write the report to {}: {error}", path.display()),
        }
    }
    let failed = options.fail_on.iter().any(|class| model.totals().class_count(*class) > 0);
    Ok(WatchOutcome { summary, failed, log })
}

fn start_recorder(label: &str, cap: u64) -> Option<Recorder> {
    Recorder::start(label, cap).inspect_err(|error| crate::tell!("wsmon: not logging this session: {error}")).ok()
}

/// Run a log write; after a failure (disk full) the session goes on unlogged.
fn record(recorder: &mut Option<Recorder>, write: impl FnOnce(&mut Recorder) -> io::Result<()>) {
    if let Some(log) = recorder
        && let Err(error) = write(log)
    {
        crate::tell!("wsmon: stopped logging this session to {}: {error}", log.path().display());
        *recorder = None;
    }
}

/// One event in words; None for events the readable output leaves out.
pub fn describe(kind: &EventKind) -> Option<String> {
    Some(match kind {
        EventKind::Added { .. } => return None,
        EventKind::Connecting { attempt } => format!("connecting (attempt {attempt})"),
        EventKind::Open { handshake_ms, subprotocol } => match subprotocol {
            Some(protocol) => format!("open in {} (subprotocol {})", duration_ms(*handshake_ms), escape(protocol)),
            None => format!("open in {}", duration_ms(*handshake_ms)),
        },
        EventKind::Closed(record) => {
            let mut text = format!(
                "closed {} {} by {}",
                record.code,
                crate::close::short_name(record.code),
                record.initiator.as_str()
            );
            if !record.reason.is_empty() {
                text.push_str(&format!(" \"{}\"", escape(&record.reason)));
            }
            if let Some(cause) = record.cause {
                text.push_str(&format!(" [{}]", cause.as_str()));
            }
            if let Some(detail) = &record.detail {
                text.push_str(&format!(": {}", escape(detail)));
            }
            text.push_str(&format!(" after {} open", duration_ms(record.connected_ms)));
            text
        }
        EventKind::HandshakeFailed(failure) => {
            format!("handshake failed at {}: {}", failure.stage.as_str(), escape(&failure.detail))
        }
        EventKind::ReconnectScheduled { delay_ms, attempt, rule, .. } => {
            format!("reconnect in {} (attempt {attempt}, rule {rule})", duration_ms(*delay_ms))
        }
        EventKind::ReconnectOff { rule } => format!("stays closed until asked (rule {rule} is off)"),
        EventKind::Paused => "paused".into(),
        EventKind::Resumed => "resumed".into(),
        EventKind::Removed => "removed".into(),
        EventKind::Rtt { rtt_ms } => format!("rtt {rtt_ms:.1}ms"),
        EventKind::RttSummary(rtt) => {
            format!("rtt {:.1}/{:.1}/{:.1}ms over {} pings", rtt.min_ms, rtt.mean_ms, rtt.max_ms, rtt.count)
        }
        EventKind::Traffic(t) => {
            format!("traffic in {} msgs / {} B, out {} msgs / {} B", t.msgs_in, t.bytes_in, t.msgs_out, t.bytes_out)
        }
    })
}

/// The summary for a person.
pub fn summary_text(summary: &Summary) -> String {
    let counts = |map: &std::collections::BTreeMap<String, u64>| {
        map.iter().map(|(key, count)| format!("{key} ×{count}")).collect::<Vec<_>>().join(", ")
    };
    let mut out = format!(
        "\nSummary over {}: {} connections, {} open at the end\n",
        duration_ms(summary.duration_ms),
        summary.connections,
        summary.open_at_end
    );
    out.push_str(&format!("  closes: {}  {}\n", summary.closes, counts(&summary.by_code)));
    out.push_str(&format!("  by class: {}\n", counts(&summary.by_class)));
    if summary.handshake_failures > 0 {
        out.push_str(&format!("  handshake failures: {}  {}\n", summary.handshake_failures, counts(&summary.by_stage)));
    }
    for error in &summary.protocol_errors {
        out.push_str(&format!(
            "  protocol error {} ×{} on {}\n",
            error.cause.as_str(),
            error.count,
            escape(&error.conn)
        ));
    }
    out.push_str(&format!("  restart waves: {}\n", summary.waves_total));
    for wave in &summary.waves {
        out.push_str(&format!(
            "    wave {} ({}{}): {} hit · {} back · {} still down · recovery {} · {} other problems\n",
            wave.number,
            wave.kind.as_str(),
            if wave.in_progress { ", in progress" } else { "" },
            wave.hit,
            wave.back,
            wave.still_down,
            percentiles(&wave.recovery),
            wave.other_problems
        ));
    }
    if summary.recovery.count > 0 {
        out.push_str(&format!("  recovery after any close: {}\n", percentiles(&summary.recovery)));
    }
    if !summary.down_at_end.is_empty() {
        let names: Vec<_> = summary.down_at_end.iter().map(|name| escape(name).into_owned()).collect();
        out.push_str(&format!("  down at the end: {}\n", names.join(", ")));
    }
    out
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn interrupted() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}
