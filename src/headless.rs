//! `wsmon watch`: a session without a screen. Its outputs are one line per
//! event (readable, or JSON with `--json`), the summary at the end
//! (duration over, Ctrl-C or SIGTERM), and a report when asked; the exit
//! code says whether a `--fail-on` class was seen; with `--metrics`, the
//! series a Prometheus scrapes. Lines and summary read the same model the
//! TUI reads. Also a followed stream without a screen (`replay - --report`):
//! read to its end.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use tokio::time::Instant;

use crate::engine::{ConnSpec, sleep_until_or_never};
use crate::gates::Gates;
use crate::model::{Summary, WaveRules};
use crate::session::{ExitReport, JsonLines, MetricsSetup, Output, Phase, Session, TextLines};
use crate::shard::Shard;

/// How long connections get to close politely when watch ends.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);
/// Events are taken at most this often. Waking for each one (thousands a
/// second at 10,000 connections) cost more CPU than everything else wsmon
/// does; events still carry their own time, so nothing is lost but latency.
const DRAIN_EVERY: Duration = Duration::from_millis(50);
/// Outputs are told the time this often.
const TICK: Duration = Duration::from_secs(1);

pub struct WatchOptions {
    pub specs: Vec<ConnSpec>,
    /// What is watched (a profile's name, "ad hoc"): names the log and the report.
    pub label: String,
    pub json: bool,
    pub duration: Option<Duration>,
    /// What makes the exit status 1.
    pub gates: Gates,
    /// Write a session log capped at this many bytes.
    pub log: Option<u64>,
    /// Write a report here at the end.
    pub report: Option<PathBuf>,
    /// When waves end.
    pub waves: WaveRules,
    /// Serve metrics (`--metrics`).
    pub metrics: Option<MetricsSetup>,
    /// The specs are this shard of a profile's (`--shard`).
    pub shard: Option<Shard>,
    /// The Markdown report's language; the lines and JSON are English.
    pub lang: crate::lang::Lang,
}

pub struct WatchOutcome {
    pub summary: Summary,
    /// A gate tripped (`--fail-on`, `--max-recovery`).
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
    let shard = options.shard.map(|shard| shard.to_string());
    let mut session = Session::live(&options.label, options.specs, options.log, options.waves, shard);
    let mut lines: Box<dyn Output + '_> =
        if options.json { Box::new(JsonLines::new(&mut *out)) } else { Box::new(TextLines::new(&mut *out)) };
    let mut report = options.report.map(|path| ExitReport::new(&options.label, path, options.lang));
    // Served until the watch returns. The series go before the lines, so a
    // line read means its event is counted in the next scrape.
    let (mut metrics, _serving) = match options.metrics.map(MetricsSetup::start).transpose()? {
        Some((output, serving)) => {
            tell(crate::metrics::notices(serving.addr()));
            (Some(output), Some(serving))
        }
        None => (None, None),
    };
    let deadline = options.duration.map(|duration| Instant::now() + duration);
    tokio::pin!(stop);
    let mut next_drain = Instant::now();
    // What ends by time alone (a wave's quiet period) is told within a second.
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tell(session.take_notices());
        tokio::select! {
            received = session.receive(), if Instant::now() >= next_drain => {
                if !received {
                    break;
                }
                next_drain = Instant::now() + DRAIN_EVERY;
                session.apply(&mut [&mut metrics, lines.as_mut()])?;
            }
            // Woken to drain again, once the pause is over.
            () = tokio::time::sleep_until(next_drain), if Instant::now() < next_drain => {}
            _ = tick.tick() => session.tick(&mut [lines.as_mut()])?,
            () = sleep_until_or_never(deadline) => break,
            () = &mut stop => break,
        }
    }
    let mut outputs: Vec<&mut dyn Output> = vec![lines.as_mut()];
    outputs.extend(report.as_mut().map(|report| report as &mut dyn Output));
    let ended = session.finish(&mut outputs, &options.gates, SHUTDOWN_GRACE).await?;
    tell(ended.notices);
    for tripped in &ended.summary.tripped {
        crate::tell!("wsmon: --{} tripped: {}", tripped.gate.replace('_', "-"), tripped.why.join("; "));
    }
    let failed = !ended.summary.tripped.is_empty();
    Ok(WatchOutcome { summary: ended.summary, failed, log: ended.log })
}

/// Apply a followed stream (`Session::follow`) until it ends or `stop`
/// completes; what it says goes to stderr. Stdin ends at its end; a file
/// never does, so `at_summary`: its summary line ends it too.
pub async fn follow(session: &mut Session, at_summary: bool, stop: impl Future<Output = ()>) -> io::Result<()> {
    tokio::pin!(stop);
    loop {
        tell(session.take_notices());
        match session.stream_status().map(|status| status.phase) {
            Some(Phase::Closed(_)) => break,
            Some(Phase::Finished) if at_summary => break,
            _ => {}
        }
        tokio::select! {
            _ = session.receive() => session.apply(&mut [])?,
            () = &mut stop => break,
        }
    }
    tell(session.take_notices());
    Ok(())
}

fn tell(notices: Vec<String>) {
    for notice in notices {
        crate::tell!("wsmon: {notice}");
    }
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
