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
    pub last_failure: Option<HandshakeFailure>,
    /// The last ending was one a person should look at (a protocol error,
    /// an HTTP 4xx); cleared when the connection opens again.
    pub attention: bool,
    pub history: VecDeque<CloseEntry>,
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
        }
    }

    pub fn last_close(&self) -> Option<&CloseEntry> {
        self.history.back()
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
