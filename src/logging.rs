//! wsmon's own log (tracing). `watch` writes it to stderr when WSMON_LOG
//! asks for it (stdout belongs to the events); the TUI writes it to
//! `<data dir>/logs/`, one file a day (`wsmon.YYYY-MM-DD.log`, seven kept,
//! `wsmon.log` links to the newest), created 0600 in a 0700 directory.
//!
//! Two rules hold at every level WSMON_LOG may name:
//! * dependencies log warnings at most, and those that log requests never:
//!   tungstenite logs the whole upgrade request, the expanded
//!   `Authorization` header included, at trace;
//! * every record goes through `text::escape`: a log line may quote a
//!   server's text, and a log is read in a terminal.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_appender::rolling::{RollingFileAppender, RollingWriter, Rotation};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{FilterExt, LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

const FILE_PREFIX: &str = "wsmon";
const FILE_SUFFIX: &str = "log";
const KEEP_FILES: usize = 7;

/// `watch`: to stderr, only when WSMON_LOG is set (e.g. WSMON_LOG=debug).
pub fn to_stderr() {
    let Ok(level) = std::env::var("WSMON_LOG") else { return };
    let _ = tracing::subscriber::set_global_default(subscriber(&level, "info", || Escaping(io::stderr())));
}

/// The TUI: to the daily file, warnings unless WSMON_LOG says otherwise.
/// A log that cannot be opened is no reason not to start.
pub fn to_file() {
    let Some(dir) = crate::paths::data_dir().map(|dir| dir.join("logs")) else { return };
    let Ok(file) = PrivateDailyFile::open(&dir) else { return };
    let level = std::env::var("WSMON_LOG").unwrap_or_else(|_| "warn".into());
    let _ = tracing::subscriber::set_global_default(subscriber(&level, "warn", file));
}

fn subscriber<W>(level: &str, fallback: &str, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let asked = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new(fallback));
    let layer = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(writer);
    tracing_subscriber::registry().with(layer.with_filter(asked.and(allowed())))
}

/// What any WSMON_LOG may let through.
fn allowed() -> Targets {
    Targets::new()
        .with_target("wsmon", LevelFilter::TRACE)
        .with_target("tungstenite", LevelFilter::OFF)
        .with_target("tokio_tungstenite", LevelFilter::OFF)
        .with_target("hyper", LevelFilter::OFF)
        .with_default(LevelFilter::WARN)
}

/// Writes each record (one `write` per record, as tracing's formatter
/// makes them) with every hostile character escaped, its own newline kept.
struct Escaping<W>(W);

impl<W: Write> Write for Escaping<W> {
    fn write(&mut self, record: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(record);
        let line = text.strip_suffix('\n').unwrap_or(&text);
        let mut escaped = crate::text::escape(line).into_owned();
        escaped.push('\n');
        self.0.write_all(escaped.as_bytes())?;
        Ok(record.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// tracing-appender's daily files, each created 0600 before the appender
/// opens it (the appender itself creates files with the umask's mode).
struct PrivateDailyFile {
    appender: RollingFileAppender,
    dir: PathBuf,
    /// The day whose file is known to be private.
    day: Mutex<String>,
}

impl PrivateDailyFile {
    fn open(dir: &Path) -> io::Result<PrivateDailyFile> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true).mode(0o700);
        builder.create(dir)?;
        let day = today();
        make_private(&dir.join(file_name(&day)))?;
        let appender = RollingFileAppender::builder()
            .rotation(Rotation::DAILY)
            .filename_prefix(FILE_PREFIX)
            .filename_suffix(FILE_SUFFIX)
            .max_log_files(KEEP_FILES)
            .latest_symlink("wsmon.log")
            .build(dir)
            .map_err(io::Error::other)?;
        Ok(PrivateDailyFile { appender, dir: dir.to_path_buf(), day: Mutex::new(day) })
    }
}

impl<'a> MakeWriter<'a> for PrivateDailyFile {
    type Writer = Escaping<RollingWriter<'a>>;

    fn make_writer(&'a self) -> Self::Writer {
        let day = today();
        if let Ok(mut known) = self.day.lock()
            && *known != day
        {
            // Best effort: a failure here leaves the appender's own file.
            let _ = make_private(&self.dir.join(file_name(&day)));
            *known = day;
        }
        Escaping(self.appender.make_writer())
    }
}

/// Create the file 0600 if it is missing, and make it 0600 if it is not.
fn make_private(path: &Path) -> io::Result<()> {
    OpenOptions::new().append(true).create(true).mode(0o600).open(path)?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
}

/// The UTC day, as tracing-appender names its daily files.
fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

fn file_name(day: &str) -> String {
    format!("{FILE_PREFIX}.{day}.{FILE_SUFFIX}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A writer tests can read back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn logged_at(level: &str, log: impl FnOnce()) -> String {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = subscriber(level, "info", move || Escaping(writer.clone()));
        tracing::subscriber::with_default(subscriber, log);
        String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn no_level_lets_a_request_through() {
        for level in ["trace", "tungstenite=trace", "trace,tungstenite=trace,tokio_tungstenite=trace"] {
            let text = logged_at(level, || {
                tracing::trace!(target: "tungstenite::handshake::client", "Request: authorization: Bearer s3cret");
                tracing::trace!(target: "tokio_tungstenite::compat", "authorization: Bearer s3cret");
                tracing::debug!(target: "rustls::client", "a dependency's debug line");
                tracing::warn!(target: "rustls::client", "a dependency's warning");
                tracing::trace!("wsmon's own trace");
            });
            assert!(!text.contains("s3cret"), "{level}: {text}");
            assert!(!text.contains("debug line"), "{level}: {text}");
            let everything = level.starts_with("trace");
            assert_eq!(text.contains("a dependency's warning"), everything, "{level}: {text}");
            assert_eq!(text.contains("wsmon's own trace"), everything, "{level}: {text}");
        }
    }

    #[test]
    fn records_are_escaped_and_end_with_one_newline() {
        let text = logged_at("trace", || {
            tracing::warn!(reason = %"a\rb\u{1b}[2J\u{202e}c\u{200b}", "close\nforged line");
        });
        assert_eq!(text.matches('\n').count(), 1, "{text:?}");
        assert!(text.contains(r"close\nforged line"), "{text}");
        assert!(text.contains(r"reason=a\rb\e[2J\u{202e}c\u{200b}"), "{text}");
        assert!(!text.trim_end().chars().any(crate::text::is_hostile), "{text:?}");
    }

    #[test]
    fn the_daily_file_is_private_and_linked() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        let file = PrivateDailyFile::open(&logs).unwrap();
        let mut writer = file.make_writer();
        writer.write_all(b"hello\n").unwrap();
        writer.flush().unwrap();
        let path = logs.join(file_name(&today()));
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(&logs).unwrap().permissions().mode() & 0o777, 0o700);
        assert_eq!(fs::read_to_string(logs.join("wsmon.log")).unwrap(), "hello\n");
    }
}
