//! The JSON Lines contract of `watch --json` (docs/ARCHITECTURE.md, "The event
//! contract"): one object per line with `ts`, `conn`, `url`, `event` and the
//! event's fields. This is a public interface: scripts parse it and the
//! replayer reads it back, so fields are only ever added.
//!
//! Text from the network is escaped beyond what JSON requires: DEL, C1 and
//! bidirectional overrides are written as `\u00XX` escapes too, so a log
//! printed to a terminal cannot drive it.

use std::collections::{BTreeMap, HashMap};
use std::io;

use chrono::DateTime;
use serde::{Deserialize, Serialize};
use serde_json::ser::Formatter;

use crate::close::{Cause, Class, Initiator, Stage};
use crate::event::{CloseRecord, ConnId, Event, EventKind, HandshakeFailure, RttSummary, Traffic, Ts, Via};
use crate::model::{Summary, WaveRules};
use crate::text::is_hostile;

/// What `conn` and `url` say on the summary line, which is about all.
pub const SUMMARY_CONN: &str = "*";

#[derive(Serialize, Deserialize)]
struct Line {
    ts: String,
    conn: String,
    url: String,
    #[serde(flatten)]
    body: Body,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Body {
    Connecting {
        attempt: u32,
    },
    Open {
        handshake_ms: u64,
        subprotocol: Option<String>,
        /// The proxy it went through (password as `***`); absent: direct.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proxy: Option<String>,
        /// Part of `handshake_ms`: until the proxy's tunnel was up.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proxy_ms: Option<u64>,
    },
    Closed {
        code: u16,
        reason: String,
        initiator: Initiator,
        class: Class,
        cause: Option<Cause>,
        detail: Option<String>,
        connected_ms: u64,
    },
    HandshakeFailed {
        stage: Stage,
        http_status: Option<u16>,
        detail: String,
        class: Class,
    },
    ReconnectScheduled {
        delay_ms: u64,
        attempt: u32,
        rule: String,
        #[serde(default)]
        attention: Option<bool>,
    },
    ReconnectOff {
        rule: String,
    },
    Paused,
    Resumed,
    Removed,
    Rtt {
        rtt_ms: f64,
    },
    /// Session logs only: the RTT samples of up to a minute.
    RttSummary {
        count: u32,
        min_ms: f64,
        mean_ms: f64,
        max_ms: f64,
        last_ms: f64,
    },
    /// Session logs only, the first line: what the session was and the
    /// rules its figures were made with, so a replay makes the same ones.
    Session {
        label: String,
        wave_quiet_ms: u64,
        wave_ceiling_ms: u64,
        /// Connection → the service a profile put it in (others go by endpoint).
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        groups: BTreeMap<String, String>,
        /// `--shard K/N`: the part of a profile the session watched.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shard: Option<String>,
        /// Connection → the proxy it goes through (password as `***`).
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        proxies: BTreeMap<String, String>,
    },
    /// Session logs only: lines a capped log left out (see `recording`).
    LogGap {
        from: String,
        lines: u64,
        bytes: u64,
        cap_bytes: u64,
    },
    Traffic {
        msgs_in: u64,
        bytes_in: u64,
        msgs_out: u64,
        bytes_out: u64,
    },
    Silent {
        silent_ms: u64,
    },
    SilenceEnded {
        silent_ms: u64,
    },
    Summary(Box<Summary>),
}

impl Body {
    /// None for `Added`, which the contract does not print.
    fn of(kind: &EventKind) -> Option<Body> {
        Some(match kind.clone() {
            EventKind::Added { .. } => return None,
            EventKind::Connecting { attempt } => Body::Connecting { attempt },
            EventKind::Open { handshake_ms, subprotocol, via } => {
                let (proxy, proxy_ms) = via.map_or((None, None), |via| (Some(via.proxy), Some(via.tunnel_ms)));
                Body::Open { handshake_ms, subprotocol, proxy, proxy_ms }
            }
            EventKind::Closed(CloseRecord { code, reason, initiator, class, cause, detail, connected_ms }) => {
                Body::Closed { code, reason, initiator, class, cause, detail, connected_ms }
            }
            EventKind::HandshakeFailed(HandshakeFailure { stage, http_status, detail }) => {
                Body::HandshakeFailed { stage, http_status, detail, class: Class::Handshake }
            }
            EventKind::ReconnectScheduled { delay_ms, attempt, rule, attention } => {
                Body::ReconnectScheduled { delay_ms, attempt, rule, attention }
            }
            EventKind::ReconnectOff { rule } => Body::ReconnectOff { rule },
            EventKind::Paused => Body::Paused,
            EventKind::Resumed => Body::Resumed,
            EventKind::Removed => Body::Removed,
            EventKind::Rtt { rtt_ms } => Body::Rtt { rtt_ms },
            EventKind::RttSummary(RttSummary { count, min_ms, mean_ms, max_ms, last_ms }) => {
                Body::RttSummary { count, min_ms, mean_ms, max_ms, last_ms }
            }
            EventKind::Traffic(Traffic { msgs_in, bytes_in, msgs_out, bytes_out }) => {
                Body::Traffic { msgs_in, bytes_in, msgs_out, bytes_out }
            }
            EventKind::Silent { silent_ms } => Body::Silent { silent_ms },
            EventKind::SilenceEnded { silent_ms } => Body::SilenceEnded { silent_ms },
        })
    }

