//! Session logs: every TUI and `watch` session appends its events, as the
//! `watch --json` lines, to a file under `<data dir>/sessions/`, flushed
//! after every batch, so a crash or a closed terminal loses at most the
//! batch in flight (and up to a minute of traffic counts). The summary is
//! the last line. Old logs are pruned by count and size when a session
//! starts. `wsmon replay` reads them back.
//!
//! Traffic deltas are summed per connection and written once a minute, and
//! before the connection closes: one line per message made a log of 10,000
//! connections (a message every 5 s each) grow by about 1.2 GB an hour. The
//! sums stay exact, so a replay counts the same traffic.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::event::{ConnId, Event, EventKind, Traffic, Ts};
use crate::model::{Model, Summary};
use crate::wire;

/// Logs kept, the new one included.
pub const KEEP_LOGS: usize = 50;
/// Bytes kept over all older logs.
pub const KEEP_BYTES: u64 = 256 << 20;
const EXTENSION: &str = "jsonl";
/// Summed traffic is written at least this often.
pub const TRAFFIC_EVERY_MS: u64 = 60_000;

/// `<data dir>/sessions`.
pub fn sessions_dir() -> Option<PathBuf> {
    crate::paths::data_dir().map(|dir| dir.join("sessions"))
}

pub struct Recorder {
    path: PathBuf,
    out: BufWriter<File>,
    /// Traffic not written yet, by connection.
    traffic: Vec<Traffic>,
    /// When the summed traffic is due, once there is some.
    traffic_due: Option<Ts>,
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
        let stem = format!("{}-{}", crate::format::file_stamp(now), file_safe(label));
        for n in 1..100 {
            let name = if n == 1 { format!("{stem}.{EXTENSION}") } else { format!("{stem}-{n}.{EXTENSION}") };
            let path = dir.join(name);
            // Private like profiles: close reasons and URLs can say more than they should.
            match OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path) {
                Ok(file) => {
                    let out = BufWriter::with_capacity(64 << 10, file);
                    return Ok(Recorder { path, out, traffic: Vec::new(), traffic_due: None });
                }
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
    /// `encoded` is the event's line when the caller has it already.
    pub fn record(&mut self, model: &Model, event: &Event, encoded: Option<&str>) -> io::Result<()> {
        if let EventKind::Traffic(delta) = &event.kind {
            let index = event.conn.index();
            if self.traffic.len() <= index {
                self.traffic.resize(index + 1, Traffic::default());
            }
            self.traffic[index].add(delta);
            self.traffic_due.get_or_insert(event.at.plus_millis(TRAFFIC_EVERY_MS));
            return Ok(());
        }
        // A session's traffic goes out before its end.
        if matches!(event.kind, EventKind::Closed(_) | EventKind::Removed) {
            self.write_traffic(model, event.conn, event.at)?;
        }
        match encoded {
            Some(line) => writeln!(self.out, "{line}"),
            None => self.write_event(model, event),
        }
    }

    /// Write out what was queued: after every batch. `now` decides whether
    /// the summed traffic is due.
    pub fn flush(&mut self, model: &Model, now: Ts) -> io::Result<()> {
        if self.traffic_due.is_some_and(|due| now >= due) {
            self.write_all_traffic(model, now)?;
        }
        self.out.flush()
    }

    /// The remaining traffic, then the summary line; the log is complete.
    pub fn finish(mut self, model: &Model, summary: &Summary, at: Ts) -> io::Result<PathBuf> {
        self.write_all_traffic(model, at)?;
        writeln!(self.out, "{}", wire::encode_summary(summary, at))?;
        self.out.flush()?;
        Ok(self.path)
    }

    fn write_event(&mut self, model: &Model, event: &Event) -> io::Result<()> {
        let Some(conn) = model.connection(event.conn) else { return Ok(()) };
        match wire::encode_event(event, &conn.name, &conn.url) {
            Some(line) => writeln!(self.out, "{line}"),
            None => Ok(()),
        }
    }

    /// The connection's summed traffic as one delta, stamped `at`.
    fn write_traffic(&mut self, model: &Model, conn: ConnId, at: Ts) -> io::Result<()> {
        let Some(sum) = self.traffic.get_mut(conn.index()).filter(|sum| !sum.is_empty()) else { return Ok(()) };
        let event = Event { at, conn, kind: EventKind::Traffic(std::mem::take(sum)) };
        self.write_event(model, &event)
    }

    fn write_all_traffic(&mut self, model: &Model, at: Ts) -> io::Result<()> {
        for index in 0..self.traffic.len() {
            self.write_traffic(model, ConnId(index as u32), at)?;
        }
        self.traffic_due = None;
        Ok(())
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
    // By stem: `T-prod-2` (the second log of that second) after `T-prod`,
    // where whole names would put `.jsonl` after `-2.jsonl`.
    logs.sort_by(|a, b| b.path.file_stem().cmp(&a.path.file_stem()));
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

    fn traffic(msgs: u64) -> EventKind {
        EventKind::Traffic(Traffic { msgs_in: msgs, bytes_in: msgs * 10, msgs_out: 0, bytes_out: 0 })
    }

    #[test]
    fn traffic_is_summed_and_written_once_a_minute_or_before_a_close() {
        let dir = tempfile::tempdir().unwrap();
        let mut recorder = Recorder::start_in(dir.path(), "t", Ts(0)).unwrap();
        let mut model = Model::default();
        let mut record = |recorder: &mut Recorder, ms: i64, conn: u32, kind: EventKind| {
            let event = Event { at: Ts(ms), conn: ConnId(conn), kind };
            model.apply(&event);
            recorder.record(&model, &event, None).unwrap();
            recorder.flush(&model, Ts(ms)).unwrap();
        };
        for conn in 0..2 {
            record(&mut recorder, 0, conn, EventKind::Added { name: format!("c{conn}"), url: "ws://h/".into() });
        }
        for second in 1..=5 {
            record(&mut recorder, second * 1_000, 0, traffic(1));
            record(&mut recorder, second * 1_000, 1, traffic(2));
        }
        record(&mut recorder, 5_500, 1, EventKind::Rtt { rtt_ms: 0.2 });
        record(&mut recorder, 6_000, 0, EventKind::Removed);
        record(&mut recorder, 61_000, 1, traffic(2));
        let path = recorder.path().to_path_buf();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
        let shown: Vec<(&str, &str, u64)> = lines
            .iter()
            .map(|l| (l["conn"].as_str().unwrap(), l["event"].as_str().unwrap(), l["msgs_in"].as_u64().unwrap_or(0)))
            .collect();
        assert_eq!(shown, [("c1", "rtt", 0), ("c0", "traffic", 5), ("c0", "removed", 0), ("c1", "traffic", 12)]);
        assert_eq!(lines[3]["ts"], "1970-01-01T00:01:01.000Z", "due a minute after the first delta");
    }

    #[test]
    fn two_sessions_in_the_same_second_get_two_files() {
        let dir = tempfile::tempdir().unwrap();
        let first = Recorder::start_in(dir.path(), "prod / eu", Ts(1_795_000_000_000)).unwrap();
        let second = Recorder::start_in(dir.path(), "prod / eu", Ts(1_795_000_000_000)).unwrap();
        assert_eq!(first.path().file_name().unwrap(), "2026-11-18T11-06-40Z-prod-eu.jsonl");
        assert_eq!(second.path().file_name().unwrap(), "2026-11-18T11-06-40Z-prod-eu-2.jsonl");
        let newest_first: Vec<PathBuf> = list(dir.path()).unwrap().into_iter().map(|log| log.path).collect();
        assert_eq!(newest_first, [second.path(), first.path()]);
    }
}
