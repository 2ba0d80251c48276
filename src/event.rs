//! `Event`: the one seam between the engine and everyone else.
//!
//! Connection tasks produce events; `Model::apply` consumes them; the JSON
//! Lines writer (`wire`) prints them and the replayer reads them back. An
//! event carries its own timestamp, truncated to the millisecond the JSON
//! contract keeps, so a live run and a replay of its log compute the same
//! figures. Imports nothing from the engine, the model or any view.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::close::{Cause, Class, Initiator, Stage};

/// Milliseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Ts(pub i64);

impl Ts {
    pub fn now() -> Ts {
        Ts(Utc::now().timestamp_millis())
    }

    /// Milliseconds from `earlier` to `self`, zero if `earlier` is later.
    /// Exact for any two times (a log's may lie at both ends of i64).
    pub fn millis_since(self, earlier: Ts) -> u64 {
        if self.0 > earlier.0 { self.0.abs_diff(earlier.0) } else { 0 }
    }

    pub fn plus_millis(self, millis: u64) -> Ts {
        Ts(self.0.saturating_add(i64::try_from(millis).unwrap_or(i64::MAX)))
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0).unwrap_or_default()
    }

    pub fn from_datetime(at: DateTime<Utc>) -> Ts {
        Ts(at.timestamp_millis())
    }

    /// RFC 3339, UTC, milliseconds: the contract's `ts`.
    pub fn rfc3339(self) -> String {
        self.to_datetime().to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

impl fmt::Display for Ts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

/// A connection's identity for the life of the process: an index, so the
/// model finds it without hashing a name per event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u32);

impl ConnId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub at: Ts,
    pub conn: ConnId,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// A connection joined the set. Internal: the JSON names the connection
    /// on every line instead, and the replayer synthesises this event.
    Added {
        name: String,
        url: String,
        /// The service it belongs to, when a profile names one (else the
        /// model groups it by endpoint).
        group: Option<String>,
        /// The proxy it goes through, credentials masked; None: direct.
        proxy: Option<String>,
    },
    Connecting {
        attempt: u32,
    },
    Open {
        handshake_ms: u64,
        subprotocol: Option<String>,
        /// The proxy hop, when it went through one.
        via: Option<Via>,
    },
    Closed(CloseRecord),
    HandshakeFailed(HandshakeFailure),
    ReconnectScheduled {
        delay_ms: u64,
        attempt: u32,
        rule: String,
        /// The policy's word: the rule in force needs a person. None only
        /// in logs written before wsmon said it.
        attention: Option<bool>,
    },
    /// The reconnect rule says `off`: the connection stays closed until asked.
    ReconnectOff {
        rule: String,
    },
    /// The user paused the connection; it stays closed until resumed.
    Paused,
    Resumed,
    /// The user removed the connection from the set.
    Removed,
    Rtt {
        rtt_ms: f64,
    },
    /// A session log's stand-in for the `Rtt` events of up to a minute:
    /// logs keep one per connection and minute instead of one per ping.
    RttSummary(RttSummary),
    Traffic(Traffic),
    /// An open connection received no message for its
    /// `expect_message_within`: the feed went quiet (pings may still
    /// answer). `silent_ms`: the silence so far.
    Silent {
        silent_ms: u64,
    },
    /// A message came after a silence of `silent_ms`.
    SilenceEnded {
        silent_ms: u64,
    },
}

/// The proxy an open went through and how long its tunnel took (from
/// the start of the try: the proxy's DNS, TCP and CONNECT or SOCKS5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// The proxy's URL with its password as `***`.
    pub proxy: String,
    pub tunnel_ms: u64,
}

/// RTT samples of one connection over a while, in milliseconds. `last_ms`
/// is what the model shows, so a replay ends on the same RTT as the session.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RttSummary {
    pub count: u32,
    pub min_ms: f64,
    pub mean_ms: f64,
    pub max_ms: f64,
    pub last_ms: f64,
}

/// RTT samples added up, O(1) each: one connection's minute in a session
/// log, or the whole fleet's session in the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RttSamples {
    pub count: u64,
    pub min_ms: f64,
    pub max_ms: f64,
    pub sum_ms: f64,
    pub last_ms: f64,
}

impl RttSamples {
    pub fn add(&mut self, rtt_ms: f64) {
        self.add_many(1, rtt_ms, rtt_ms, rtt_ms, rtt_ms);
    }

    /// Samples summarised elsewhere (a session log's minute).
    pub fn add_summary(&mut self, summary: &RttSummary) {
        let RttSummary { count, min_ms, mean_ms, max_ms, last_ms } = *summary;
        if count > 0 {
            self.add_many(u64::from(count), min_ms, mean_ms, max_ms, last_ms);
        }
    }

    fn add_many(&mut self, count: u64, min_ms: f64, mean_ms: f64, max_ms: f64, last_ms: f64) {
        if self.count == 0 {
            (self.min_ms, self.max_ms) = (min_ms, max_ms);
        }
        self.count = self.count.saturating_add(count);
        self.min_ms = self.min_ms.min(min_ms);
        self.max_ms = self.max_ms.max(max_ms);
        self.sum_ms += mean_ms * count as f64;
        self.last_ms = last_ms;
    }

    pub fn mean_ms(&self) -> f64 {
        if self.count == 0 { 0.0 } else { self.sum_ms / self.count as f64 }
    }
}

impl EventKind {
    /// A measurement (RTT, traffic) rather than a change of state: it never
    /// moves a row or changes what a filter matches.
    pub fn is_measurement(&self) -> bool {
        matches!(self, EventKind::Rtt { .. } | EventKind::RttSummary(_) | EventKind::Traffic(_))
    }
}

/// Why a connection that had been open ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseRecord {
    /// The code that explains the end; see docs/ARCHITECTURE.md, "The event contract".
    pub code: u16,
    pub reason: String,
    pub initiator: Initiator,
    pub class: Class,
    pub cause: Option<Cause>,
    pub detail: Option<String>,
    pub connected_ms: u64,
}

/// Why a connection attempt never opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeFailure {
    pub stage: Stage,
    pub http_status: Option<u16>,
    pub detail: String,
}

/// Per-message counts since the previous `Traffic` of the same connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Traffic {
    pub msgs_in: u64,
    pub bytes_in: u64,
    pub msgs_out: u64,
    pub bytes_out: u64,
}

impl Traffic {
    pub fn is_empty(&self) -> bool {
        *self == Traffic::default()
    }

    /// Add a later delta to this one. Deltas come from logs too, which
    /// may hold anything: a sum stops at the maximum instead of wrapping.
    pub fn add(&mut self, delta: &Traffic) {
        self.msgs_in = self.msgs_in.saturating_add(delta.msgs_in);
        self.bytes_in = self.bytes_in.saturating_add(delta.bytes_in);
        self.msgs_out = self.msgs_out.saturating_add(delta.msgs_out);
        self.bytes_out = self.bytes_out.saturating_add(delta.bytes_out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_print_as_rfc3339_millis_utc() {
        let ts = Ts(1_795_000_000_123);
        assert_eq!(ts.rfc3339(), "2026-11-18T11:06:40.123Z");
        assert_eq!(Ts::from_datetime(ts.to_datetime()), ts);
    }

    #[test]
    fn millis_since_never_goes_negative() {
        assert_eq!(Ts(1_500).millis_since(Ts(1_000)), 500);
        assert_eq!(Ts(1_000).millis_since(Ts(1_500)), 0);
        assert_eq!(Ts(1_000).plus_millis(250), Ts(1_250));
    }
}
