//! The command line: what a user can type, checked before anything starts.
//! Every bad value gets one line that names it and says how to write it
//! instead, and exit status 2 (clap's usage-error status).

use std::io;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::close::Class;
use crate::engine::spec::{dedupe_names, default_name, parse_header, parse_target};
use crate::engine::{ConnOptions, ConnSpec};
use crate::format::parse_duration;
use crate::headless::{self, WatchOptions};
use crate::tui::TuiOptions;

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
    #[command(flatten)]
    connection: ConnectionArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Watch without a screen: one line per event, a summary at the end, an
    /// exit code for CI gates.
    Watch(WatchArgs),
    /// Explain WebSocket close codes; two codes are compared side by side
    /// (e.g. `wsmon codes 1002 1012`).
    Codes {
        /// Close codes to explain; none lists them all.
        #[arg(value_name = "CODE", value_parser = parse_code)]
        codes: Vec<u16>,
    },
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Endpoints to watch, as ws:// or wss:// URLs, optionally named: api=wss://host/feed
    #[arg(value_name = "URL|NAME=URL", required = true, value_parser = parse_target)]
    targets: Vec<(Option<String>, url::Url)>,
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
    /// Time between pings; 0s turns pings off.
    #[arg(long, value_name = "DUR", default_value = "15s", value_parser = parse_duration)]
    ping_interval: Duration,
    /// A pong later than this fails the connection (1006, ping timeout).
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = parse_duration)]
    ping_timeout: Duration,
    /// Limit for each connect stage: DNS, TCP, TLS, HTTP upgrade.
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = parse_duration)]
    connect_timeout: Duration,
    /// Largest message accepted (e.g. 64KiB, 1MiB); larger ones close with 1009.
    #[arg(long, value_name = "SIZE", default_value = "1MiB", value_parser = parse_size)]
    max_message: usize,
}

impl ConnectionArgs {
    fn options(&self) -> ConnOptions {
        ConnOptions {
            headers: self.headers.clone(),
            subprotocols: self.subprotocols.clone(),
            origin: self.origin.clone(),
            send_on_open: self.send_on_open.clone(),
            ping_interval: (!self.ping_interval.is_zero()).then_some(self.ping_interval),
            ping_timeout: self.ping_timeout,
            connect_timeout: self.connect_timeout,
            max_message_size: self.max_message,
            ..ConnOptions::default()
        }
    }
}

/// Connection specs from targets, named uniquely.
fn specs(targets: &[(Option<String>, url::Url)], options: &ConnOptions) -> Vec<ConnSpec> {
    let mut names: Vec<String> =
        targets.iter().map(|(name, url)| name.clone().unwrap_or_else(|| default_name(url))).collect();
    dedupe_names(&mut names);
    names
        .into_iter()
        .zip(targets)
        .map(|(name, (_, url))| ConnSpec { name, url: url.clone(), options: options.clone() })
        .collect()
}

fn parse_code(text: &str) -> Result<u16, String> {
    text.trim().parse().map_err(|_| format!("'{text}' is not a close code: give a number such as 1002 or 1012"))
}

fn parse_class(text: &str) -> Result<Class, String> {
    Class::from_name(text.trim()).ok_or_else(|| {
        let names: Vec<_> = Class::ALL.iter().map(|class| class.as_str()).collect();
        format!("'{text}' is not a class; use one of: {}", names.join(", "))
    })
}

fn parse_size(text: &str) -> Result<usize, String> {
    let trimmed = text.trim();
    let split = trimmed.find(|c: char| !c.is_ascii_digit()).unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let multiplier: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => 0,
    };
    number
        .parse::<usize>()
        .ok()
        .filter(|_| multiplier > 0)
        .and_then(|n| n.checked_mul(multiplier))
        .filter(|size| *size > 0)
        .ok_or_else(|| format!("'{text}' is not a size; write it like 65536, 64KiB or 1MiB"))
}

/// Parse the command line and run. Usage errors exit with 2 (clap's way).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
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
        Some(Command::Watch(args)) => watch(args),
        None => {
            let defaults = cli.connection.options();
            let options = TuiOptions { specs: specs(&cli.targets, &defaults), label: "ad hoc".into(), defaults };
            init_file_logging();
            runtime()?.block_on(crate::tui::run(options))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")
}

fn watch(args: WatchArgs) -> anyhow::Result<ExitCode> {
    init_stderr_logging();
    let options = WatchOptions {
        specs: specs(&args.targets, &args.connection.options()),
        json: args.json,
        duration: args.duration,
        fail_on: args.fail_on,
    };
    let runtime = runtime()?;
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    let outcome = runtime.block_on(headless::watch(options, &mut stdout, headless::interrupted()));
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
    fn sizes_parse_or_explain() {
        assert_eq!(parse_size("65536"), Ok(65_536));
        assert_eq!(parse_size("64KiB"), Ok(65_536));
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_size("2 mb"), Ok(2 << 20));
        for bad in ["", "0", "lots", "5 parsecs", "-1"] {
            assert!(parse_size(bad).unwrap_err().contains("1MiB"), "{bad}");
        }
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
        let names: Vec<_> = specs(&targets, &ConnOptions::default()).into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["127.0.0.1:9", "127.0.0.1:9#2", "api"]);
    }
}
