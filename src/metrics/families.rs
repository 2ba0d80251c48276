//! The series wsmon exports, their names, help, labels and buckets, and
//! handles on them. Every known label value is created up front, so the
//! first scrape shows it at 0, and its handle is kept: counting an event is
//! an atomic add (a short lock for a histogram), with no lookup by label.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use prometheus_client::encoding::{prometheus_text, text};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::close::{Cause, Class, RuleKind, Stage, WaveKind, facts};

/// RTT, in seconds: 1 ms to 10 s.
pub const RTT_BUCKETS: [f64; 13] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Close → open of a connection a wave hit, in seconds: 0.5 s to 10 min.
pub const RECOVERY_BUCKETS: [f64; 12] = [0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 180.0, 300.0, 600.0];

/// The `code` label's values: 1000 to 1015 each, the two ranges, the rest.
const CODE_LABELS: [&str; 19] = [
    "1000", "1001", "1002", "1003", "1004", "1005", "1006", "1007", "1008", "1009", "1010", "1011", "1012", "1013",
    "1014", "1015", "3xxx", "4xxx", "other",
];

/// Where `code` is counted: an index of `CODE_LABELS`.
fn code_slot(code: u16) -> usize {
    match code {
        1000..=1015 => usize::from(code - 1000),
        3000..=3999 => 16,
        4000..=4999 => 17,
        _ => 18,
    }
}

/// The `code` label of a close code: "1012", "3xxx", "4xxx" or "other".
/// The ranges keep the label's values bounded whatever servers send.
pub fn code_label(code: u16) -> &'static str {
    CODE_LABELS[code_slot(code)]
}

/// A code standing for each label, for its class.
fn slot_code(slot: usize) -> u16 {
    match slot {
        0..=15 => 1000 + slot as u16,
        16 => 3000,
        17 => 4000,
        _ => 0,
    }
}

