//! The command line: what a user can type, checked before anything starts.
//! Every bad value gets one line that names it and says how to write it
//! instead, and exit status 2 (clap's usage-error status).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::close::Class;
use crate::engine::ConnOptions;
use crate::engine::proxy::{Proxy, mask_all};
use crate::engine::spec::{parse_header, parse_subprotocol, parse_target};
use crate::engine::tls::ClientCert;
use crate::format::parse_duration;
use crate::lang::Lang;
use crate::profile::{ProfileError, Store};
use crate::tui::{Source, TuiOptions};

mod profiles;
mod sessions;

use profiles::{Selection, profile_command, select};
use sessions::{demo, ensure_open_files, metrics, replay, tui, watch};

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
    /// Language of the prose for a person (close codes, the explain popup,
    /// the Markdown report): en or ja. [default: from LC_ALL, LC_MESSAGES or
    /// LANG, first non-empty: ja* is Japanese, anything else English]
    #[arg(long, global = true, value_name = "en|ja", value_parser = Lang::parse)]
    lang: Option<Lang>,
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
    /// the TUI, or write its report; follow one live (--follow FILE, or `-`
    /// for stdin); without FILE, list the session logs.
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
    /// Exit with status 1 if a connection took longer than this to come
    /// back after a close (or is still down at the end), e.g. 30s
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    max_recovery: Option<Duration>,
    /// Watch only shard K of N: the connections whose name hashes there
    /// (FNV-1a, stable), so N agents split one profile, e.g. --shard 2/3
    #[arg(long, value_name = "K/N", value_parser = crate::shard::parse)]
    shard: Option<crate::shard::Shard>,
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
    /// A session log (run `wsmon replay` to list them) or saved `watch --json`
    /// output; `-` follows a live stream on stdin (ssh -n HOST wsmon watch --json | wsmon replay -).
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
    /// Keep reading FILE as it grows (a session log or `watch --json` output
    /// still being written), showing it live.
    #[arg(long, short = 'f', requires = "file")]
    follow: bool,
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
    /// Largest size of this session's log (e.g. 16MiB): past it, the log
    /// keeps its start and its latest events and says what it left out.
    #[arg(long, value_name = "SIZE", value_parser = crate::recording::parse_cap, default_value = "64MiB")]
    log_cap: u64,
    /// Serve Prometheus metrics at http://ADDR/metrics, e.g. 127.0.0.1:9464
    /// (port 0: any free port). No authentication: keep it on loopback.
    #[arg(long, value_name = "ADDR", value_parser = crate::metrics::parse_addr)]
    metrics: Option<std::net::SocketAddr>,
    /// Also export a series per connection (wsmon_connection_up,
    /// wsmon_connection_closes_total), named by the connection.
    #[arg(long)]
    metrics_per_connection: bool,
    /// Most connections --metrics-per-connection takes: more is refused at start.
    #[arg(long, value_name = "N", default_value_t = 1000, requires = "metrics_per_connection")]
    metrics_per_connection_limit: usize,
}

impl SessionArgs {
    /// The cap of the session log, or None for no log.
    fn log(&self) -> Option<u64> {
        (!self.no_log).then_some(self.log_cap)
    }
}

