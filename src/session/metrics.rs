//! `--metrics`: an output that keeps the exported series (`metrics::Families`)
//! up to date from each batch, O(1) per event: a counter per close, failure,
//! reconnect and wave, a histogram sample per RTT and per wave recovery, and
//! the connections per state, counted as they change (never by walking
//! every connection). The server reads only the series.

use std::io;

use super::Output;
use crate::event::{ConnId, Event, EventKind, Ts};
use crate::metrics::{Bound, ConnSeries, Families, Options, Serving};
use crate::model::{Model, Shown, Summary};

/// How a session serves metrics: where, and with which series.
#[derive(Debug)]
pub struct MetricsSetup {
    pub endpoint: Bound,
    /// A series per connection, for at most this many connections.
    pub per_connection: Option<usize>,
    /// `--shard K/N`: every series carries `shard="K/N"`, so agents that
    /// split a profile can be told apart (and summed) in Prometheus.
    pub shard: Option<String>,
}

impl MetricsSetup {
    /// Start serving on the current tokio runtime; the output feeds the
    /// series, and the server stops when `Serving` is dropped.
    pub fn start(self) -> io::Result<(MetricsOutput, Serving)> {
        let options = Options {
            states: Shown::COUNTED.iter().map(|shown| shown.name()).collect(),
            const_labels: self.shard.map(|shard| ("shard".to_string(), shard)).into_iter().collect(),
            per_connection: self.per_connection.is_some(),
        };
        let (families, exposition) = Families::new(options);
        let serving = self.endpoint.serve(exposition)?;
        Ok((MetricsOutput::new(families, self.per_connection.unwrap_or(0)), serving))
    }
}

/// Where a wave's recoveries were read up to.
struct WaveCursor {
    number: u32,
    /// `wave.recovery.count()` when last read.
    recoveries: u64,
    /// Per group, the recovery times already observed.
    groups: Vec<usize>,
}

pub struct MetricsOutput {
    families: Families,
    /// By connection: its place in `Shown::COUNTED`, as counted now.
    counted: Vec<Option<u8>>,
    /// By connection: its own series (`--metrics-per-connection`).
    series: Vec<Option<ConnSeries>>,
    /// Connections with series of their own, and how many may have them.
    with_series: usize,
    series_limit: usize,
    /// Waves counted so far (`Waves::total`).
    waves: u32,
    cursors: Vec<WaveCursor>,
}

impl MetricsOutput {
    pub fn new(families: Families, series_limit: usize) -> MetricsOutput {
        MetricsOutput {
            families,
            counted: Vec::new(),
            series: Vec::new(),
            with_series: 0,
            series_limit,
            waves: 0,
            cursors: Vec::new(),
        }
    }

    /// A connection joined: its own series, while under the limit (the
    /// limit is checked at start; connections added later in the TUI past
    /// it go without).
    fn add_series(&mut self, id: ConnId, name: &str) {
        if !self.families.per_connection() || self.with_series >= self.series_limit {
            return;
        }
        if self.series.len() <= id.index() {
            self.series.resize(id.index() + 1, None);
        }
        if self.series[id.index()].is_none() {
            self.series[id.index()] = self.families.add_connection(name);
            self.with_series += 1;
        }
    }

    fn remove_series(&mut self, id: ConnId, name: &str) {
        if let Some(slot) = self.series.get_mut(id.index())
            && slot.take().is_some()
        {
            self.families.remove_connection(name);
            self.with_series -= 1;
        }
    }

    /// Move connection `id` to the state it shows now.
    fn recount(&mut self, model: &Model, id: ConnId) {
        let conn = model.connection(id);
        let now = conn
            .and_then(|conn| conn.shown().counted_as())
            .and_then(|shown| Shown::COUNTED.iter().position(|counted| *counted == shown))
            .map(|index| index as u8);
        if self.counted.len() <= id.index() {
            self.counted.resize(id.index() + 1, None);
        }
        let before = std::mem::replace(&mut self.counted[id.index()], now);
        if before != now {
            if let Some(before) = before {
                self.families.state(usize::from(before)).dec();
            }
            if let Some(now) = now {
                self.families.state(usize::from(now)).inc();
            }
        }
        if let (Some(Some(series)), Some(conn)) = (self.series.get(id.index()), conn) {
            series.set_up(conn.is_open());
        }
    }

