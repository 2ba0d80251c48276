//! Session logs: every TUI and `watch` session appends its events, as the
//! `watch --json` lines, to a file under `<data dir>/sessions/`, flushed
//! after every batch, so a crash or a closed terminal loses at most the
//! batch in flight (and up to a minute of traffic counts and RTT samples).
//! The summary is the last line. Old logs are pruned by count and size
//! when a session starts. `wsmon replay` reads them back.
//!
//! Two things keep a log small. Traffic deltas and RTT samples are held per
//! connection and written once a minute, and before the connection closes
//! (`pending`): the traffic sums stay exact and the RTT becomes a summary,
//! so a replay ends on the same figures. And every log has a size cap
//! (`cap`): past it, the middle of the log gives way to one line that says
//! what was left out, keeping how the session began and its latest events.

mod cap;
mod files;
mod pending;

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub use files::{LogFile, list, prune, sessions_dir};

use crate::event::{ConnId, Event, EventKind, Ts};
use crate::model::{Model, Summary};
use crate::wire::{self, SessionHeader};
use files::{EXTENSION, file_safe};
use pending::Pending;

/// Logs kept, the new one included.
pub const KEEP_LOGS: usize = 50;
/// Bytes kept over all older logs.
pub const KEEP_BYTES: u64 = 256 << 20;
/// Held traffic and RTT are written at least this often.
pub const PENDING_EVERY_MS: u64 = 60_000;
/// The size cap of one log unless `--log-cap` says otherwise.
pub const DEFAULT_CAP: u64 = 64 << 20;
/// The smallest cap: a quarter of it must hold a good many lines.
pub const MIN_CAP: u64 = 64 << 10;

/// Parse `--log-cap`: a size of at least `MIN_CAP`.
pub fn parse_cap(text: &str) -> Result<u64, String> {
    let size = crate::format::parse_size(text)? as u64;
    if size < MIN_CAP {
        return Err(format!("a session log cap of {} is too small: give at least 64KiB", crate::format::size(size)));
    }
    Ok(size)
}

pub struct Recorder {
    path: PathBuf,
    out: BufWriter<File>,
    /// The file's length, with what is still buffered.
    len: u64,
    cap: u64,
    /// Held back, by connection.
    pending: Vec<Pending>,
    /// When what is held is due, once something is.
    due: Option<Ts>,
}

impl Recorder {
    /// Start a log for a session, after pruning old ones; its first line
    /// is `header`.
    pub fn start(header: &SessionHeader, cap: u64) -> io::Result<Recorder> {
        let dir = sessions_dir().ok_or_else(|| io::Error::other("no data directory (set WSMON_DATA_DIR)"))?;
        Recorder::start_in(&dir, header, Ts::now(), cap)
    }

    pub fn start_in(dir: &Path, header: &SessionHeader, now: Ts, cap: u64) -> io::Result<Recorder> {
        let label = header.label.as_str();
        std::fs::create_dir_all(dir)?;
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
                    let out = writer(file);
                    let mut recorder = Recorder { path, out, len: 0, cap, pending: Vec::new(), due: None };
                    recorder.write_line(&wire::encode_session(header, now))?;
                    return Ok(recorder);
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
        match &event.kind {
            EventKind::Traffic(delta) => {
                self.hold(event).add_traffic(delta);
                return Ok(());
            }
            EventKind::Rtt { rtt_ms } => {
                self.hold(event).add_rtt(*rtt_ms);
                return Ok(());
            }
            // What a session held goes out before its end.
            EventKind::Closed(_) | EventKind::Removed => self.write_pending(model, event.conn, event.at)?,
            _ => {}
        }
        match encoded {
            Some(line) => self.write_line(line),
            None => self.write_event(model, event),
        }
    }

    /// Write out what was queued: after every batch. `now` decides whether
    /// what is held is due. A log past its cap is cut down here.
    pub fn flush(&mut self, model: &Model, now: Ts) -> io::Result<()> {
        if self.due.is_some_and(|due| now >= due) {
            self.write_all_pending(model, now)?;
        }
        self.out.flush()?;
        if self.len > self.cap {
            self.cut_to_cap()?;
        }
        Ok(())
    }