/// How to connect: shared by every connection given on the command line.
#[derive(Debug, Args)]
pub struct ConnectionArgs {
    /// Extra request header, repeatable: -H 'Authorization: Bearer abc'
    #[arg(short = 'H', long = "header", value_name = "'NAME: VALUE'", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// Subprotocol to offer, repeatable (sent as Sec-WebSocket-Protocol).
    #[arg(long = "subprotocol", value_name = "NAME", value_parser = parse_subprotocol)]
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
    /// Limit for each connect stage: DNS, TCP (or the proxy), TLS, HTTP upgrade. [default: 10s]
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    connect_timeout: Option<Duration>,
    /// An open connection that receives no message for this long is shown
    /// silent (a feed that stopped while pings answer), e.g. 30s
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    expect_message_within: Option<Duration>,
    /// Largest message accepted (e.g. 64KiB); larger ones close with 1009. [default: 1MiB]
    #[arg(long, value_name = "SIZE", value_parser = crate::format::parse_size)]
    max_message: Option<usize>,
    /// Also trust the CA certificates in this PEM file (a private CA).
    #[arg(long, value_name = "PEM")]
    ca_file: Option<std::path::PathBuf>,
    /// Accept any server certificate. For test fleets only: shown in red.
    #[arg(long)]
    insecure: bool,
    /// Connect through this proxy: http://[user:password@]host:port (HTTP
    /// CONNECT), socks5://… or socks5h://… (the proxy resolves names).
    /// ${VAR} may stand for the user or password. [default: the
    /// environment's, as curl reads it: http_proxy, https_proxy, all_proxy,
    /// no_proxy]
    #[arg(long, value_name = "URL", value_parser = parse_proxy, conflicts_with = "no_proxy")]
    proxy: Option<Arc<Proxy>>,
    /// Connect directly: no proxy from the environment (or a profile).
    #[arg(long)]
    no_proxy: bool,
    /// Present this client certificate (PEM, intermediates after it) to
    /// servers that require one (mutual TLS); needs --key.
    #[arg(long, value_name = "PEM")]
    cert: Option<std::path::PathBuf>,
    /// The client certificate's private key (PEM, not encrypted); needs --cert.
    #[arg(long, value_name = "PEM")]
    key: Option<std::path::PathBuf>,
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
        if let Some(within) = self.expect_message_within {
            options.expect_message_within = (!within.is_zero()).then_some(within);
        }
        // Absolute, like --cert and --key: a profile saved with it (profile
        // save, S in the TUI) reads it from the profile's directory.
        if let Some(ca_file) = &self.ca_file {
            options.tls.ca_file = Some(absolute(ca_file));
        }
        if self.insecure {
            options.tls.insecure = true;
        }
        if let Some(proxy) = &self.proxy {
            options.proxy = Some(Arc::clone(proxy));
        }
        if self.no_proxy {
            options.proxy = Some(Arc::new(Proxy::Direct));
        }
        // A half pair was refused before (`client_cert`).
        if let Ok(Some(client)) = self.client_cert() {
            options.tls.client = Some(std::sync::Arc::new(client));
        }
    }

    /// The client certificate the flags give. --cert and --key come
    /// together; their paths are made absolute, like --ca-file.
    fn client_cert(&self) -> Result<Option<ClientCert>, BadInput> {
        let example = "e.g. --cert client.pem --key client-key.pem (a file that holds both can be given to each)";
        match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => Ok(Some(ClientCert { cert_file: absolute(cert), key_file: absolute(key) })),
            (None, None) => Ok(None),
            (Some(cert), None) => Err(BadInput(format!(
                "--cert {} needs --key: give the certificate's private key too, {example}",
                cert.display()
            ))),
            (None, Some(key)) => Err(BadInput(format!(
                "--key {} needs --cert: give the certificate it belongs to too, {example}",
                key.display()
            ))),
        }
    }
}