    /// New waves, and the recoveries the model recorded since the last
    /// batch (each wave keeps them per group, in order): at most the 32
    /// waves the model keeps are looked at, whatever the batch held.
    fn follow_waves(&mut self, model: &Model) {
        let waves = model.waves();
        if waves.total() > self.waves {
            for wave in waves.recent().filter(|wave| wave.number > self.waves) {
                self.families.count_wave(wave.kind);
            }
            self.waves = waves.total();
        }
        for wave in waves.recent() {
            let recoveries = wave.recovery.count();
            let cursor = match self.cursors.iter().position(|cursor| cursor.number == wave.number) {
                Some(index) => &mut self.cursors[index],
                None => {
                    self.cursors.push(WaveCursor { number: wave.number, recoveries: 0, groups: Vec::new() });
                    self.cursors.last_mut().expect("just pushed")
                }
            };
            if cursor.recoveries == recoveries {
                continue;
            }
            cursor.groups.resize(cursor.groups.len().max(wave.groups.len()), 0);
            for (figures, seen) in wave.groups.iter().zip(cursor.groups.iter_mut()) {
                for ms in figures.recovery_ms.iter().skip(*seen) {
                    self.families.observe_wave_recovery(*ms as f64 / 1000.0);
                }
                *seen = figures.recovery_ms.len();
            }
            cursor.recoveries = recoveries;
        }
        // Waves the model no longer keeps record nothing more.
        let oldest = waves.recent().next().map_or(0, |wave| wave.number);
        self.cursors.retain(|cursor| cursor.number >= oldest);
    }
}

impl Output for MetricsOutput {
    fn on_events(&mut self, model: &Model, events: &[Event]) -> io::Result<()> {
        for event in events {
            match &event.kind {
                EventKind::Added { name, .. } => self.add_series(event.conn, name),
                EventKind::Closed(record) => {
                    self.families.count_close(record.code, record.class);
                    if let Some(cause) = record.cause {
                        self.families.count_protocol_error(cause);
                    }
                    if let Some(Some(series)) = self.series.get(event.conn.index()) {
                        series.count_close();
                    }
                }
                EventKind::HandshakeFailed(failure) => self.families.count_handshake_failure(failure.stage),
                EventKind::ReconnectScheduled { rule, .. } => self.families.count_reconnect(rule),
                EventKind::Rtt { rtt_ms } => self.families.observe_rtt(rtt_ms / 1000.0),
                EventKind::Removed => {
                    if let Some(conn) = model.connection(event.conn) {
                        self.remove_series(event.conn, &conn.name);
                    }
                }
                _ => {}
            }
            // The model holds the batch's last word on the connection:
            // recounting it once per event is idempotent.
            self.recount(model, event.conn);
        }
        self.follow_waves(model);
        Ok(())
    }

    fn on_end(&mut self, _: &Model, _: &Summary, _: Ts) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::close::{Class, Initiator};
    use crate::event::CloseRecord;
    use crate::metrics::{Exposition, Format};

    fn output(per_connection: Option<usize>) -> (MetricsOutput, Exposition) {
        let options = Options {
            states: Shown::COUNTED.iter().map(|shown| shown.name()).collect(),
            const_labels: Vec::new(),
            per_connection: per_connection.is_some(),
        };
        let (families, exposition) = Families::new(options);
        (MetricsOutput::new(families, per_connection.unwrap_or(0)), exposition)
    }

    fn event(at: i64, conn: u32, kind: EventKind) -> Event {
        Event { at: Ts(1_795_000_000_000 + at), conn: ConnId(conn), kind }
    }

    fn restart() -> EventKind {
        EventKind::Closed(CloseRecord {
            code: 1012,
            reason: "restart".into(),
            initiator: Initiator::Server,
            class: Class::ServiceRestart,
            cause: None,
            detail: None,
            connected_ms: 1_000,
        })
    }