type Label = [(&'static str, &'static str); 1];
type CodeAndClass = [(&'static str, &'static str); 2];
type Owned = [(&'static str, String); 1];

/// What the exported series are made with.
pub struct Options {
    /// The `state` label's values, in order (the model's vocabulary: the
    /// caller's `state` index is a position in this list).
    pub states: Vec<&'static str>,
    /// Labels every series carries. None yet: this is where a shard's
    /// label would go.
    pub const_labels: Vec<(String, String)>,
    /// A series per connection (`--metrics-per-connection`).
    pub per_connection: bool,
}

/// The exposition format a scraper asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The Prometheus text format, 0.0.4.
    Prometheus,
    /// OpenMetrics 1.0 text, ending with `# EOF`.
    OpenMetrics,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => prometheus_text::CONTENT_TYPE,
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// The registry, shared with the server: a scrape reads it, never the model.
#[derive(Clone)]
pub struct Exposition(Arc<Registry>);

impl Exposition {
    pub fn encode(&self, format: Format) -> String {
        let mut text = String::with_capacity(8 * 1024);
        // Writing into a String cannot fail.
        let _ = match format {
            Format::Prometheus => prometheus_text::encode(&mut text, &self.0),
            Format::OpenMetrics => text::encode(&mut text, &self.0),
        };
        text
    }
}

/// The series of one connection.
#[derive(Clone)]
pub struct ConnSeries {
    up: Gauge,
    closes: Counter,
}

impl ConnSeries {
    pub fn set_up(&self, up: bool) {
        self.up.set(i64::from(up));
    }

    pub fn count_close(&self) {
        self.closes.inc();
    }
}

struct PerConnection {
    up: Family<Owned, Gauge>,
    closes: Family<Owned, Counter>,
}

/// The families and a handle on every series known in advance.
pub struct Families {
    states: Vec<Gauge>,
    closes: Family<CodeAndClass, Counter>,
    /// By `code_slot`: the series of the code's own class.
    close_slots: Vec<(Class, Counter)>,
    /// By `Cause::index`.
    protocol_errors: Vec<Counter>,
    /// By `Stage::index`.
    handshake_failures: Vec<Counter>,
    reconnects: Family<Owned, Counter>,
    /// The rules seen so far: the kinds, and any override's key.
    rules: HashMap<String, Counter>,
    rtt: Histogram,
    /// By position in `WaveKind::ALL`.
    waves: Vec<Counter>,
    wave_recovery: Histogram,
    per_connection: Option<PerConnection>,
}

impl Families {
    pub fn new(options: Options) -> (Families, Exposition) {
        let labels = options.const_labels.into_iter().map(|(key, value)| (Cow::Owned(key), Cow::Owned(value)));
        let mut registry = Registry::with_prefix_and_labels("wsmon", labels);

        let connections = Family::<Label, Gauge>::default();
        registry.register("connections", "Connections by state, as the TUI's header counts them", connections.clone());
        let states = options.states.iter().map(|state| connections.get_or_create_owned(&[("state", *state)])).collect();

        let closes = Family::<CodeAndClass, Counter>::default();
        registry.register(
            "closes",
            "Connections that ended after opening, by close code (3xxx, 4xxx: the ranges) and class",
            closes.clone(),
        );
        let close_slots = (0..CODE_LABELS.len())
            .map(|slot| {
                let class = facts(slot_code(slot)).class;
                (class, closes.get_or_create_owned(&[("code", CODE_LABELS[slot]), ("class", class.as_str())]))
            })
            .collect();

        let protocol_error_family = Family::<Label, Counter>::default();
        registry.register(
            "protocol_errors",
            "Closes with 1002, by the RFC 6455 rule broken",
            protocol_error_family.clone(),
        );
        let protocol_errors = Cause::ALL
            .iter()
            .map(|cause| protocol_error_family.get_or_create_owned(&[("cause", cause.as_str())]))
            .collect();

        let failure_family = Family::<Label, Counter>::default();
        registry.register(
            "handshake_failures",
            "Connection attempts that never opened, by the stage that failed",
            failure_family.clone(),
        );
        let handshake_failures =
            Stage::ALL.iter().map(|stage| failure_family.get_or_create_owned(&[("stage", stage.as_str())])).collect();

        let reconnects = Family::<Owned, Counter>::default();
        registry.register(
            "reconnects",
            "Reconnects scheduled, by the rule in force (a kind, or a profile override's key)",
            reconnects.clone(),
        );
        let rules = RuleKind::ALL
            .iter()
            .map(|kind| (kind.name().to_string(), reconnects.get_or_create_owned(&[("rule", kind.name().to_string())])))
            .collect();

        let rtt = Histogram::new(RTT_BUCKETS);
        registry.register("rtt_seconds", "Ping to pong, in seconds", rtt.clone());

        let wave_family = Family::<Label, Counter>::default();
        registry.register("restart_waves", "Waves of closes across connections, by kind", wave_family.clone());
        let waves =
            WaveKind::ALL.iter().map(|kind| wave_family.get_or_create_owned(&[("kind", kind.as_str())])).collect();

        let wave_recovery = Histogram::new(RECOVERY_BUCKETS);
        registry.register(
            "wave_recovery_seconds",
            "Close to next open of each connection a wave hit, in seconds",
            wave_recovery.clone(),
        );

        let build = Family::<Label, Gauge>::default();
        registry.register("build_info", "The wsmon serving these metrics", build.clone());
        build.get_or_create(&[("version", env!("CARGO_PKG_VERSION"))]).set(1);

        let per_connection = options.per_connection.then(|| {
            let per = PerConnection { up: Family::default(), closes: Family::default() };
            registry.register("connection_up", "1 while the connection is open", per.up.clone());
            registry.register("connection_closes", "The connection's closes", per.closes.clone());
            per
        });

        let families = Families {
            states,
            closes,
            close_slots,
            protocol_errors,
            handshake_failures,
            reconnects,
            rules,
            rtt,
            waves,
            wave_recovery,
            per_connection,
        };
        (families, Exposition(Arc::new(registry)))
    }

    /// The gauge of `Options::states[state]`.
    pub fn state(&self, state: usize) -> &Gauge {
        &self.states[state]
    }

    pub fn count_close(&self, code: u16, class: Class) {
        let slot = code_slot(code);
        match &self.close_slots[slot] {
            (own, counter) if *own == class => {
                counter.inc();
            }
            // A class the code does not have (not from the engine): its own series.
            _ => {
                self.closes.get_or_create(&[("code", CODE_LABELS[slot]), ("class", class.as_str())]).inc();
            }
        }
    }

    pub fn count_protocol_error(&self, cause: Cause) {
        self.protocol_errors[cause.index()].inc();
    }

    pub fn count_handshake_failure(&self, stage: Stage) {
        self.handshake_failures[stage.index()].inc();
    }

    pub fn count_reconnect(&mut self, rule: &str) {
        match self.rules.get(rule) {
            Some(counter) => {
                counter.inc();
            }
            None => {
                let counter = self.reconnects.get_or_create_owned(&[("rule", rule.to_string())]);
                counter.inc();
                self.rules.insert(rule.to_string(), counter);
            }
        }
    }

    pub fn observe_rtt(&self, seconds: f64) {
        self.rtt.observe(seconds);
    }

    pub fn count_wave(&self, kind: WaveKind) {
        let index = WaveKind::ALL.iter().position(|known| *known == kind).expect("every kind is in ALL");
        self.waves[index].inc();
    }

    pub fn observe_wave_recovery(&self, seconds: f64) {
        self.wave_recovery.observe(seconds);
    }

    pub fn per_connection(&self) -> bool {
        self.per_connection.is_some()
    }

    /// The series of connection `name` (down, no closes yet); None without
    /// `--metrics-per-connection`.
    pub fn add_connection(&self, name: &str) -> Option<ConnSeries> {
        let per = self.per_connection.as_ref()?;
        let label = [("connection", name.to_string())];
        Some(ConnSeries { up: per.up.get_or_create_owned(&label), closes: per.closes.get_or_create_owned(&label) })
    }

    /// Connection `name` left the set: its series go.
    pub fn remove_connection(&self, name: &str) {
        if let Some(per) = &self.per_connection {
            let label = [("connection", name.to_string())];
            per.up.remove(&label);
            per.closes.remove(&label);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_bounded_labels() {
        let cases = [
            (1000, "1000"),
            (1002, "1002"),
            (1012, "1012"),
            (1015, "1015"),
            (1016, "other"),
            (2999, "other"),
            (3000, "3xxx"),
            (3001, "3xxx"),
            (3999, "3xxx"),
            (4000, "4xxx"),
            (4999, "4xxx"),
            (5000, "other"),
            (999, "other"),
            (0, "other"),
            (u16::MAX, "other"),
        ];
        for (code, label) in cases {
            assert_eq!(code_label(code), label, "code {code}");
        }
    }

    #[test]
    fn every_label_stands_for_codes_of_its_class() {
        for (slot, label) in CODE_LABELS.iter().enumerate() {
            assert_eq!(code_slot(slot_code(slot)), slot, "{label}");
            assert_eq!(code_label(slot_code(slot)), *label);
        }
        assert_eq!(facts(slot_code(16)).class, Class::Registered);
        assert_eq!(facts(slot_code(17)).class, Class::Private);
        assert_eq!(facts(slot_code(18)).class, Class::Invalid);
    }

    fn options(per_connection: bool) -> Options {
        Options { states: vec!["open", "waiting"], const_labels: Vec::new(), per_connection }
    }

    #[test]
    fn known_label_values_show_at_zero_from_the_start() {
        let (_, exposition) = Families::new(options(false));
        let text = exposition.encode(Format::Prometheus);
        for line in [
            "wsmon_connections{state=\"open\"} 0",
            "wsmon_closes_total{code=\"1012\",class=\"service_restart\"} 0",
            "wsmon_closes_total{code=\"1004\",class=\"invalid\"} 0",
            "wsmon_closes_total{code=\"3xxx\",class=\"registered\"} 0",
            "wsmon_closes_total{code=\"other\",class=\"invalid\"} 0",
            "wsmon_protocol_errors_total{cause=\"invalid_close_code\"} 0",
            "wsmon_handshake_failures_total{stage=\"timeout\"} 0",
            "wsmon_reconnects_total{rule=\"try_again_later\"} 0",
            "wsmon_restart_waves_total{kind=\"abrupt\"} 0",
            "wsmon_rtt_seconds_count 0",
            "wsmon_wave_recovery_seconds_bucket{le=\"600\"} 0",
            "# TYPE wsmon_closes_total counter",
        ] {
            assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
        }
        let build = format!("wsmon_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"));
        assert!(text.contains(&build), "{text}");
        assert!(!text.contains("connection="), "no series per connection unless asked");
    }

    #[test]
    fn counts_land_on_their_labels() {
        let (mut families, exposition) = Families::new(options(false));
        families.count_close(1012, Class::ServiceRestart);
        families.count_close(4001, Class::Private);
        families.count_close(1004, Class::ProtocolError);
        families.count_reconnect("restart");
        families.count_reconnect("1012");
        families.count_reconnect("1012");
        families.state(1).inc();
        families.observe_rtt(0.003);
        let text = exposition.encode(Format::Prometheus);
        for line in [
            "wsmon_closes_total{code=\"1012\",class=\"service_restart\"} 1",
            "wsmon_closes_total{code=\"4xxx\",class=\"private\"} 1",
            "wsmon_closes_total{code=\"1004\",class=\"protocol_error\"} 1",
            "wsmon_reconnects_total{rule=\"restart\"} 1",
            "wsmon_reconnects_total{rule=\"1012\"} 2",
            "wsmon_connections{state=\"waiting\"} 1",
            "wsmon_rtt_seconds_bucket{le=\"0.005\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
        }
    }

    #[test]
    fn openmetrics_ends_with_eof() {
        let (_, exposition) = Families::new(options(false));
        let text = exposition.encode(Format::OpenMetrics);
        assert!(text.ends_with("# EOF\n"), "{text}");
        assert!(text.contains("# TYPE wsmon_closes counter"), "{text}");
    }

    #[test]
    fn a_hostile_name_stays_one_quoted_label_value() {
        let (families, exposition) = Families::new(options(true));
        let series = families.add_connection("a\"b\\c\nd} 1\nwsmon_fake 9").unwrap();
        series.set_up(true);
        let text = exposition.encode(Format::Prometheus);
        assert!(text.contains("wsmon_connection_up{connection=\"a\\\"b\\\\c\\nd} 1\\nwsmon_fake 9\"} 1\n"), "{text}");
        assert!(!text.lines().any(|line| line.starts_with("wsmon_fake")), "{text}");
        families.remove_connection("a\"b\\c\nd} 1\nwsmon_fake 9");
        assert!(!exposition.encode(Format::Prometheus).contains("connection="));
    }
}
