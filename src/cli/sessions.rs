//! Running a session: the TUI, `watch`, the demo (either way) and replays,
//! and what they leave behind.

use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use super::profiles::select;
use super::{BadInput, DemoArgs, ReplayArgs, SessionArgs, WatchArgs, runtime};
use crate::demo::{DemoOptions, Fleet};
use crate::engine::ConnOptions;
use crate::follow::Origin;
use crate::gates::Gates;
use crate::headless::{self, WatchOptions};
use crate::lang::Lang;
use crate::model::WaveRules;
use crate::profile::Store;
use crate::recording;
use crate::session::{ExitReport, MetricsSetup, Output, Session};
use crate::shard::Shard;
use crate::text::escape;
use crate::tui::{Source, TuiOptions};

/// A replay has no connection to close.
const SHUTDOWN_NOTHING: std::time::Duration = std::time::Duration::ZERO;

pub(super) fn tui(runtime: &tokio::runtime::Runtime, options: TuiOptions) -> anyhow::Result<ExitCode> {
    crate::logging::to_file();
    let outcome = runtime.block_on(crate::tui::run(options))?;
    if let Some(path) = outcome.log {
        crate::tell!("wsmon: session logged to {} (wsmon replay opens it)", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn demo(args: DemoArgs, lang: Lang) -> anyhow::Result<ExitCode> {
    // Short seeds are easy to retype.
    let seed = args.seed.unwrap_or_else(|| fastrand::u64(1..100_000));
    let options = DemoOptions {
        services: args.services.into(),
        connections: args.connections.into(),
        seed,
        speed: args.speed,
        deployments: args.deployments,
    };
    let label = format!("demo (seed {seed})");
    // The fleet's server side is in this process too: two sockets a connection.
    ensure_open_files(2 * (options.services * options.connections + 3) + 8)?;
    let runtime = runtime()?;
    let fleet = runtime.block_on(Fleet::start(&options)).context("starting the demo fleet on 127.0.0.1")?;
    let specs = fleet.specs.clone();
    let metrics = metrics(&args.session, None, specs.len())?;
    // The demo's deployments come --speed times as often: so do the ends of its waves.
    let waves = WaveRules::default().sped_up(args.speed);
    let code = if args.headless {
        let options = WatchOptions {
            specs,
            label,
            json: args.json,
            duration: args.duration,
            gates: Gates::default(),
            log: args.session.log(),
            report: args.session.report,
            waves,
            metrics,
            shard: None,
            lang,
        };
        run_watch(&runtime, options)
    } else {
        let options = TuiOptions {
            source: Source::Live { specs, log: args.session.log(), waves },
            label,
            defaults: ConnOptions::default(),
            profiles: Store::open()?,
            report: args.session.report,
            metrics,
            lang,
        };
        tui(&runtime, options)
    };
    drop(fleet);
    code
}

pub(super) fn replay(args: ReplayArgs, lang: Lang) -> anyhow::Result<ExitCode> {
    let Some(path) = args.file else { return list_session_logs() };
    if path == Path::new("-") {
        return follow(Origin::Stdin, args.report, lang);
    }
    if args.follow {
        return follow(Origin::File(path), args.report, lang);
    }
    let label = log_label(&path);
    // The report goes last: it needs the whole log.
    let mut report = args.report.map(|report| ExitReport::new(&label, report, lang));
    let mut outputs: Vec<&mut dyn Output> = report.iter_mut().map(|report| report as &mut dyn Output).collect();
    let (session, replayed) =
        Session::replay(&path, &mut outputs).with_context(|| format!("reading {}", path.display()))?;
    for skipped in &replayed.skipped {
        // The reason quotes the line, which anyone could have written.
        crate::tell!("wsmon: {}:{}: skipped: {}", path.display(), skipped.line, escape(&skipped.reason));
    }
    if replayed.skipped_lines > replayed.skipped.len() {
        let more = replayed.skipped_lines - replayed.skipped.len();
        crate::tell!("wsmon: {}: {more} more lines skipped", path.display());
    }
    let Some(session) = session else {
        anyhow::bail!(BadInput(format!(
            "{}: no wsmon events in this file: replay reads session logs and `wsmon watch --json` output",
            path.display()
        )));
    };
    // Said in English on the screen and stderr, in the report's language in it.
    let notes = replayed.left_out(Lang::En);
    let Some(report) = report.as_mut() else {
        let source = Source::Replay { session: Box::new(session), notes };
        // A session log names its session; other logs are named by their file.
        let label = replayed.label.map_or(label, |name| format!("replay of {name}"));
        return tui(&runtime()?, watching_a_record(source, label, lang)?);
    };
    for note in &notes {
        crate::tell!("wsmon: {}: {note}", path.display());
    }
    report.add_notes(replayed.left_out(report.prose_lang()));
    runtime()?.block_on(session.finish(&mut [report], &Gates::default(), SHUTDOWN_NOTHING))?;
    Ok(if report.written() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The TUI over a replay or a followed stream: nothing connects, so the
/// connection defaults are wsmon's own and nothing is served or reported.
fn watching_a_record(source: Source, label: String, lang: Lang) -> anyhow::Result<TuiOptions> {
    Ok(TuiOptions {
        source,
        label,
        defaults: ConnOptions::default(),
        profiles: Store::open()?,
        report: None,
        metrics: None,
        lang,
    })
}

/// Show a stream as it is written: in the TUI, or without a screen to its
/// end (stdin's end, a followed file's summary line, or Ctrl-C), then its
/// report, as `replay FILE --report` writes one.
fn follow(origin: Origin, report: Option<PathBuf>, lang: Lang) -> anyhow::Result<ExitCode> {
    let name = origin.name();
    if origin == Origin::Stdin && io::stdin().is_terminal() {
        anyhow::bail!(BadInput(
            "`replay -` reads a stream on stdin, and stdin is a terminal: pipe one in, e.g. \
             ssh -n HOST wsmon watch --json | wsmon replay -"
                .into()
        ));
    }
    let runtime = runtime()?;
    let mut session = Session::follow(&origin).with_context(|| format!("following {name}"))?;
    let label = format!("{name} (followed)");
    let Some(report) = report else {
        let source = Source::Follow { session: Box::new(session) };
        return tui(&runtime, watching_a_record(source, label, lang)?);
    };
    crate::logging::to_stderr();
    let at_summary = origin != Origin::Stdin;
    runtime.block_on(headless::follow(&mut session, at_summary, headless::interrupted()))?;
    let (notes, any) = session.stream_notes();
    if !any {
        anyhow::bail!(BadInput(format!(
            "{name}: no wsmon events: replay reads session logs and `wsmon watch --json` output"
        )));
    }
    for note in &notes {
        crate::tell!("wsmon: {name}: {note}");
    }
    // A session log names its session.
    let label =
        session.stream_status().and_then(|status| status.label).map_or(label, |name| format!("{name} (followed)"));
    let mut report = ExitReport::new(&label, report, lang);
    report.add_notes(notes);
    runtime.block_on(session.finish(&mut [&mut report], &Gates::default(), SHUTDOWN_NOTHING))?;
    Ok(if report.written() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// A log's name without the directory and extension.
fn log_label(path: &Path) -> String {
    let stem = path.file_stem().unwrap_or(path.as_os_str()).to_string_lossy();
    format!("replay {}", escape(&stem))
}

fn list_session_logs() -> anyhow::Result<ExitCode> {
    let dir = recording::sessions_dir().context("no data directory: set WSMON_DATA_DIR")?;
    let logs = match recording::list(&dir) {
        Ok(logs) => logs,
        Err(error) if error.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(error) => return Err(error).with_context(|| format!("reading {}", dir.display())),
    };
    if logs.is_empty() {
        crate::say!("No session logs in {} yet: every TUI and watch session writes one.", dir.display());
    }
    for log in logs {
        crate::say!("{:>10}  {}", crate::format::size(log.bytes), escape(&log.path.display().to_string()));
    }
    Ok(ExitCode::SUCCESS)
}

/// Raise the open-files limit, and stop with one clear line if `sockets`
/// still do not fit.
pub(super) fn ensure_open_files(sockets: usize) -> anyhow::Result<()> {
    match crate::limits::raise_open_files() {
        Ok(limit) => crate::limits::check_capacity(sockets, limit).map_err(anyhow::Error::msg),
        Err(error) => {
            tracing::warn!(%error, "could not raise the open-files limit");
            Ok(())
        }
    }
}

/// `--metrics` (or a profile's `metrics`, which the flag overrides) for a
/// session of `connections`: bound now, so a bad or busy address, or too
/// many connections for series of their own, stops the start (exit 2).
pub(super) fn metrics(
    args: &SessionArgs,
    profile: Option<std::net::SocketAddr>,
    connections: usize,
) -> anyhow::Result<Option<MetricsSetup>> {
    let Some(addr) = args.metrics.or(profile) else {
        if args.metrics_per_connection {
            anyhow::bail!(BadInput(
                "--metrics-per-connection needs --metrics ADDR (or metrics = \"ADDR\" in the profile's [defaults])"
                    .into()
            ));
        }
        return Ok(None);
    };
    let limit = args.metrics_per_connection_limit;
    if args.metrics_per_connection && connections > limit {
        anyhow::bail!(BadInput(format!(
            "--metrics-per-connection: {connections} connections is over the limit of {limit}: \
             raise it with --metrics-per-connection-limit {connections}, or leave out --metrics-per-connection \
             (the fleet-wide metrics stay)"
        )));
    }
    let endpoint = crate::metrics::bind(addr).map_err(BadInput)?;
    Ok(Some(MetricsSetup { endpoint, per_connection: args.metrics_per_connection.then_some(limit), shard: None }))
}

pub(super) fn watch(args: WatchArgs, lang: Lang) -> anyhow::Result<ExitCode> {
    let mut selection = select(args.profile.as_deref(), &args.targets, &args.connection)?;
    if selection.specs.is_empty() {
        anyhow::bail!(BadInput(
            "nothing to watch: give URLs or a profile with connections (wsmon watch ws://host:port/path)".into()
        ));
    }
    if let Some(shard) = args.shard {
        take_shard(&mut selection.specs, shard)?;
    }
    ensure_open_files(selection.specs.len())?;
    let mut metrics = metrics(&args.session, selection.metrics, selection.specs.len())?;
    if let Some(metrics) = &mut metrics {
        metrics.shard = args.shard.map(|shard| shard.to_string());
    }
    let options = WatchOptions {
        specs: selection.specs,
        label: selection.label,
        json: args.json,
        duration: args.duration,
        gates: Gates { fail_on: args.fail_on, max_recovery: args.max_recovery },
        log: args.session.log(),
        report: args.session.report,
        waves: selection.waves,
        metrics,
        shard: args.shard,
        lang,
    };
    run_watch(&runtime()?, options)
}

/// Keep the connections of `shard` (by their final, unique names) and say
/// how many of how many; a shard with none is an error, not an idle agent.
fn take_shard(specs: &mut Vec<crate::engine::ConnSpec>, shard: Shard) -> anyhow::Result<()> {
    let all = specs.len();
    specs.retain(|spec| shard.owns(&spec.name));
    if specs.is_empty() {
        anyhow::bail!(BadInput(format!(
            "--shard {shard}: none of the {all} connections falls in this shard: use fewer shards than connections"
        )));
    }
    crate::tell!("wsmon: shard {shard}: watching {} of {all} connections", specs.len());
    Ok(())
}

fn run_watch(runtime: &tokio::runtime::Runtime, options: WatchOptions) -> anyhow::Result<ExitCode> {
    crate::logging::to_stderr();
    let json = options.json;
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    let outcome = runtime.block_on(headless::watch(options, &mut stdout, headless::interrupted()));
    if let Ok(outcome) = &outcome
        && let Some(path) = outcome.log.as_ref().filter(|_| !json)
    {
        crate::tell!("wsmon: session logged to {} (wsmon replay opens it)", path.display());
    }
    match outcome {
        Ok(outcome) if outcome.failed => Ok(ExitCode::from(1)),
        Ok(_) => Ok(ExitCode::SUCCESS),
        // A reader that went away (`| head`) ends the watch; that is not an error.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(error) => Err(error).context("writing the output"),
    }
}