    fn open() -> EventKind {
        EventKind::Open { handshake_ms: 2, subprotocol: None, via: None }
    }

    /// Feed `events` to the model and the output one batch at a time.
    fn feed(model: &mut Model, output: &mut MetricsOutput, batches: &[Vec<Event>]) {
        for batch in batches {
            batch.iter().for_each(|event| model.apply(event));
            output.on_events(model, batch).unwrap();
        }
    }

    fn value(text: &str, series: &str) -> f64 {
        let line = text.lines().find(|line| line.starts_with(series)).unwrap_or_else(|| panic!("{series}:\n{text}"));
        line[series.len()..].trim().parse().unwrap()
    }

    #[test]
    fn states_and_waves_follow_the_model_across_batches() {
        let (mut output, exposition) = output(None);
        let mut model = Model::default();
        let added = |conn: u32| {
            event(
                0,
                conn,
                EventKind::Added { name: format!("c{conn}"), url: "ws://h/".into(), group: None, proxy: None },
            )
        };
        // Opened, closed and open again within one batch: counted where it ends.
        let first: Vec<Event> = (0..3).map(added).chain((0..3).map(|conn| event(1, conn, open()))).collect();
        let wave = vec![event(100, 0, restart()), event(150, 1, restart()), event(900, 0, open())];
        let later = vec![event(2_100, 1, open()), event(2_200, 2, EventKind::Paused)];
        feed(&mut model, &mut output, &[first, wave]);
        let text = exposition.encode(Format::Prometheus);
        assert_eq!(value(&text, "wsmon_connections{state=\"open\"}"), 2.0);
        assert_eq!(value(&text, "wsmon_connections{state=\"waiting\"}"), 1.0);
        assert_eq!(value(&text, "wsmon_restart_waves_total{kind=\"restart\"}"), 1.0);
        assert_eq!(value(&text, "wsmon_wave_recovery_seconds_count"), 1.0);
        feed(&mut model, &mut output, &[later]);
        let text = exposition.encode(Format::Prometheus);
        assert_eq!(value(&text, "wsmon_connections{state=\"open\"}"), 2.0);
        assert_eq!(value(&text, "wsmon_connections{state=\"paused\"}"), 1.0);
        assert_eq!(value(&text, "wsmon_connections{state=\"waiting\"}"), 0.0);
        assert_eq!(value(&text, "wsmon_closes_total{code=\"1012\",class=\"service_restart\"}"), 2.0);
        // 0.8 s and 1.95 s.
        assert_eq!(value(&text, "wsmon_wave_recovery_seconds_count"), 2.0);
        assert_eq!(value(&text, "wsmon_wave_recovery_seconds_bucket{le=\"1\"}"), 1.0);
        assert!((value(&text, "wsmon_wave_recovery_seconds_sum") - 2.75).abs() < 1e-9, "{text}");
    }

    #[test]
    fn per_connection_series_stop_at_the_limit_and_go_with_their_connection() {
        let (mut output, exposition) = output(Some(2));
        let mut model = Model::default();
        let added: Vec<Event> = (0..3)
            .map(|conn| {
                event(
                    0,
                    conn,
                    EventKind::Added { name: format!("c{conn}"), url: "ws://h/".into(), group: None, proxy: None },
                )
            })
            .chain([event(1, 0, open()), event(2, 0, restart())])
            .collect();
        feed(&mut model, &mut output, &[added]);
        let text = exposition.encode(Format::Prometheus);
        assert_eq!(value(&text, "wsmon_connection_closes_total{connection=\"c0\"}"), 1.0);
        assert_eq!(value(&text, "wsmon_connection_up{connection=\"c0\"}"), 0.0);
        assert!(text.contains("connection=\"c1\"") && !text.contains("connection=\"c2\""), "{text}");
        feed(&mut model, &mut output, &[vec![event(3, 1, EventKind::Removed)]]);
        let text = exposition.encode(Format::Prometheus);
        assert!(!text.contains("connection=\"c1\""), "{text}");
        assert_eq!(value(&text, "wsmon_connections{state=\"connecting\"}"), 1.0);
    }
}