/// `path` from the current directory, when it can be told.
fn absolute(path: &std::path::Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// `--proxy URL`; "" for none. Errors show the password as `***`.
fn parse_proxy(text: &str) -> Result<Arc<Proxy>, String> {
    Proxy::parse(text).map(Arc::new)
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

/// Input wsmon cannot work with (not a profile's fault): exits with 2 too.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// Parse the command line and run. Usage errors exit with 2 (clap's way).
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse_from(lang_after_subcommand(std::env::args_os().collect())) {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    match run(cli) {
        Ok(code) => code,
        // Bad input (a profile that does not load, a bad name): like a usage error.
        Err(error) if error.downcast_ref::<ProfileError>().is_some() || error.downcast_ref::<BadInput>().is_some() => {
            say_error(&error);
            ExitCode::from(2)
        }
        Err(error) => {
            say_error(&error);
            ExitCode::FAILURE
        }
    }
}

/// `wsmon --lang ja codes 1002`: clap takes no subcommand after any
/// argument, global ones included (`args_conflicts_with_subcommands`, which
/// keeps `wsmon -p prod watch` from dropping `-p` without a word). So a
/// leading `--lang` is moved after the subcommand's name, where the global
/// flag is read; anything else is left for clap to judge.
fn lang_after_subcommand(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut end = 1;
    while let Some(arg) = args.get(end).and_then(|arg| arg.to_str()) {
        match arg {
            "--lang" if end + 1 < args.len() => end += 2,
            arg if arg.starts_with("--lang=") => end += 1,
            _ => break,
        }
    }
    let command = Cli::command();
    let subcommand = args
        .get(end)
        .and_then(|arg| arg.to_str())
        .filter(|name| command.get_subcommands().any(|subcommand| subcommand.get_name() == *name));
    if end > 1 && subcommand.is_some() {
        args[1..=end].rotate_right(1);
    }
    args
}

/// An error and its causes, as one line: a name or a path in it (a file
/// name, a profile name, a value the user typed) may hold a line feed, and
/// must not start a line of its own that looks like wsmon's.
fn say_error(error: &anyhow::Error) {
    crate::tell!("wsmon: {}", crate::text::escape(&format!("{error:#}")));
}

/// clap's message, with the user's input in it escaped like every other
/// output (help and version go out as clap writes them).
fn usage_error(error: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(error.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    // clap quotes the argument it refused as it was typed: a line feed in
    // it would start a line of its own. Each is shown escaped instead.
    let mut text = error.render().to_string();
    for arg in std::env::args().skip(1).filter(|arg| arg.chars().any(crate::text::is_hostile)) {
        text = text.replace(&arg, &crate::text::escape(&arg));
    }
    // A proxy URL quoted back (a bad --proxy) shows no password.
    let text = mask_all(&text);
    crate::tell!("{}", text.trim_end());
    ExitCode::from(error.exit_code() as u8)
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // Read once here and passed down: nothing else reads the locale.
    let lang = Lang::from_process(cli.lang);
    match cli.command {
        Some(Command::Codes { codes }) => {
            print!("{}", crate::codes::render(&codes, lang));
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Demo(args)) => demo(*args, lang),
        Some(Command::Watch(args)) => watch(*args, lang),
        Some(Command::Replay(args)) => replay(args, lang),
        Some(Command::Profile { action }) => profile_command(action),
        None => {
            let Selection { specs, label, defaults, waves, metrics: metrics_addr } =
                select(cli.profile.as_deref(), &cli.targets, &cli.connection)?;
            ensure_open_files(specs.len())?;
            let metrics = metrics(&cli.session, metrics_addr, specs.len())?;
            let options = TuiOptions {
                source: Source::Live { specs, log: cli.session.log(), waves },
                label,
                defaults,
                profiles: Store::open()?,
                report: cli.session.report,
                metrics,
                lang,
            };
            tui(&runtime()?, options)
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_certificate_and_its_key_come_together() {
        let flags = |args: &[&str]| Cli::parse_from([&["wsmon"], args].concat()).connection;
        let error = flags(&["--cert", "c.pem"]).client_cert().unwrap_err().to_string();
        assert!(error.starts_with("--cert c.pem needs --key") && error.contains("--key client-key.pem"), "{error}");
        let error = flags(&["--key", "k.pem"]).client_cert().unwrap_err().to_string();
        assert!(error.starts_with("--key k.pem needs --cert"), "{error}");
        assert!(flags(&[]).client_cert().unwrap().is_none());
        let client = flags(&["--cert", "c.pem", "--key", "/keys/k.pem"]).client_cert().unwrap().unwrap();
        assert_eq!(client.cert_file, std::env::current_dir().unwrap().join("c.pem"), "made absolute");
        assert_eq!(client.key_file, std::path::Path::new("/keys/k.pem"));
    }

    #[test]
    fn repeated_names_are_made_unique() {
        let url = crate::engine::spec::parse_ws_url("ws://127.0.0.1:9/").unwrap();
        let targets = vec![(None, url.clone()), (None, url.clone()), (Some("api".into()), url)];
        let flags = Cli::parse_from(["wsmon"]).connection;
        let names: Vec<_> = select(None, &targets, &flags).unwrap().specs.into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["127.0.0.1:9", "127.0.0.1:9#2", "api"]);
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(lang_after_subcommand(args.iter().map(Into::into).collect()))
    }

    #[test]
    fn lang_goes_before_or_after_the_subcommand() {
        for args in [
            &["wsmon", "--lang", "ja", "codes", "1002"][..],
            &["wsmon", "--lang=ja", "codes", "1002"],
            &["wsmon", "codes", "--lang", "ja", "1002"],
            &["wsmon", "codes", "1002", "--lang=ja"],
        ] {
            let cli = parse(args).unwrap_or_else(|error| panic!("{args:?}: {error}"));
            assert_eq!(cli.lang, Some(Lang::Ja), "{args:?}");
            assert!(matches!(cli.command, Some(Command::Codes { ref codes }) if codes == &[1002]), "{args:?}");
        }
        let tui = parse(&["wsmon", "--lang", "ja", "ws://127.0.0.1:9/"]).unwrap();
        assert_eq!((tui.lang, tui.command.is_none(), tui.targets.len()), (Some(Lang::Ja), true, 1));
        let replay = parse(&["wsmon", "--lang", "en", "replay", "x.jsonl", "--report", "x.md"]).unwrap();
        assert!(matches!(replay.command, Some(Command::Replay(_))) && replay.lang == Some(Lang::En));
        // Other arguments before a subcommand are still refused.
        assert!(parse(&["wsmon", "-p", "prod", "--lang", "ja", "codes"]).is_err());
    }

    #[test]
    fn a_bad_lang_says_what_is_allowed() {
        let error = parse(&["wsmon", "--lang", "fr", "codes"]).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().contains("use en or ja"), "{error}");
    }
}
