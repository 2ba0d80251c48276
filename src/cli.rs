//! The command line: what a user can type, checked before anything starts.
//! Every bad value gets one line that names it and says how to write it
//! instead, and exit status 2 (clap's usage-error status).

use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::close::Class;
use crate::demo::{DemoOptions, Fleet};
use crate::engine::spec::{dedupe_names, default_name, parse_header, parse_target};
use crate::engine::{ConnOptions, ConnSpec};
use crate::format::parse_duration;
use crate::headless::{self, WatchOptions};
use crate::model::Model;
use crate::profile::{ProfileError, ProfileFile, Store};
use crate::recording;
use crate::report::Report;
use crate::text::escape;
use crate::tui::{Source, TuiOptions};

#[derive(Debug, Parser)]
#[command(
    name = "wsmon",
    version,
    about = "Watch many WebSocket connections at once: every close, every reconnect, every restart wave.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Endpoints to watch in the live TUI: ws:// or wss:// URLs, optionally named (api=wss://host/feed)
    #[arg(value_name = "URL|NAME=URL", value_parser = parse_target)]
    targets: Vec<(Option<String>, url::Url)>,
    /// Open a saved profile (wsmon profile list); URLs given too are added to it.
    #[arg(long, short = 'p', value_name = "NAME")]
    profile: Option<String>,
    #[command(flatten)]
    connection: ConnectionArgs,
    #[command(flatten)]
    session: SessionArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// A local fleet playing a rolling deployment (1012 waves, a broken
    /// proxy, 1013 and 1006), watched in the TUI: no server needed.
    Demo(Box<DemoArgs>),
    /// Watch without a screen: one line per event, a summary at the end, an
    /// exit code for CI gates.
    Watch(Box<WatchArgs>),
    /// Open a recorded session (a session log or `watch --json` output) in
    /// the TUI, or write its report; without FILE, list the session logs.
    Replay(ReplayArgs),
    /// Explain WebSocket close codes; two codes are compared side by side
    /// (e.g. `wsmon codes 1002 1012`).
    Codes {
        /// Close codes to explain; none lists them all.
        #[arg(value_name = "CODE", value_parser = parse_code)]
        codes: Vec<u16>,
    },
    /// Saved profiles: named sets of endpoints, in the config directory.
    Profile {
        #[command(subcommand)]
        action: ProfileAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProfileAction {
    /// List the profiles: name, connections, file.
    List,
    /// Print a profile's file.
    Show { name: String },
    /// Save URLs (and connection flags) as a profile; the previous version
    /// is kept as NAME.toml.bak.
    Save {
        name: String,
        #[arg(value_name = "URL|NAME=URL", required = true, value_parser = parse_target)]
        targets: Vec<(Option<String>, url::Url)>,
        #[command(flatten)]
        connection: Box<ConnectionArgs>,
    },
    /// Remove a profile (its last version stays as NAME.toml.bak).
    Rm { name: String },
    /// Print the profiles directory.
    Path,
}

fn profile_command(action: ProfileAction) -> anyhow::Result<ExitCode> {
    let store = Store::open()?;
    match action {
        ProfileAction::List => {
            let listed = store.list()?;
            if listed.is_empty() {
                println!("No profiles in {} yet (wsmon profile save NAME URL...).", store.dir().display());
            }
            for profile in listed {
                let connections = match profile.connections {
                    Ok(count) => format!("{count} connections"),
                    Err(_) => "does not load (wsmon profile show says why)".into(),
                };
                println!("{:<20} {:<44} {}", profile.name, connections, profile.path.display());
            }
        }
        ProfileAction::Show { name } => {
            let (path, _) = store.load(&name)?;
            let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            println!("# {}\n{}", path.display(), crate::text::escape_lines(&text));
        }
        ProfileAction::Save { name, targets, connection } => {
            let mut names: Vec<String> = Vec::new();
            let mut specs = ad_hoc_specs(&targets, &connection.options());
            names.extend(specs.iter().map(|spec| spec.name.clone()));
            dedupe_names(&mut names);
            for (spec, name) in specs.iter_mut().zip(names) {
                spec.name = name;
            }
            let existed = store.exists(&name)?;
            let path = store.save(&name, &ProfileFile::from_specs(&specs))?;
            let kept = if existed { " (previous version kept as .bak)" } else { "" };
            println!("saved {} connections to {}{kept}", specs.len(), path.display());
        }
        ProfileAction::Rm { name } => {
            let backup = store.remove(&name)?;
            println!("removed {name}; its last version is {}", backup.display());
        }
        ProfileAction::Path => println!("{}", store.dir().display()),
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Endpoints to watch, as ws:// or wss:// URLs, optionally named: api=wss://host/feed
    #[arg(value_name = "URL|NAME=URL", required_unless_present = "profile", value_parser = parse_target)]
    targets: Vec<(Option<String>, url::Url)>,
    /// Watch the connections of a saved profile (wsmon profile list).
    #[arg(long, short = 'p', value_name = "NAME")]
    profile: Option<String>,
    #[command(flatten)]
    connection: ConnectionArgs,
    /// Print events as JSON Lines (one object per line; the summary last).
    #[arg(long)]
    json: bool,
    /// Stop after this long (e.g. 30s, 5m); without it, run until Ctrl-C.
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Exit with status 1 if a close or failure of one of these classes was
    /// seen, e.g. --fail-on protocol_error,handshake
    #[arg(long, value_name = "CLASS,...", value_delimiter = ',', value_parser = parse_class)]
    fail_on: Vec<Class>,
    #[command(flatten)]
    session: SessionArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Services in the fleet; every deployment restarts them in turn.
    #[arg(long, value_name = "K", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=50))]
    services: u16,
    /// Connections to each service.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=10_000))]
    connections: u16,
    /// The script's seed: the same seed plays the same deployment. [default: random, shown in the title]
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// Play the script this many times faster (its timings and the
    /// reconnect delays are divided by it).
    #[arg(long, value_name = "X", default_value_t = 1.0, value_parser = parse_speed)]
    speed: f64,
    /// Stop deploying after this many deployments (the fleet keeps running).
    #[arg(long, value_name = "N")]
    deployments: Option<u32>,
    /// No screen: run the demo under `watch` (readable lines, or --json).
    #[arg(long)]
    headless: bool,
    /// With --headless: JSON Lines, like `watch --json`.
    #[arg(long, requires = "headless")]
    json: bool,
    /// With --headless: stop after this long (e.g. 90s).
    #[arg(long, value_name = "DUR", value_parser = parse_duration, requires = "headless")]
    duration: Option<Duration>,
    #[command(flatten)]
    session: SessionArgs,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A session log (run `wsmon replay` to list them) or saved `watch --json` output.
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
    /// Write the session's report to FILE (.md or .json) instead of opening the TUI.
    #[arg(long, value_name = "FILE", value_parser = crate::report::parse_path)]
    report: Option<PathBuf>,
}

/// What a live session leaves behind.
#[derive(Debug, Args)]
pub struct SessionArgs {
    /// Write a deployment report on exit: Markdown for FILE.md, JSON for
    /// FILE.json (in the TUI, R writes one at any time).
    #[arg(long, value_name = "FILE", value_parser = crate::report::parse_path)]
    report: Option<PathBuf>,
    /// Do not log this session (logs are kept in the data directory's
    /// sessions/ folder for `wsmon replay`).
    #[arg(long)]
    no_log: bool,
}

/// How to connect: shared by every connection given on the command line.
#[derive(Debug, Args)]
pub struct ConnectionArgs {
    /// Extra request header, repeatable: -H 'Authorization: Bearer abc'
    #[arg(short = 'H', long = "header", value_name = "'NAME: VALUE'", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// Subprotocol to offer, repeatable (sent as Sec-WebSocket-Protocol).
    #[arg(long = "subprotocol", value_name = "NAME")]
    subprotocols: Vec<String>,
    /// Origin header to send.
    #[arg(long, value_name = "ORIGIN")]
    origin: Option<String>,
    /// Text message to send as soon as a connection opens, repeatable.
    #[arg(long = "send", value_name = "TEXT")]
    send_on_open: Vec<String>,
    /// Time between pings; 0s turns pings off. [default: 15s]
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    ping_interval: Option<Duration>,
    /// A pong later than this fails the connection (1006, ping timeout). [default: 10s]
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    ping_timeout: Option<Duration>,
    /// Limit for each connect stage: DNS, TCP, TLS, HTTP upgrade. [default: 10s]
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    connect_timeout: Option<Duration>,
    /// Largest message accepted (e.g. 64KiB); larger ones close with 1009. [default: 1MiB]
    #[arg(long, value_name = "SIZE", value_parser = crate::format::parse_size)]
    max_message: Option<usize>,
    /// Also trust the CA certificates in this PEM file (a private CA).
    #[arg(long, value_name = "PEM")]
    ca_file: Option<std::path::PathBuf>,
    /// Accept any server certificate. For test fleets only: shown in red.
    #[arg(long)]
    insecure: bool,
}

impl ConnectionArgs {
    /// Lay the flags that were given over `options` (which may come from a profile).
    fn apply(&self, options: &mut ConnOptions) {
        options.headers.extend(self.headers.iter().cloned());
        options.subprotocols.extend(self.subprotocols.iter().cloned());
        if let Some(origin) = &self.origin {
            options.origin = Some(origin.clone());
        }
        options.send_on_open.extend(self.send_on_open.iter().cloned());
        if let Some(interval) = self.ping_interval {
            options.ping_interval = (!interval.is_zero()).then_some(interval);
        }
        if let Some(timeout) = self.ping_timeout {
            options.ping_timeout = timeout;
        }
        if let Some(timeout) = self.connect_timeout {
            options.connect_timeout = timeout;
        }
        if let Some(size) = self.max_message {
            options.max_message_size = size;
        }
        if let Some(ca_file) = &self.ca_file {
            options.tls.ca_file = Some(ca_file.clone());
        }
        if self.insecure {
            options.tls.insecure = true;
        }
    }

    fn options(&self) -> ConnOptions {
        let mut options = ConnOptions::default();
        self.apply(&mut options);
        options
    }
}

/// What to watch: a profile's connections (with the flags laid over them)
/// and the URLs of the command line, every name unique.
struct Selection {
    specs: Vec<ConnSpec>,
    /// The profile's name, or "ad hoc".
    label: String,
    /// Options for connections added later (TUI `a`).
    defaults: ConnOptions,
}

fn select(
    profile: Option<&str>,
    targets: &[(Option<String>, url::Url)],
    flags: &ConnectionArgs,
) -> Result<Selection, ProfileError> {
    let mut defaults = ConnOptions::default();
    let mut specs = Vec::new();
    let mut label = crate::tui::app::AD_HOC.to_string();
    if let Some(name) = profile {
        let store = Store::open()?;
        let (path, file) = store.load(name)?;
        specs = file.specs(&path, |options| flags.apply(options))?;
        crate::profile::apply_from(&file.defaults, path.parent().unwrap_or(std::path::Path::new(".")), &mut defaults);
        label = name.to_string();
    }
    flags.apply(&mut defaults);
    specs.extend(ad_hoc_specs(targets, &defaults));
    let mut names: Vec<String> = specs.iter().map(|spec| spec.name.clone()).collect();
    dedupe_names(&mut names);
    for (spec, name) in specs.iter_mut().zip(names) {
        spec.name = name;
    }
    Ok(Selection { specs, label, defaults })
}

/// Connection specs from command-line targets.
fn ad_hoc_specs(targets: &[(Option<String>, url::Url)], options: &ConnOptions) -> Vec<ConnSpec> {
    targets
        .iter()
        .map(|(name, url)| ConnSpec {
            name: name.clone().unwrap_or_else(|| default_name(url)),
            url: url.clone(),
            options: options.clone(),
        })
        .collect()
}

fn parse_code(text: &str) -> Result<u16, String> {
    text.trim().parse().map_err(|_| format!("'{text}' is not a close code: give a number such as 1002 or 1012"))
}

fn parse_speed(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(speed) if (0.1..=100.0).contains(&speed) => Ok(speed),
        _ => Err(format!("'{text}' is not a speed: give a factor from 0.1 to 100, e.g. 2 or 0.5")),
    }
}

fn parse_class(text: &str) -> Result<Class, String> {
    Class::from_name(text.trim()).ok_or_else(|| {
        let names: Vec<_> = Class::ALL.iter().map(|class| class.as_str()).collect();
        format!("'{text}' is not a class; use one of: {}", names.join(", "))
    })
}

/// Parse the command line and run. Usage errors exit with 2 (clap's way).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // Bad input (a profile that does not load, a bad name): like a usage error.
        Err(error) if error.downcast_ref::<ProfileError>().is_some() => {
            eprintln!("wsmon: {error:#}");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("wsmon: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(Command::Codes { codes }) => {
            print!("{}", crate::codes::render(&codes));
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Demo(args)) => demo(*args),
        Some(Command::Watch(args)) => watch(*args),
        Some(Command::Replay(args)) => replay(args),
        Some(Command::Profile { action }) => profile_command(action),
        None => {
            let Selection { specs, label, defaults } = select(cli.profile.as_deref(), &cli.targets, &cli.connection)?;
            ensure_open_files(specs.len())?;
            let options = TuiOptions {
                source: Source::Live { specs, record: !cli.session.no_log },
                label,
                defaults,
                profiles: Store::open()?,
                report: cli.session.report,
            };
            tui(&runtime()?, options)
        }
    }
}