    /// What is held, then the summary line; the log is complete.
    pub fn finish(mut self, model: &Model, summary: &Summary, at: Ts) -> io::Result<PathBuf> {
        self.write_all_pending(model, at)?;
        self.write_line(&wire::encode_summary(summary, at))?;
        self.out.flush()?;
        Ok(self.path)
    }

    /// Room for `additional` more connections (`Model::reserve`).
    pub fn reserve(&mut self, additional: usize) {
        self.pending.reserve_exact(additional);
    }

    fn hold(&mut self, event: &Event) -> &mut Pending {
        let index = event.conn.index();
        if self.pending.len() <= index {
            self.pending.resize_with(index + 1, Pending::default);
        }
        self.due.get_or_insert(event.at.plus_millis(PENDING_EVERY_MS));
        &mut self.pending[index]
    }

    fn write_line(&mut self, line: &str) -> io::Result<()> {
        writeln!(self.out, "{line}")?;
        self.len += line.len() as u64 + 1;
        Ok(())
    }

    fn write_event(&mut self, model: &Model, event: &Event) -> io::Result<()> {
        let Some(conn) = model.connection(event.conn) else { return Ok(()) };
        match wire::encode_event(event, &conn.name, &conn.url) {
            Some(line) => self.write_line(&line),
            None => Ok(()),
        }
    }

    /// What the connection holds, as events stamped `at`.
    fn write_pending(&mut self, model: &Model, conn: ConnId, at: Ts) -> io::Result<()> {
        let Some(pending) = self.pending.get_mut(conn.index()) else { return Ok(()) };
        let held: Vec<EventKind> = pending.take().collect();
        for kind in held {
            self.write_event(model, &Event { at, conn, kind })?;
        }
        Ok(())
    }

    fn write_all_pending(&mut self, model: &Model, at: Ts) -> io::Result<()> {
        for index in 0..self.pending.len() {
            self.write_pending(model, ConnId(index as u32), at)?;
        }
        self.due = None;
        Ok(())
    }

    /// Keep the first and the last quarter of the cap; the file is then
    /// half the cap, so this runs once per half a cap written.
    fn cut_to_cap(&mut self) -> io::Result<()> {
        let (len, _) = cap::compact(&self.path, self.cap / 4, self.cap / 4, self.cap)?;
        self.out = writer(OpenOptions::new().append(true).open(&self.path)?);
        self.len = len;
        Ok(())
    }
}

