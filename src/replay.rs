//! Reading a recorded session back: each line of a JSON Lines log (a
//! session log or `watch --json` output) is decoded and handed on as
//! events, so the model replays it. A line that does not decode (a log cut
//! off mid-line by a crash, a stray line) is skipped and reported with its
//! number; the rest still replays.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use crate::event::{Event, Ts};
use crate::wire::{Decoded, Replayer};

/// A line longer than this is not a wsmon event: skipped without being
/// held whole in memory.
const LONGEST_LINE: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// 1-based.
    pub line: usize,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Replayed {
    pub events: usize,
    /// The time the figures are taken at: the summary line's, else the
    /// last event's.
    pub end: Option<Ts>,
    pub skipped: Vec<Skipped>,
}

/// Read `path`, handing every event to `each` in order.
pub fn read(path: &Path, each: impl FnMut(&Event)) -> io::Result<Replayed> {
    read_from(BufReader::new(File::open(path)?), each)
}

pub fn read_from(mut input: impl BufRead, mut each: impl FnMut(&Event)) -> io::Result<Replayed> {
    let mut replayer = Replayer::default();
    let mut replayed = Replayed::default();
    let mut bytes = Vec::new();
    for number in 1.. {
        bytes.clear();
        let read = input.by_ref().take(LONGEST_LINE as u64 + 1).read_until(b'\n', &mut bytes)?;
        if read == 0 {
            break;
        }
        let complete = bytes.last() == Some(&b'\n');
        if !complete && bytes.len() > LONGEST_LINE {
            replayed.skipped.push(Skipped { line: number, reason: "longer than 1 MiB: not a wsmon event".into() });
            skip_rest_of_line(&mut input)?;
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        if text.trim().is_empty() {
            continue;
        }
        match replayer.decode(text.trim_end()) {
            Ok(Decoded::Events(events)) => {
                for event in &events {
                    each(event);
                }
                replayed.events += 1;
                replayed.end = events.last().map(|event| event.at).max(replayed.end);
            }
            // The summary is recomputed from the events; its time ends the span.
            Ok(Decoded::Summary { at, .. }) => replayed.end = Some(at),
            Err(error) => {
                let cut = if complete { "" } else { " (the log ends mid-line)" };
                replayed.skipped.push(Skipped { line: number, reason: format!("{error}{cut}") });
            }
        }
    }
    Ok(replayed)
}

fn skip_rest_of_line(input: &mut impl BufRead) -> io::Result<()> {
    loop {
        let buffer = input.fill_buf()?;
        if buffer.is_empty() {
            return Ok(());
        }
        match buffer.iter().position(|byte| *byte == b'\n') {
            Some(at) => {
                input.consume(at + 1);
                return Ok(());
            }
            None => {
                let all = buffer.len();
                input.consume(all);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;

    const OPEN: &str = r#"{"ts":"2026-11-24T10:00:00.000Z","conn":"api-1","url":"ws://127.0.0.1:9/","event":"open","handshake_ms":1,"subprotocol":null}"#;
    const CLOSED: &str = r#"{"ts":"2026-11-24T10:00:05.000Z","conn":"api-1","url":"ws://127.0.0.1:9/","event":"closed","code":1012,"reason":"deploy","initiator":"server","class":"service_restart","cause":null,"detail":null,"connected_ms":5000}"#;

    fn replay(text: &[u8]) -> (Model, Replayed) {
        let mut model = Model::default();
        let replayed = read_from(text, |event| model.apply(event)).unwrap();
        (model, replayed)
    }

    #[test]
    fn a_log_cut_mid_line_replays_all_but_the_broken_line() {
        let log = format!("{OPEN}\n{CLOSED}\n{}", &OPEN[..40]);
        let (model, replayed) = replay(log.as_bytes());
        assert_eq!(replayed.events, 2);
        assert_eq!(model.totals().closes, 1);
        assert_eq!(replayed.skipped.len(), 1);
        assert_eq!(replayed.skipped[0].line, 3);
        assert!(replayed.skipped[0].reason.contains("ends mid-line"), "{:?}", replayed.skipped);
        assert_eq!(replayed.end, Some(Ts::from_datetime("2026-11-24T10:00:05Z".parse().unwrap())));
    }

    #[test]
    fn garbage_lines_and_overlong_lines_are_skipped_by_number() {
        let long = "x".repeat(LONGEST_LINE + 10);
        let log = format!("{OPEN}\nnot json\n\n{long}\n\u{fffd}\u{1b}[2J\n{CLOSED}\n");
        let (model, replayed) = replay(log.as_bytes());
        assert_eq!(model.totals().closes, 1);
        let lines: Vec<usize> = replayed.skipped.iter().map(|skipped| skipped.line).collect();
        assert_eq!(lines, [2, 4, 5]);
        assert!(replayed.skipped[1].reason.contains("1 MiB"));
    }
}
