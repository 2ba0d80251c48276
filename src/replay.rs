//! Reading a recorded session back: each line of a JSON Lines log (a
//! session log or `watch --json` output) is decoded and handed on as
//! events, so the model replays it. A line that does not decode (a log cut
//! off mid-line by a crash, a stray line) is skipped and reported with its
//! number; the rest still replays. What a session log leaves out by design
//! (RTT samples, summarised per minute; the middle of a log that reached
//! its cap) is counted, so a replay can say so.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use crate::event::{Event, EventKind, Ts};
use crate::format::{clock_ms, size};
use crate::lang::Lang;
use crate::wire::{Decoded, LogGap, Replayer, SessionHeader};

/// A line longer than this is not a wsmon event: skipped without being
/// held whole in memory.
pub const LONGEST_LINE: usize = 1 << 20;

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
    /// The first `KEPT_SKIPPED` lines skipped: a stream followed for days
    /// may skip millions, each quoting up to a MiB of someone's text.
    pub skipped: Vec<Skipped>,
    /// Every line skipped.
    pub skipped_lines: usize,
    /// What a capped log left out.
    pub gap: Option<LogGap>,
    /// RTT summaries read (a session log's stand-in for every ping).
    pub rtt_summaries: u64,
    /// What the session was called, from a session log's first line.
    pub label: Option<String>,
}

impl Replayed {
    /// What the replayed figures do not hold, for a person, in `lang`
    /// (a Markdown report's notes; docs/ARCHITECTURE.md, "Languages").
    pub fn left_out(&self, lang: Lang) -> Vec<String> {
        let mut notes: Vec<String> = self.gap.iter().map(|gap| gap_note(gap, lang)).collect();
        if self.rtt_summaries > 0 {
            notes.push(
                lang.pick(
                    "RTT was logged as one summary per connection and minute, not every ping",
                    "RTT は ping ごとではなく、接続ごとに 1 分単位の要約として記録されています",
                )
                .into(),
            );
        }
        notes
    }
}

/// What a capped log's gap leaves out, for a person, in `lang`.
pub fn gap_note(gap: &LogGap, lang: Lang) -> String {
    let (cap, lines, bytes) = (size(gap.cap_bytes), gap.lines, size(gap.bytes));
    let (from, to) = (clock_ms(gap.from), clock_ms(gap.to));
    match lang {
        Lang::En => format!(
            "the log reached its {cap} cap: {lines} lines ({bytes}) from {from} to {to} were left out, so the figures cover the rest"
        ),
        Lang::Ja => format!(
            "ログが上限 {cap} に達したため、{from} から {to} までの {lines} 行 ({bytes}) が省かれています。数値はそれ以外の部分のものです"
        ),
    }
}

/// What one line of a log is, read back: owned, so a follower can send it
/// across threads (`follow`).
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A session log's first line.
    Header(SessionHeader),
    /// The events of one line (an `Added` first when the name is new).
    Events(Vec<Event>),
    /// A summary line: the session ended at this time.
    Summary(Ts),
    /// Lines a capped log left out here.
    Gap(LogGap),
    /// A line that is not a wsmon event.
    Skipped(Skipped),
}

impl Replayed {
    /// Count what `item` says: `read_from` and a followed stream keep the
    /// same tally this way.
    pub fn count(&mut self, item: &Item) {
        match item {
            Item::Header(header) => self.label = Some(header.label.clone()),
            Item::Events(events) => {
                self.rtt_summaries +=
                    events.iter().filter(|event| matches!(event.kind, EventKind::RttSummary(_))).count() as u64;
                self.events += 1;
                self.end = events.last().map(|event| event.at).max(self.end);
            }
            // The summary is recomputed from the events; its time ends the span.
            Item::Summary(at) => self.end = Some(*at),
            Item::Gap(gap) => self.gap = Some(self.gap.map_or(*gap, |earlier| earlier.merge(*gap))),
            Item::Skipped(skipped) => {
                self.skipped_lines += 1;
                if self.skipped.len() < KEPT_SKIPPED {
                    self.skipped.push(skipped.clone());
                }
            }
        }
    }
}

/// How many skipped lines are kept with their reasons (`Replayed::skipped`).
pub const KEPT_SKIPPED: usize = 10;
/// A skipped line's reason quotes the line: this many characters of it.
const REASON_CHARS: usize = 200;

/// Decodes a log one line at a time, numbering the lines and giving each
/// connection name its id (`Replayer`).
#[derive(Debug, Default)]
pub struct Decoder {
    replayer: Replayer,
    /// Lines handed in so far.
    lines: usize,
    /// A header or an event line came: a header now would be a second one.
    started: bool,
}

impl Decoder {
    /// One line, without its newline; `complete`: false for the last line
    /// of a log that ends mid-line. None for a blank line.
    pub fn line(&mut self, bytes: &[u8], complete: bool) -> Option<Item> {
        self.lines += 1;
        let text = String::from_utf8_lossy(bytes);
        if text.trim().is_empty() {
            return None;
        }
        let line = self.lines;
        let skipped = |reason: String| {
            let reason = match reason.char_indices().nth(REASON_CHARS) {
                Some((cut, _)) => format!("{}…", &reason[..cut]),
                None => reason,
            };
            Some(Item::Skipped(Skipped { line, reason }))
        };
        match self.replayer.decode(text.trim_end()) {
            Ok(Decoded::Events(events)) => {
                self.started = true;
                Some(Item::Events(events))
            }
            Ok(Decoded::Summary { at, .. }) => Some(Item::Summary(at)),
            // A session's first line; another one later (logs joined with
            // `cat`) would start a second model midway: skipped.
            Ok(Decoded::Session(header)) if !self.started => {
                self.started = true;
                self.replayer.adopt(&header);
                Some(Item::Header(header))
            }
            Ok(Decoded::Session(_)) => skipped("a second session header: logs joined?".into()),
            Ok(Decoded::Gap(gap)) => Some(Item::Gap(gap)),
            Err(error) => {
                let cut = if complete { "" } else { " (the log ends mid-line)" };
                skipped(format!("{error}{cut}"))
            }
        }
    }