    fn into_kind(self) -> Option<EventKind> {
        Some(match self {
            Body::Connecting { attempt } => EventKind::Connecting { attempt },
            Body::Open { handshake_ms, subprotocol, proxy, proxy_ms } => {
                let via = proxy.map(|proxy| Via { proxy, tunnel_ms: proxy_ms.unwrap_or_default() });
                EventKind::Open { handshake_ms, subprotocol, via }
            }
            Body::Closed { code, reason, initiator, class, cause, detail, connected_ms } => {
                EventKind::Closed(CloseRecord { code, reason, initiator, class, cause, detail, connected_ms })
            }
            Body::HandshakeFailed { stage, http_status, detail, .. } => {
                EventKind::HandshakeFailed(HandshakeFailure { stage, http_status, detail })
            }
            Body::ReconnectScheduled { delay_ms, attempt, rule, attention } => {
                EventKind::ReconnectScheduled { delay_ms, attempt, rule, attention }
            }
            Body::ReconnectOff { rule } => EventKind::ReconnectOff { rule },
            Body::Paused => EventKind::Paused,
            Body::Resumed => EventKind::Resumed,
            Body::Removed => EventKind::Removed,
            Body::Rtt { rtt_ms } => EventKind::Rtt { rtt_ms },
            Body::RttSummary { count, min_ms, mean_ms, max_ms, last_ms } => {
                EventKind::RttSummary(RttSummary { count, min_ms, mean_ms, max_ms, last_ms })
            }
            Body::Traffic { msgs_in, bytes_in, msgs_out, bytes_out } => {
                EventKind::Traffic(Traffic { msgs_in, bytes_in, msgs_out, bytes_out })
            }
            Body::Silent { silent_ms } => EventKind::Silent { silent_ms },
            Body::SilenceEnded { silent_ms } => EventKind::SilenceEnded { silent_ms },
            Body::Summary(_) | Body::LogGap { .. } | Body::Session { .. } => return None,
        })
    }
}

/// One event as a JSON line (no newline), or None for internal events.
pub fn encode_event(event: &Event, conn: &str, url: &str) -> Option<String> {
    let body = Body::of(&event.kind)?;
    Some(encode(&Line { ts: event.at.rfc3339(), conn: conn.into(), url: url.into(), body }))
}

/// The summary line, the last one `watch --json` prints.
pub fn encode_summary(summary: &Summary, at: Ts) -> String {
    let body = Body::Summary(Box::new(summary.clone()));
    encode(&Line { ts: at.rfc3339(), conn: SUMMARY_CONN.into(), url: SUMMARY_CONN.into(), body })
}

/// Lines a session log left out when it reached its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogGap {
    /// The first and the last line left out.
    pub from: Ts,
    pub to: Ts,
    pub lines: u64,
    pub bytes: u64,
    pub cap_bytes: u64,
}

