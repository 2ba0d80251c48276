//! What the model knows about one connection: its state, its figures and
//! a bounded history of its closes.

use std::collections::VecDeque;

use crate::event::{CloseRecord, HandshakeFailure, Ts};

/// Closes kept per connection; totals are kept forever elsewhere.
pub const HISTORY_LIMIT: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum State {
    Connecting,
    Open,
    /// Just closed; the engine decides what comes next.
    Closed,
    /// Waiting to reconnect until this time.
    Waiting {
        until: Ts,
    },
    /// Paused by the user.
    Paused,
    /// The reconnect rule is `off`: closed until asked.
    Held,
    Removed,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Connecting => "connecting",
            State::Open => "open",
            State::Closed => "closed",
            State::Waiting { .. } => "waiting",
            State::Paused => "paused",
            State::Held => "held",
            State::Removed => "removed",
        }
    }
}

/// What a row shows for a connection: its state, except that one whose
/// last ending needs a person (a protocol error, an HTTP 4xx: the policy's
/// word) shows `Attention` whatever it is doing. The header's counts, the
/// table's label, symbol, colour and order, and the filter all read this
/// one value, so they cannot disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shown {
    Attention,
    /// Open, but no message for its `expect_message_within`.
    Silent,
    Closed,
    Waiting,
    Connecting,
    /// The reconnect rule is `off`.
    Held,
    Paused,
    Open,
    Removed,
}

impl Shown {
    /// What the header counts (and the metrics' `state` label), in order.
    pub const COUNTED: [Shown; 6] =
        [Shown::Open, Shown::Silent, Shown::Connecting, Shown::Waiting, Shown::Paused, Shown::Attention];

    pub fn name(self) -> &'static str {
        match self {
            Shown::Attention => "attention",
            Shown::Silent => "silent",
            Shown::Closed => "closed",
            Shown::Waiting => "waiting",
            Shown::Connecting => "connecting",
            Shown::Held => "held",
            Shown::Paused => "paused",
            Shown::Open => "open",
            Shown::Removed => "removed",
        }
    }

    /// Where the header counts it: a just-closed connection is waiting for
    /// its next try, a held one is paused by its rule; removed ones are gone.
    pub fn counted_as(self) -> Option<Shown> {
        match self {
            Shown::Closed => Some(Shown::Waiting),
            Shown::Held => Some(Shown::Paused),
            Shown::Removed => None,
            shown => Some(shown),
        }
    }

    /// Trouble first: attention, silent, waiting, connecting, held, paused, open.
    pub fn rank(self) -> u8 {
        match self {
            Shown::Attention => 0,
            Shown::Silent => 1,
            Shown::Closed | Shown::Waiting => 2,
            Shown::Connecting => 3,
            Shown::Held => 4,
            Shown::Paused => 5,
            Shown::Open => 6,
            Shown::Removed => 7,
        }
    }

    /// A person should look: the policy said so, or a feed went quiet.
    pub fn needs_attention(self) -> bool {
        matches!(self, Shown::Attention | Shown::Silent)
    }
}

/// One close, and what came after it.
#[derive(Debug, Clone, PartialEq)]
pub struct CloseEntry {
    pub at: Ts,
    pub record: CloseRecord,
    /// Reconnect delays scheduled since this close, added up.
    pub waited_ms: u64,
    /// Tries that failed before the connection opened again.
    pub failed_tries: u32,
    /// When the connection opened again, if it has.
    pub reopened_at: Option<Ts>,
}

/// Traffic reported longer ago than this: the rate in is zero now.
const TRAFFIC_STALE_MS: u64 = 2_000;

#[derive(Debug, Clone)]
pub struct Connection {
    pub name: String,
    pub url: String,
    pub state: State,
    pub opened_at: Option<Ts>,
    /// The first close or failure since the connection was last open.
    pub down_since: Option<Ts>,
    pub rtt_ms: Option<f64>,
    pub closes: u64,
    /// The last failed try since the connection was last open, and when.
    pub last_failure: Option<(Ts, HandshakeFailure)>,
    /// The last ending was one a person should look at (a protocol error,
    /// an HTTP 4xx), as the reconnect policy decided; cleared when the
    /// connection opens again.
    pub attention: bool,
    pub history: VecDeque<CloseEntry>,
    /// The service it belongs to (`Model::groups`).
    pub group: u32,
    /// Open but silent since then (`expect_message_within`).
    pub silent_since: Option<Ts>,
    /// Messages in: the rate over the last traffic report's interval, when
    /// that report came, and when a message last came (to the second: the
    /// engine reports traffic at most once a second).
    pub in_rate: f32,
    pub traffic_at: Option<Ts>,
    pub last_message_at: Option<Ts>,
}

impl Connection {
    pub fn new(name: String, url: String) -> Connection {
        Connection {
            name,
            url,
            state: State::Connecting,
            opened_at: None,
            down_since: None,
            rtt_ms: None,
            closes: 0,
            last_failure: None,
            attention: false,
            history: VecDeque::new(),
            group: 0,
            silent_since: None,
            in_rate: 0.0,
            traffic_at: None,
            last_message_at: None,
        }
    }

    pub fn last_close(&self) -> Option<&CloseEntry> {
        self.history.back()
    }

    pub fn shown(&self) -> Shown {
        match self.state {
            State::Removed => Shown::Removed,
            _ if self.attention => Shown::Attention,
            State::Connecting => Shown::Connecting,
            State::Open if self.silent_since.is_some() => Shown::Silent,
            State::Open => Shown::Open,
            State::Closed => Shown::Closed,
            State::Waiting { .. } => Shown::Waiting,
            State::Paused => Shown::Paused,
            State::Held => Shown::Held,
        }
    }

    /// Messages in per second as of `now`: nothing reported for two
    /// seconds means nothing came.
    pub fn in_rate_at(&self, now: Ts) -> f32 {
        match self.traffic_at {
            Some(at) if now.millis_since(at) <= TRAFFIC_STALE_MS => self.in_rate,
            _ => 0.0,
        }
    }

    pub(super) fn count_traffic(&mut self, at: Ts, msgs_in: u64) {
        // The engine reports at most once a second, so the interval is at
        // least that; the first report stands for one second.
        let interval_ms = self.traffic_at.map_or(1_000, |before| at.millis_since(before)).max(1_000);
        self.in_rate = (msgs_in as f64 * 1_000.0 / interval_ms as f64) as f32;
        self.traffic_at = Some(at);
        if msgs_in > 0 {
            self.last_message_at = Some(at);
        }
    }

    pub fn is_open(&self) -> bool {
        self.state == State::Open
    }

    pub(super) fn push_close(&mut self, entry: CloseEntry) {
        if self.history.len() == HISTORY_LIMIT {
            self.history.pop_front();
        }
        self.history.push_back(entry);
    }

    /// The latest close, while the connection has not opened since.
    pub(super) fn pending_close(&mut self) -> Option<&mut CloseEntry> {
        self.history.back_mut().filter(|entry| entry.reopened_at.is_none())
    }
}
