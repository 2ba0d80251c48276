//! All monitored state, changed only by `Model::apply(&Event)`.
//!
//! The model uses each event's timestamp, never the wall clock, so a
//! recorded JSON Lines log replays into the same model. Every aggregate is
//! updated as events arrive: O(1) per event. Imports no sockets, no tokio,
//! no terminal.

mod activity;
mod breakdown;
mod connection;
mod groups;
mod stats;
mod summary;
mod waves;

pub use crate::close::WaveKind;
pub use activity::{Activity, Bucket, CloseKind};
pub use breakdown::Breakdown;
pub use connection::{CloseEntry, Connection, HISTORY_LIMIT, Shown, State};
pub use groups::Groups;
pub use stats::{Millis, Percentiles};
pub use summary::{GroupSummary, ProblemSummary, ProtocolErrorCount, Summary, Tripped, WaveSummary};
pub use waves::{GroupFigures, Problem, ProblemCount, Wave, WaveRules, Waves};

use crate::close::{RuleKind, facts};
use crate::event::{ConnId, Event, EventKind, Ts};

#[derive(Debug, Clone, Default)]
pub struct Model {
    connections: Vec<Connection>,
    totals: Breakdown,
    waves: Waves,
    groups: Groups,
    /// Close → next open, every connection, every close.
    recovery: Millis,
    activity: Activity,
    first_event: Option<Ts>,
    /// `--shard K/N`: the part of a profile watched, for the summary.
    shard: Option<String>,
    /// The proxy of each connection that goes through one (password as
    /// `***`). Beside the connections, not in them: a direct connection
    /// costs nothing here.
    proxies: std::collections::BTreeMap<ConnId, Box<str>>,
}

impl Model {
    /// A model whose waves end by `rules`.
    pub fn with_wave_rules(rules: WaveRules) -> Model {
        Model { waves: Waves::new(rules), ..Model::default() }
    }

    /// Room for `additional` more connections, allocated once: grown one
    /// at a time, the tables would end up to twice the size they need.
    pub fn reserve(&mut self, additional: usize) {
        self.connections.reserve_exact(additional);
        self.waves.reserve(additional);
    }

    /// The session watches shard `shard` ("2/3") of its profile.
    pub fn set_shard(&mut self, shard: Option<String>) {
        self.shard = shard;
    }

    pub fn shard(&self) -> Option<&str> {
        self.shard.as_deref()
    }