impl LogGap {
    /// This gap and a later one as one.
    pub fn merge(self, later: LogGap) -> LogGap {
        LogGap {
            from: self.from.min(later.from),
            to: self.to.max(later.to),
            lines: self.lines.saturating_add(later.lines),
            bytes: self.bytes.saturating_add(later.bytes),
            cap_bytes: later.cap_bytes,
        }
    }
}

/// The line that stands where a capped log left lines out; its `ts` is the
/// last one left out.
pub fn encode_gap(gap: &LogGap) -> String {
    let LogGap { from, to, lines, bytes, cap_bytes } = *gap;
    let body = Body::LogGap { from: from.rfc3339(), lines, bytes, cap_bytes };
    encode(&Line { ts: to.rfc3339(), conn: SUMMARY_CONN.into(), url: SUMMARY_CONN.into(), body })
}

/// What a session log says of its session in its first line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionHeader {
    pub label: String,
    pub waves: WaveRules,
    /// Connection → the service a profile put it in.
    pub groups: BTreeMap<String, String>,
    /// "2/3" with `--shard 2/3`.
    pub shard: Option<String>,
    /// Connection → the proxy it goes through (password as `***`).
    pub proxies: BTreeMap<String, String>,
}

/// A session log's first line.
pub fn encode_session(header: &SessionHeader, at: Ts) -> String {
    let WaveRules { quiet_ms, ceiling_ms } = header.waves;
    let body = Body::Session {
        label: header.label.clone(),
        wave_quiet_ms: quiet_ms,
        wave_ceiling_ms: ceiling_ms,
        groups: header.groups.clone(),
        shard: header.shard.clone(),
        proxies: header.proxies.clone(),
    };
    encode(&Line { ts: at.rfc3339(), conn: SUMMARY_CONN.into(), url: SUMMARY_CONN.into(), body })
}

/// The `ts` of a line, without decoding the rest of it.
pub fn line_time(text: &str) -> Option<Ts> {
    #[derive(Deserialize)]
    struct Stamp {
        ts: String,
    }
    let stamp: Stamp = serde_json::from_str(text).ok()?;
    parse_ts(&stamp.ts).ok()
}

fn parse_ts(text: &str) -> Result<Ts, DecodeError> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| Ts::from_datetime(at.to_utc()))
        .map_err(|_| DecodeError::Timestamp(text.to_string()))
}

fn encode(line: &Line) -> String {
    let mut out = Vec::with_capacity(256);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, TerminalSafe);
    line.serialize(&mut serializer).expect("events always serialize");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// JSON's own escapes, plus `\u009b`-style escapes for what a terminal might act on;
/// otherwise the default (compact) formatting.
struct TerminalSafe;

impl Formatter for TerminalSafe {
    fn write_string_fragment<W: ?Sized + io::Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        let mut rest = fragment;
        while let Some(at) = rest.find(is_hostile) {
            writer.write_all(&rest.as_bytes()[..at])?;
            let c = rest[at..].chars().next().expect("found a char here");
            write_json_escape(writer, c)?;
            rest = &rest[at + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }
}

/// `c` as JSON's four-hex-digit `\u` escape, a surrogate pair beyond U+FFFF (tag characters).
fn write_json_escape<W: ?Sized + io::Write>(writer: &mut W, c: char) -> io::Result<()> {
    for unit in c.encode_utf16(&mut [0; 2]) {
        write!(writer, "\\u{unit:04x}")?;
    }
    Ok(())
}

/// Pretty JSON (reports) with the same escapes as every event line.
/// serde_json already escapes C0 inside strings and writes only ASCII
/// punctuation, spaces and newlines outside them, so any other hostile
/// character in its output is inside a string.
pub fn pretty(value: &impl Serialize) -> String {
    let text = serde_json::to_string_pretty(value).expect("wsmon's values always serialize");
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        if c != '\n' && is_hostile(c) {
            write_json_escape(&mut out, c).expect("writing to memory");
        } else {
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        }
    }
    String::from_utf8(out).expect("escapes are ASCII")
}

