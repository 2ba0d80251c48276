//! Session logs: every TUI and `watch` session appends its events, as the
//! `watch --json` lines, to a file under `<data dir>/sessions/`, flushed
//! after every batch, so a crash or a closed terminal loses at most the
//! batch in flight. The summary is the last line. Old logs are pruned by
//! count and size when a session starts. `wsmon replay` reads them back.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::event::{Event, Ts};
use crate::model::{Model, Summary};
use crate::wire;

/// Logs kept, the new one included.
pub const KEEP_LOGS: usize = 50;
/// Bytes kept over all older logs.
pub const KEEP_BYTES: u64 = 256 << 20;
const EXTENSION: &str = "jsonl";

/// `<data dir>/sessions`.
pub fn sessions_dir() -> Option<PathBuf> {
    crate::paths::data_dir().map(|dir| dir.join("sessions"))
}

pub struct Recorder {
    path: PathBuf,
    out: BufWriter<File>,
}

impl Recorder {
    /// Start a log for a session called `label`, after pruning old ones.
    pub fn start(label: &str) -> io::Result<Recorder> {
        let dir = sessions_dir().ok_or_else(|| io::Error::other("no data directory (set WSMON_DATA_DIR)"))?;
        Recorder::start_in(&dir, label, Ts::now())
    }

    pub fn start_in(dir: &Path, label: &str, now: Ts) -> io::Result<Recorder> {
        fs::create_dir_all(dir)?;
        if let Err(error) = prune(dir, KEEP_LOGS - 1, KEEP_BYTES) {
            tracing::warn!(%error, dir = %dir.display(), "could not prune old session logs");
        }
        let stem = format!("{}-{}", now.to_datetime().format("%Y-%m-%dT%H-%M-%SZ"), file_safe(label));
        for n in 1..100 {
            let name = if n == 1 { format!("{stem}.{EXTENSION}") } else { format!("{stem}-{n}.{EXTENSION}") };
            let path = dir.join(name);
            // Private like profiles: close reasons and URLs can say more than they should.
            match OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path) {
                Ok(file) => return Ok(Recorder { path, out: BufWriter::with_capacity(64 << 10, file) }),
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(error) => return Err(error),
            }
        }
        Err(io::Error::other(format!("too many session logs named {stem} in {}", dir.display())))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queue one event; `model` has applied it and knows its connection.
    pub fn record(&mut self, model: &Model, event: &Event) -> io::Result<()> {
        let Some(conn) = model.connection(event.conn) else { return Ok(()) };
        match wire::encode_event(event, &conn.name, &conn.url) {
            Some(line) => self.write_line(&line),
            None => Ok(()),
        }
    }

    /// Queue one event already encoded by `wire::encode_event`.
    pub fn write_line(&mut self, line: &str) -> io::Result<()> {
        writeln!(self.out, "{line}")
    }

    /// Write out what was queued: after every batch.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// The summary line last; the log is complete.
    pub fn finish(mut self, summary: &Summary, at: Ts) -> io::Result<PathBuf> {
        writeln!(self.out, "{}", wire::encode_summary(summary, at))?;
        self.out.flush()?;
        Ok(self.path)
    }
}

/// Words of ASCII letters and digits joined by `-`: "demo (seed 7)" →
/// "demo-seed-7".
fn file_safe(label: &str) -> String {
    let words: Vec<&str> = label.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let safe: String = words.join("-").chars().take(40).collect();
    if safe.is_empty() { "session".into() } else { safe }
}

/// A session log on disk.
#[derive(Debug, Clone)]
pub struct LogFile {
    pub path: PathBuf,
    pub bytes: u64,
}

/// The session logs in `dir`, newest first (names start with the time).
pub fn list(dir: &Path) -> io::Result<Vec<LogFile>> {
    let mut logs = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if path.extension().is_some_and(|ext| ext == EXTENSION) && entry.file_type()?.is_file() {
            logs.push(LogFile { path, bytes: entry.metadata()?.len() });
        }
    }
    logs.sort_by(|a, b| b.path.cmp(&a.path));
    Ok(logs)
}

/// Remove the oldest logs beyond `keep` files or `keep_bytes` in all.
/// Returns how many were removed.
pub fn prune(dir: &Path, keep: usize, keep_bytes: u64) -> io::Result<usize> {
    let mut total = 0;
    let mut removed = 0;
    for (index, log) in list(dir)?.into_iter().enumerate() {
        total += log.bytes;
        if index >= keep || total > keep_bytes {
            fs::remove_file(&log.path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_log(dir: &Path, name: &str, bytes: usize) {
        fs::write(dir.join(name), vec![b'x'; bytes]).unwrap();
    }

    fn names(dir: &Path) -> Vec<String> {
        list(dir).unwrap().into_iter().map(|log| log.path.file_name().unwrap().to_string_lossy().into()).collect()
    }

    #[test]
    fn pruning_keeps_the_newest_by_count_and_size() {
        let dir = tempfile::tempdir().unwrap();
        for day in 1..=5 {
            write_log(dir.path(), &format!("2026-11-0{day}T10-00-00Z-prod.jsonl"), 100);
        }
        fs::write(dir.path().join("notes.txt"), "not a log").unwrap();
        assert_eq!(prune(dir.path(), 3, u64::MAX).unwrap(), 2);
        assert_eq!(
            names(dir.path()),
            ["2026-11-05T10-00-00Z-prod.jsonl", "2026-11-04T10-00-00Z-prod.jsonl", "2026-11-03T10-00-00Z-prod.jsonl"]
        );
        assert_eq!(prune(dir.path(), 10, 250).unwrap(), 1, "the third log would pass 250 bytes");
        assert_eq!(names(dir.path()).len(), 2);
        assert!(dir.path().join("notes.txt").exists(), "only session logs are pruned");
    }

    #[test]
    fn two_sessions_in_the_same_second_get_two_files() {
        let dir = tempfile::tempdir().unwrap();
        let first = Recorder::start_in(dir.path(), "prod / eu", Ts(1_795_000_000_000)).unwrap();
        let second = Recorder::start_in(dir.path(), "prod / eu", Ts(1_795_000_000_000)).unwrap();
        assert_eq!(first.path().file_name().unwrap(), "2026-11-18T11-06-40Z-prod-eu.jsonl");
        assert_eq!(second.path().file_name().unwrap(), "2026-11-18T11-06-40Z-prod-eu-2.jsonl");
    }
}