    /// A line longer than `LONGEST_LINE`, skipped unread.
    pub fn overlong(&mut self) -> Item {
        self.lines += 1;
        Item::Skipped(Skipped { line: self.lines, reason: "longer than 1 MiB: not a wsmon event".into() })
    }
}

/// Read `path`, handing every item to `each` in order.
pub fn read(path: &Path, each: impl FnMut(&Item)) -> io::Result<Replayed> {
    read_from(BufReader::new(File::open(path)?), each)
}

pub fn read_from(mut input: impl BufRead, mut each: impl FnMut(&Item)) -> io::Result<Replayed> {
    let mut decoder = Decoder::default();
    let mut replayed = Replayed::default();
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        let read = input.by_ref().take(LONGEST_LINE as u64 + 1).read_until(b'\n', &mut bytes)?;
        if read == 0 {
            break;
        }
        let complete = bytes.last() == Some(&b'\n');
        let item = if !complete && bytes.len() > LONGEST_LINE {
            skip_rest_of_line(&mut input)?;
            Some(decoder.overlong())
        } else {
            decoder.line(&bytes, complete)
        };
        if let Some(item) = item {
            replayed.count(&item);
            each(&item);
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
        let replayed = read_from(text, |item| {
            if let Item::Events(events) = item {
                events.iter().for_each(|event| model.apply(event))
            }
        })
        .unwrap();
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

    /// A stream of junk is counted, not kept: the first few lines with
    /// their reasons cut short, and how many there were.
    #[test]
    fn skipped_lines_are_counted_and_only_the_first_few_kept_short() {
        let junk =
            format!("{{\"ts\":\"{}\",\"conn\":\"a\",\"url\":\"u\",\"event\":\"paused\"}}\n", "9".repeat(500_000));
        let log = format!("{OPEN}\n{}{CLOSED}\n", junk.repeat(40));
        let (model, replayed) = replay(log.as_bytes());
        assert_eq!(model.totals().closes, 1);
        assert_eq!((replayed.skipped_lines, replayed.skipped.len()), (40, KEPT_SKIPPED));
        assert_eq!(replayed.skipped[0].line, 2);
        let longest = replayed.skipped.iter().map(|skipped| skipped.reason.chars().count()).max().unwrap();
        assert!(longest <= REASON_CHARS + 1, "a reason of {longest} characters");
        assert!(replayed.skipped[0].reason.ends_with('…'), "the reason quoted the line and was cut");
    }

    #[test]
    fn a_replay_says_what_the_log_left_out() {
        let gap = LogGap { from: Ts(1_000), to: Ts(61_000), lines: 1_200, bytes: 3 << 20, cap_bytes: 64 << 20 };
        let summary = r#"{"ts":"2026-11-24T10:00:09.000Z","conn":"api-1","url":"ws://127.0.0.1:9/","event":"rtt_summary","count":4,"min_ms":0.2,"mean_ms":0.3,"max_ms":0.5,"last_ms":0.25}"#;
        let log = format!("{OPEN}\n{}\n{summary}\n{CLOSED}\n", crate::wire::encode_gap(&gap));
        let (model, replayed) = replay(log.as_bytes());
        assert_eq!((replayed.gap, replayed.rtt_summaries, replayed.events), (Some(gap), 1, 3));
        assert_eq!(model.totals().closes, 1);
        let notes = replayed.left_out(Lang::En);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("64.0 MiB cap: 1200 lines (3.0 MiB)"), "{notes:?}");
        assert!(notes[1].contains("one summary per connection and minute"), "{notes:?}");
        let notes = replayed.left_out(Lang::Ja);
        assert!(notes[0].contains("上限 64.0 MiB") && notes[0].contains("1200 行 (3.0 MiB)"), "{notes:?}");
        assert!(notes[1].contains("1 分単位の要約"), "{notes:?}");
        assert!(
            replay(format!("{OPEN}\n{CLOSED}\n").as_bytes()).1.left_out(Lang::En).is_empty(),
            "a whole log leaves nothing out"
        );
    }

    /// Two logs joined with `cat`: the second header would empty the model
    /// midway; it is skipped, by number, and every event still counts.
    #[test]
    fn a_second_session_header_is_skipped() {
        let header = crate::wire::SessionHeader { label: "a".into(), ..Default::default() };
        let line = crate::wire::encode_session(&header, Ts(0));
        // The second one names a service for a connection that comes later: ignored too.
        let groups = [("b".to_string(), "payments".to_string())].into();
        let second = crate::wire::encode_session(&crate::wire::SessionHeader { groups, ..header }, Ts(0));
        let later = OPEN.replace("api-1", "b");
        let log = format!("{line}\n{OPEN}\n{second}\n{CLOSED}\n{later}\n");
        let (model, replayed) = replay(log.as_bytes());
        assert_eq!((replayed.events, model.totals().closes, model.connections().len()), (3, 1, 2));
        assert_eq!(replayed.skipped.iter().map(|skipped| skipped.line).collect::<Vec<_>>(), [3]);
        assert_eq!(replayed.label.as_deref(), Some("a"));
        let b = &model.connections()[1];
        assert_ne!(model.groups().name(b.group), "payments", "the skipped header changed nothing");
    }
}