/// One line of a log, read back.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// The events of the line: an `Added` first when the name is new.
    Events(Vec<Event>),
    Summary {
        at: Ts,
        summary: Box<Summary>,
    },
    /// Lines a capped session log left out here.
    Gap(LogGap),
    /// A session log's first line.
    Session(SessionHeader),
}

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("not a wsmon event: {0}")]
    Json(#[from] serde_json::Error),
    #[error("bad timestamp '{0}': expected RFC 3339, e.g. 2026-11-24T12:03:04.114Z")]
    Timestamp(String),
}

/// Reads a log back into events, giving each connection name an id the
/// way the engine would have.
#[derive(Debug, Default)]
pub struct Replayer {
    ids: HashMap<String, ConnId>,
    /// From a session log's first line: connection → its profile's service.
    groups: BTreeMap<String, String>,
    /// From a session log's first line: connection → its proxy.
    proxies: BTreeMap<String, String>,
}

impl Replayer {
    /// The session's first line: the connections it names are added to
    /// their services, with their proxies. Only the reader knows whether a
    /// header is the first (a second one is skipped, and must change nothing).
    pub fn adopt(&mut self, header: &SessionHeader) {
        self.groups = header.groups.clone();
        self.proxies = header.proxies.clone();
    }

    pub fn decode(&mut self, text: &str) -> Result<Decoded, DecodeError> {
        let line: Line = serde_json::from_str(text)?;
        let at = parse_ts(&line.ts)?;
        let kind = match line.body {
            Body::Summary(summary) => return Ok(Decoded::Summary { at, summary }),
            Body::Session { label, wave_quiet_ms, wave_ceiling_ms, groups, shard, proxies } => {
                let waves = WaveRules { quiet_ms: wave_quiet_ms, ceiling_ms: wave_ceiling_ms };
                return Ok(Decoded::Session(SessionHeader { label, waves, groups, shard, proxies }));
            }
            Body::LogGap { from, lines, bytes, cap_bytes } => {
                return Ok(Decoded::Gap(LogGap { from: parse_ts(&from)?, to: at, lines, bytes, cap_bytes }));
            }
            body => body.into_kind().expect("only the summary has no event kind"),
        };
        let mut events = Vec::with_capacity(2);
        let next = ConnId(self.ids.len() as u32);
        let conn = *self.ids.entry(line.conn.clone()).or_insert_with(|| {
            let group = self.groups.get(&line.conn).cloned();
            let proxy = self.proxies.get(&line.conn).cloned();
            events.push(Event {
                at,
                conn: next,
                kind: EventKind::Added { name: line.conn.clone(), url: line.url, group, proxy },
            });
            next
        });
        events.push(Event { at, conn, kind });
        Ok(Decoded::Events(events))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;

    fn closed(reason: &str) -> Event {
        Event {
            at: Ts(1_795_000_000_123),
            conn: ConnId(0),
            kind: EventKind::Closed(CloseRecord {
                code: 1012,
                reason: reason.into(),
                initiator: Initiator::Server,
                class: Class::ServiceRestart,
                cause: None,
                detail: None,
                connected_ms: 302_000,
            }),
        }
    }

    #[test]
    fn a_close_prints_every_contract_field() {
        let line = encode_event(&closed("restart"), "api-1", "ws://127.0.0.1:9000/").unwrap();
        assert_eq!(
            line,
            r#"{"ts":"2026-11-18T11:06:40.123Z","conn":"api-1","url":"ws://127.0.0.1:9000/","event":"closed","code":1012,"reason":"restart","initiator":"server","class":"service_restart","cause":null,"detail":null,"connected_ms":302000}"#
        );
    }

    #[test]
    fn handshake_failures_carry_the_handshake_class() {
        let event = Event {
            at: Ts(0),
            conn: ConnId(0),
            kind: EventKind::HandshakeFailed(HandshakeFailure {
                stage: Stage::Http,
                http_status: Some(404),
                detail: "HTTP 404 Not Found".into(),
            }),
        };
        let line = encode_event(&event, "a", "ws://h/").unwrap();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["event"], "handshake_failed");
        assert_eq!(value["class"], "handshake");
        assert_eq!(value["stage"], "http");
        assert_eq!(value["http_status"], 404);
    }