    pub fn apply(&mut self, event: &Event) {
        let at = event.at;
        let id = event.conn;
        if let EventKind::Added { name, url, group, proxy } = &event.kind {
            self.add(id, name, url, group.as_deref());
            match proxy {
                Some(proxy) => self.proxies.insert(id, proxy.as_str().into()),
                None => self.proxies.remove(&id),
            };
            return;
        }
        // A log without a session line (`watch --json`) names the proxy on `open`.
        if let EventKind::Open { via: Some(via), .. } = &event.kind
            && id.index() < self.connections.len()
            && !self.proxies.contains_key(&id)
        {
            self.proxies.insert(id, via.proxy.as_str().into());
        }
        // `Added` is internal (a log does not carry it), so the span starts
        // at the first event a log would show.
        self.first_event.get_or_insert(at);
        let Some(conn) = self.connections.get_mut(id.index()) else {
            tracing::warn!(?id, "event for an unknown connection");
            return;
        };
        match &event.kind {
            EventKind::Added { .. } => {}
            EventKind::Connecting { .. } => conn.state = State::Connecting,
            EventKind::Open { .. } => {
                conn.state = State::Open;
                conn.silent_since = None;
                conn.opened_at = Some(at);
                conn.attention = false;
                conn.last_failure = None;
                if let Some(down_since) = conn.down_since.take() {
                    self.recovery.record(at.millis_since(down_since));
                }
                if let Some(entry) = conn.pending_close() {
                    entry.reopened_at = Some(at);
                }
                self.waves.on_open(at, id);
            }
            EventKind::Closed(record) => {
                conn.state = State::Closed;
                conn.silent_since = None;
                conn.closes += 1;
                conn.opened_at = None;
                conn.rtt_ms = None;
                conn.down_since.get_or_insert(at);
                // Until the policy's word (`reconnect_scheduled`) comes.
                conn.attention = facts(record.code).needs_attention();
                conn.push_close(CloseEntry {
                    at,
                    record: record.clone(),
                    waited_ms: 0,
                    failed_tries: 0,
                    reopened_at: None,
                });
                self.totals.count_close(id, record);
                self.activity.record(at, CloseKind::of(record));
                self.waves.on_close(at, id, conn.group, record);
            }
            EventKind::HandshakeFailed(failure) => {
                conn.down_since.get_or_insert(at);
                conn.attention = RuleKind::for_handshake(failure.stage, failure.http_status).needs_attention();
                conn.last_failure = Some((at, failure.clone()));
                if let Some(entry) = conn.pending_close() {
                    entry.failed_tries += 1;
                }
                self.totals.count_failure(id, failure);
                self.waves.on_failure(at, id, failure);
            }
            EventKind::ReconnectScheduled { delay_ms, attention, .. } => {
                conn.state = State::Waiting { until: at.plus_millis(*delay_ms) };
                // The rule in force decides, which may be an earlier ending's:
                // a refused reconnect after a 1002 still waits on the protocol rule.
                if let Some(attention) = attention {
                    conn.attention = *attention;
                }
                if let Some(entry) = conn.pending_close() {
                    entry.waited_ms = entry.waited_ms.saturating_add(*delay_ms);
                }
            }
            EventKind::ReconnectOff { .. } => conn.state = State::Held,
            EventKind::Paused => conn.state = State::Paused,
            EventKind::Resumed => conn.state = State::Connecting,
            EventKind::Removed => {
                conn.state = State::Removed;
                self.waves.on_removed(id);
            }
            EventKind::Rtt { rtt_ms } => {
                conn.rtt_ms = Some(*rtt_ms);
                self.totals.rtt.add(*rtt_ms);
            }
            EventKind::RttSummary(rtt) => {
                conn.rtt_ms = Some(rtt.last_ms);
                self.totals.rtt.add_summary(rtt);
            }
            // The summary's totals, and the connection's rate in.
            EventKind::Traffic(delta) => {
                self.totals.traffic.add(delta);
                conn.count_traffic(at, delta.msgs_in);
            }
            EventKind::Silent { silent_ms } => {
                if conn.is_open() {
                    conn.silent_since = Some(Ts(at.0.saturating_sub(i64::try_from(*silent_ms).unwrap_or(i64::MAX))));
                    self.waves.on_silent(at, id);
                }
            }
            EventKind::SilenceEnded { .. } => {
                conn.silent_since = None;
                self.waves.on_heard(id);
            }
        }
    }

    fn add(&mut self, id: ConnId, name: &str, url: &str, group: Option<&str>) {
        if self.connections.len() <= id.index() {
            let placeholder = Connection::new(String::new(), String::new());
            self.connections.resize(id.index() + 1, placeholder);
        }
        let mut conn = Connection::new(name.to_string(), url.to_string());
        conn.group = match group {
            Some(group) => self.groups.join_named(group),
            None => self.groups.join(url, name),
        };
        self.connections[id.index()] = conn;
    }

    /// The proxy a connection goes through, credentials masked.
    pub fn proxy(&self, id: ConnId) -> Option<&str> {
        self.proxies.get(&id).map(|proxy| &**proxy)
    }

    /// Every proxy in use → how many connections go through it.
    pub fn proxies(&self) -> std::collections::BTreeMap<String, u32> {
        let mut counts = std::collections::BTreeMap::new();
        for (id, proxy) in &self.proxies {
            if self.connection(*id).is_some_and(|conn| conn.state != State::Removed) {
                *counts.entry(proxy.to_string()).or_insert(0) += 1;
            }
        }
        counts
    }

    pub fn connections(&self) -> &[Connection] {
        &self.connections
    }

    pub fn connection(&self, id: ConnId) -> Option<&Connection> {
        self.connections.get(id.index())
    }

    pub fn totals(&self) -> &Breakdown {
        &self.totals
    }

    pub fn waves(&self) -> &Waves {
        &self.waves
    }

    /// The services connections are grouped in.
    pub fn groups(&self) -> &Groups {
        &self.groups
    }

    pub fn recovery(&self) -> &Millis {
        &self.recovery
    }

    pub fn activity(&self) -> &Activity {
        &self.activity
    }

    pub fn first_event(&self) -> Option<Ts> {
        self.first_event
    }
}

#[cfg(test)]
mod tests;