fn writer(file: File) -> BufWriter<File> {
    BufWriter::with_capacity(64 << 10, file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::close::{Class, Initiator};
    use crate::event::{CloseRecord, Traffic};

    fn header(label: &str) -> SessionHeader {
        SessionHeader { label: label.into(), ..Default::default() }
    }

    fn traffic(msgs: u64) -> EventKind {
        EventKind::Traffic(Traffic { msgs_in: msgs, bytes_in: msgs * 10, msgs_out: 0, bytes_out: 0 })
    }

    fn lines(path: &Path) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(path).unwrap();
        text.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
    }

    struct Session {
        model: Model,
        recorder: Recorder,
        _dir: tempfile::TempDir,
    }

    impl Session {
        fn new(connections: u32, cap: u64) -> Session {
            let dir = tempfile::tempdir().unwrap();
            let recorder = Recorder::start_in(dir.path(), &header("t"), Ts(0), cap).unwrap();
            let mut session = Session { model: Model::default(), recorder, _dir: dir };
            for conn in 0..connections {
                session.record(
                    0,
                    conn,
                    EventKind::Added { name: format!("c{conn}"), url: "ws://h/".into(), group: None, proxy: None },
                );
            }
            session
        }

        /// One event, recorded as `watch --json` does (with its line) and flushed.
        fn record(&mut self, ms: i64, conn: u32, kind: EventKind) {
            let event = Event { at: Ts(ms), conn: ConnId(conn), kind };
            self.model.apply(&event);
            let line = self.model.connection(event.conn).and_then(|c| wire::encode_event(&event, &c.name, &c.url));
            self.recorder.record(&self.model, &event, line.as_deref()).unwrap();
            self.recorder.flush(&self.model, Ts(ms)).unwrap();
        }
    }

    #[test]
    fn traffic_and_rtt_are_held_and_written_once_a_minute_or_before_a_close() {
        let mut session = Session::new(2, DEFAULT_CAP);
        for second in 1..=5 {
            session.record(second * 1_000, 0, traffic(1));
            session.record(second * 1_000, 1, traffic(2));
            session.record(second * 1_000, 1, EventKind::Rtt { rtt_ms: second as f64 / 10.0 });
        }
        session.record(6_000, 0, EventKind::Removed);
        session.record(61_000, 1, traffic(2));
        let lines = lines(session.recorder.path());
        assert_eq!((lines[0]["event"].as_str(), lines[0]["label"].as_str()), (Some("session"), Some("t")));
        let lines = &lines[1..];
        let shown: Vec<(&str, &str, u64)> = lines
            .iter()
            .map(|l| (l["conn"].as_str().unwrap(), l["event"].as_str().unwrap(), l["msgs_in"].as_u64().unwrap_or(0)))
            .collect();
        assert_eq!(
            shown,
            [("c0", "traffic", 5), ("c0", "removed", 0), ("c1", "rtt_summary", 0), ("c1", "traffic", 12)]
        );
        assert_eq!(lines[2]["ts"], "1970-01-01T00:01:01.000Z", "due a minute after the first held event");
        assert_eq!((lines[2]["count"].as_u64(), lines[2]["mean_ms"].as_f64()), (Some(5), Some(0.3)));
        assert_eq!(session.model.connection(ConnId(1)).unwrap().rtt_ms, Some(0.5), "the summary's last sample");
    }

    fn restart(reason: String) -> EventKind {
        EventKind::Closed(CloseRecord {
            code: 1012,
            reason,
            initiator: Initiator::Server,
            class: Class::ServiceRestart,
            cause: None,
            detail: None,
            connected_ms: 1_000,
        })
    }

    /// Past the cap the file shrinks to half of it, keeping the first
    /// events and the newest, with a line that says what went.
    #[test]
    fn a_log_never_passes_its_cap_and_keeps_the_latest_closes() {
        let mut session = Session::new(1, MIN_CAP);
        let mut longest = 0;
        for n in 0..2_000 {
            session.record(n * 1_000, 0, EventKind::Open { handshake_ms: 1, subprotocol: None, via: None });
            session.record(n * 1_000 + 500, 0, restart(format!("deploy {n}")));
            longest = longest.max(std::fs::metadata(session.recorder.path()).unwrap().len());
        }
        assert!(longest <= MIN_CAP, "{longest} bytes on disk, cap {MIN_CAP}");
        let lines = lines(session.recorder.path());
        assert_eq!(lines[0]["event"], "session", "the header stays");
        assert_eq!(lines[2]["reason"], "deploy 0", "the session's start stays");
        assert_eq!(lines.last().unwrap()["reason"], "deploy 1999", "the latest close stays");
        let gaps: Vec<&serde_json::Value> = lines.iter().filter(|l| l["event"] == "log_gap").collect();
        assert_eq!(gaps.len(), 1, "one gap, merged");
        let kept = lines.iter().filter(|l| l["event"] == "closed" || l["event"] == "open").count() as u64;
        assert_eq!(kept + gaps[0]["lines"].as_u64().unwrap(), 4_000, "every line is kept or counted");
        assert_eq!(gaps[0]["cap_bytes"], MIN_CAP);
    }

    #[test]
    fn two_sessions_in_the_same_second_get_two_files() {
        let dir = tempfile::tempdir().unwrap();
        let first = Recorder::start_in(dir.path(), &header("prod / eu"), Ts(1_795_000_000_000), DEFAULT_CAP).unwrap();
        let second = Recorder::start_in(dir.path(), &header("prod / eu"), Ts(1_795_000_000_000), DEFAULT_CAP).unwrap();
        assert_eq!(first.path().file_name().unwrap(), "2026-11-18T11-06-40Z-prod-eu.jsonl");
        assert_eq!(second.path().file_name().unwrap(), "2026-11-18T11-06-40Z-prod-eu-2.jsonl");
        let newest_first: Vec<PathBuf> = list(dir.path()).unwrap().into_iter().map(|log| log.path).collect();
        assert_eq!(newest_first, [second.path(), first.path()]);
    }

    #[test]
    fn caps_below_the_minimum_are_refused_with_the_fix() {
        assert_eq!(parse_cap("64MiB"), Ok(64 << 20));
        let error = parse_cap("10KiB").unwrap_err();
        assert!(error.contains("at least 64KiB"), "{error}");
    }
}