    /// Tag characters lie beyond U+FFFF: JSON writes them as a surrogate pair.
    #[test]
    fn invisible_characters_are_escaped_and_decode_back() {
        let reason = "a\u{200b}\u{2028}\u{feff}\u{e0041}\u{ad}\u{2060}\u{fff9}\u{3164}b";
        let line = encode_event(&closed(reason), "a", "ws://h/").unwrap();
        assert!(line.contains(r#""reason":"a\u200b\u2028\ufeff\udb40\udc41\u00ad\u2060\ufff9\u3164b""#), "{line}");
        let decoded: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(decoded["reason"], reason);
    }

    #[test]
    fn pretty_json_escapes_like_the_event_lines() {
        let value = serde_json::json!({ "name": "x\u{1b}]0;pwned\u{7}\u{202e}\u{e0001}", "list": [1, 2] });
        let text = pretty(&value);
        assert!(!text.chars().any(|c| c != '\n' && is_hostile(c)), "{text}");
        assert!(text.contains("\n  \"list\""), "still pretty: {text}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), value);
    }

    #[test]
    fn hostile_text_is_escaped_beyond_json() {
        let line = encode_event(&closed("\u{1b}[2J\u{9b}1m\u{7f}\u{202e}x"), "a", "ws://h/").unwrap();
        assert!(line.contains(r#""reason":"\u001b[2J\u009b1m\u007f\u202ex""#), "{line}");
        assert!(!line.chars().any(is_hostile));
        let mut replayer = Replayer::default();
        let Decoded::Events(events) = replayer.decode(&line).unwrap() else { panic!("an event line") };
        let EventKind::Closed(record) = &events[1].kind else { panic!("a close") };
        assert_eq!(record.reason, "\u{1b}[2J\u{9b}1m\u{7f}\u{202e}x", "escapes decode to the original text");
    }

    #[test]
    fn every_event_kind_survives_a_round_trip() {
        let kinds = [
            EventKind::Connecting { attempt: 2 },
            EventKind::Open { handshake_ms: 12, subprotocol: Some("graphql-ws".into()), via: None },
            closed("bye").kind,
            EventKind::HandshakeFailed(HandshakeFailure { stage: Stage::Tcp, http_status: None, detail: "x".into() }),
            EventKind::ReconnectScheduled {
                delay_ms: 2_300,
                attempt: 1,
                rule: "restart".into(),
                attention: Some(false),
            },
            EventKind::ReconnectOff { rule: "1002".into() },
            EventKind::Paused,
            EventKind::Resumed,
            EventKind::Removed,
            EventKind::Rtt { rtt_ms: 0.412 },
            EventKind::RttSummary(RttSummary { count: 4, min_ms: 0.2, mean_ms: 0.35, max_ms: 0.6, last_ms: 0.3 }),
            EventKind::Traffic(Traffic { msgs_in: 1, bytes_in: 2, msgs_out: 3, bytes_out: 4 }),
        ];
        let mut replayer = Replayer::default();
        for (i, kind) in kinds.into_iter().enumerate() {
            let event = Event { at: Ts(1_000 + i as i64), conn: ConnId(0), kind };
            let line = encode_event(&event, "api-1", "ws://h/").unwrap();
            let Decoded::Events(events) = replayer.decode(&line).unwrap() else { panic!("an event line") };
            assert_eq!(events.last(), Some(&event), "{line}");
            assert_eq!(events.len(), if i == 0 { 2 } else { 1 }, "Added only for a new name");
        }
    }

    #[test]
    fn the_summary_line_round_trips() {
        let mut model = Model::default();
        model.apply(&Event {
            at: Ts(0),
            conn: ConnId(0),
            kind: EventKind::Added { name: "a".into(), url: "u".into(), group: None, proxy: None },
        });
        model.apply(&closed("bye"));
        let summary = model.summary(Ts(1_795_000_001_000));
        let line = encode_summary(&summary, Ts(1_795_000_001_000));
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!((value["event"].as_str(), value["conn"].as_str()), (Some("summary"), Some("*")));
        assert_eq!(value["by_code"]["1012"], 1);
        let Decoded::Summary { summary: decoded, at } = Replayer::default().decode(&line).unwrap() else {
            panic!("a summary line")
        };
        assert_eq!((*decoded, at), (summary, Ts(1_795_000_001_000)));
    }

    #[test]
    fn a_session_header_round_trips() {
        let groups = BTreeMap::from([("api-1".to_string(), "api".to_string())]);
        let header = SessionHeader {
            label: "demo (seed 7)".into(),
            waves: WaveRules { quiet_ms: 500, ceiling_ms: 15_000 },
            groups,
            shard: Some("2/3".into()),
            proxies: BTreeMap::from([("api-1".to_string(), "http://u:***@proxy:3128".to_string())]),
        };
        let line = encode_session(&header, Ts(0));
        assert!(line.contains(r#""event":"session","label":"demo (seed 7)","wave_quiet_ms":500"#), "{line}");
        assert!(line.contains(r#""proxies":{"api-1":"http://u:***@proxy:3128"}"#), "{line}");
        let mut replayer = Replayer::default();
        assert_eq!(replayer.decode(&line).unwrap(), Decoded::Session(header.clone()));
        // Adopted as the first line, the connections it names are added with their proxy.
        replayer.adopt(&header);
        let open = r#"{"ts":"2026-01-01T00:00:00.000Z","conn":"api-1","url":"ws://h/","event":"open","handshake_ms":9,"subprotocol":null,"proxy":"http://u:***@proxy:3128","proxy_ms":4}"#;
        let Decoded::Events(events) = replayer.decode(open).unwrap() else { panic!("events") };
        assert!(
            matches!(&events[0].kind, EventKind::Added { proxy: Some(proxy), .. } if proxy == "http://u:***@proxy:3128")
        );
        let via = Some(Via { proxy: "http://u:***@proxy:3128".into(), tunnel_ms: 4 });
        assert_eq!(events[1].kind, EventKind::Open { handshake_ms: 9, subprotocol: None, via });
    }

    #[test]
    fn an_open_through_a_proxy_names_it_and_a_direct_one_does_not() {
        let at = Ts(1_795_000_000_123);
        let direct =
            Event { at, conn: ConnId(0), kind: EventKind::Open { handshake_ms: 5, subprotocol: None, via: None } };
        let line = encode_event(&direct, "a", "ws://h/").unwrap();
        assert!(!line.contains("proxy"), "{line}");
        let via = Some(Via { proxy: "socks5h://h:1080".into(), tunnel_ms: 2 });
        let proxied = Event { at, conn: ConnId(0), kind: EventKind::Open { handshake_ms: 5, subprotocol: None, via } };
        let line = encode_event(&proxied, "a", "ws://h/").unwrap();
        assert!(
            line.ends_with(r#""handshake_ms":5,"subprotocol":null,"proxy":"socks5h://h:1080","proxy_ms":2}"#),
            "{line}"
        );
    }

    #[test]
    fn a_gap_line_round_trips_and_names_its_span() {
        let gap = LogGap { from: Ts(1_000), to: Ts(61_000), lines: 1_200, bytes: 250_000, cap_bytes: 1 << 20 };
        let line = encode_gap(&gap);
        assert!(line.contains(r#""event":"log_gap","from":"1970-01-01T00:00:01.000Z""#), "{line}");
        assert_eq!(line_time(&line), Some(Ts(61_000)));
        assert_eq!(Replayer::default().decode(&line).unwrap(), Decoded::Gap(gap));
        let later = LogGap { from: Ts(70_000), to: Ts(90_000), lines: 10, bytes: 900, cap_bytes: 1 << 20 };
        assert_eq!(gap.merge(later), LogGap { from: Ts(1_000), to: Ts(90_000), lines: 1_210, bytes: 250_900, ..gap });
        let huge = LogGap { lines: u64::MAX, bytes: u64::MAX, ..later };
        assert_eq!((huge.merge(huge).lines, huge.merge(huge).bytes), (u64::MAX, u64::MAX), "a hostile log saturates");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut replayer = Replayer::default();
        assert!(replayer.decode("{\"ts\":\"2026").is_err());
        assert!(replayer.decode("{}").is_err());
        let bad_ts = r#"{"ts":"yesterday","conn":"a","url":"u","event":"paused"}"#;
        assert!(matches!(replayer.decode(bad_ts), Err(DecodeError::Timestamp(_))));
    }
}