fn tui(runtime: &tokio::runtime::Runtime, options: TuiOptions) -> anyhow::Result<ExitCode> {
    init_file_logging();
    let outcome = runtime.block_on(crate::tui::run(options))?;
    if let Some(path) = outcome.report {
        eprintln!("wsmon: report written to {}", path.display());
    }
    if let Some(path) = outcome.log {
        eprintln!("wsmon: session logged to {} (wsmon replay opens it)", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn demo(args: DemoArgs) -> anyhow::Result<ExitCode> {
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
    let code = if args.headless {
        let options = WatchOptions {
            specs,
            label,
            json: args.json,
            duration: args.duration,
            fail_on: Vec::new(),
            record: !args.session.no_log,
            report: args.session.report,
        };
        run_watch(&runtime, options)
    } else {
        let options = TuiOptions {
            source: Source::Live { specs, record: !args.session.no_log },
            label,
            defaults: ConnOptions::default(),
            profiles: Store::open()?,
            report: args.session.report,
        };
        tui(&runtime, options)
    };
    drop(fleet);
    code
}

fn replay(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let Some(path) = args.file else { return list_session_logs() };
    let mut model = Model::default();
    let replayed = crate::replay::read(&path, |event| model.apply(event))
        .with_context(|| format!("reading {}", path.display()))?;
    const SHOWN: usize = 10;
    for skipped in replayed.skipped.iter().take(SHOWN) {
        eprintln!("wsmon: {}:{}: skipped: {}", path.display(), skipped.line, escape(&skipped.reason));
    }
    if replayed.skipped.len() > SHOWN {
        eprintln!("wsmon: {}: {} more lines skipped", path.display(), replayed.skipped.len() - SHOWN);
    }
    let Some(end) = replayed.end else {
        anyhow::bail!(ProfileError::Invalid {
            path: path.clone(),
            message: "no wsmon events in this file: replay reads session logs and `wsmon watch --json` output".into(),
        });
    };
    let label = log_label(&path);
    if let Some(report) = args.report {
        Report::new(&label, model.summary(end), end)
            .write(&report)
            .with_context(|| format!("writing the report to {}", report.display()))?;
        eprintln!("wsmon: report written to {}", report.display());
        return Ok(ExitCode::SUCCESS);
    }
    let options = TuiOptions {
        source: Source::Replay { model: Box::new(model), end },
        label,
        defaults: ConnOptions::default(),
        profiles: Store::open()?,
        report: None,
    };
    tui(&runtime()?, options)
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
        println!("No session logs in {} yet: every TUI and watch session writes one.", dir.display());
    }
    for log in logs {
        println!("{:>10}  {}", crate::format::size(log.bytes), log.path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Raise the open-files limit, and stop with one clear line if `sockets`
/// still do not fit.
fn ensure_open_files(sockets: usize) -> anyhow::Result<()> {
    match crate::limits::raise_open_files() {
        Ok(limit) => crate::limits::check_capacity(sockets, limit).map_err(anyhow::Error::msg),
        Err(error) => {
            tracing::warn!(%error, "could not raise the open-files limit");
            Ok(())
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")
}

fn watch(args: WatchArgs) -> anyhow::Result<ExitCode> {
    let selection = select(args.profile.as_deref(), &args.targets, &args.connection)?;
    if selection.specs.is_empty() {
        anyhow::bail!(ProfileError::Invalid {
            path: "command line".into(),
            message: "nothing to watch: give URLs or a profile with connections (wsmon watch ws://host:port/path)"
                .into(),
        });
    }
    ensure_open_files(selection.specs.len())?;
    let options = WatchOptions {
        specs: selection.specs,
        label: selection.label,
        json: args.json,
        duration: args.duration,
        fail_on: args.fail_on,
        record: !args.session.no_log,
        report: args.session.report,
    };
    run_watch(&runtime()?, options)
}

fn run_watch(runtime: &tokio::runtime::Runtime, options: WatchOptions) -> anyhow::Result<ExitCode> {
    init_stderr_logging();
    let json = options.json;
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    let outcome = runtime.block_on(headless::watch(options, &mut stdout, headless::interrupted()));
    if let Ok(outcome) = &outcome
        && let Some(path) = outcome.log.as_ref().filter(|_| !json)
    {
        eprintln!("wsmon: session logged to {} (wsmon replay opens it)", path.display());
    }
    match outcome {
        Ok(outcome) if outcome.failed => Ok(ExitCode::from(1)),
        Ok(_) => Ok(ExitCode::SUCCESS),
        // A reader that went away (`| head`) ends the watch; that is not an error.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(error) => Err(error).context("writing the output"),
    }
}

/// `watch` logs to stderr, and only when asked for with WSMON_LOG (e.g.
/// WSMON_LOG=debug): stdout belongs to the events.
fn init_stderr_logging() {
    let Ok(filter) = std::env::var("WSMON_LOG") else { return };
    let filter = tracing_subscriber::EnvFilter::try_new(&filter).unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(io::stderr).try_init();
}

/// The TUI logs to `wsmon.log` in the data directory (WSMON_DATA_DIR
/// overrides it), never to the screen; warnings by default, WSMON_LOG sets
/// the level.
fn init_file_logging() {
    let Some(dir) = crate::paths::data_dir() else { return };
    let opened = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::OpenOptions::new().create(true).append(true).open(dir.join("wsmon.log")));
    let Ok(file) = opened else { return };
    let level = std::env::var("WSMON_LOG").unwrap_or_else(|_| "warn".into());
    let filter = tracing_subscriber::EnvFilter::try_new(&level).unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn classes_parse_or_list_the_valid_ones() {
        assert_eq!(parse_class("protocol_error"), Ok(Class::ProtocolError));
        let error = parse_class("protocol").unwrap_err();
        assert!(error.contains("'protocol'") && error.contains("service_restart"), "{error}");
    }

    #[test]
    fn repeated_names_are_made_unique() {
        let url = crate::engine::spec::parse_ws_url("ws://127.0.0.1:9/").unwrap();
        let targets = vec![(None, url.clone()), (None, url.clone()), (Some("api".into()), url)];
        let flags = Cli::parse_from(["wsmon"]).connection;
        let names: Vec<_> = select(None, &targets, &flags).unwrap().specs.into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["127.0.0.1:9", "127.0.0.1:9#2", "api"]);
    }
}
