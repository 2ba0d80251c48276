//! The summary: what `watch` prints last, and what a replay must reproduce.
//! Built from the model's running aggregates; nothing is recounted.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Model, Percentiles, Problem, State, Wave, WaveKind};
use crate::close::{Cause, Class, Stage};
use crate::event::{ConnId, RttSamples, Traffic, Ts};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The first event's time, RFC 3339 (null when nothing happened).
    pub started: Option<String>,
    pub duration_ms: u64,
    /// `--shard K/N`: "2/3", the part of a profile this agent watched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    pub connections: u32,
    pub open_at_end: u32,
    /// Names of connections not open at the end (removed ones excluded).
    pub down_at_end: Vec<String>,
    /// Names of connections open but silent at the end.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub silent_at_end: Vec<String>,
    pub closes: u64,
    pub handshake_failures: u64,
    pub by_code: BTreeMap<String, u64>,
    pub by_class: BTreeMap<String, u64>,
    pub by_cause: BTreeMap<String, u64>,
    pub by_stage: BTreeMap<String, u64>,
    pub protocol_errors: Vec<ProtocolErrorCount>,
    pub waves_total: u32,
    /// The most recent waves, oldest first.
    pub waves: Vec<WaveSummary>,
    /// Close → next open, over every close.
    pub recovery: Percentiles,
    /// Messages and bytes over the session, every connection.
    #[serde(default)]
    pub traffic: Traffic,
    /// Pings answered over the session, every connection (none: no pong).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtt: Option<RttFigures>,
    /// The gates of `watch` that tripped (`--fail-on`, `--max-recovery`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tripped: Vec<Tripped>,
    /// Proxies in use (password as `***`) → how many connections go
    /// through each; absent when every connection goes direct.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub proxies: BTreeMap<String, u32>,
}

/// Round trips of every ping answered. The mean is to the microsecond: a
/// replay's comes from the log's summaries a minute each, rounded there.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RttFigures {
    pub pings: u64,
    pub min_ms: f64,
    pub mean_ms: f64,
    pub max_ms: f64,
}

impl RttFigures {
    fn of(samples: &RttSamples) -> Option<RttFigures> {
        let micros = |ms: f64| (ms * 1000.0).round() / 1000.0;
        (samples.count > 0).then(|| RttFigures {
            pings: samples.count,
            min_ms: micros(samples.min_ms),
            mean_ms: micros(samples.mean_ms()),
            max_ms: micros(samples.max_ms),
        })
    }
}

/// A gate that tripped, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tripped {
    /// The flag: `fail_on` or `max_recovery`.
    pub gate: String,
    /// In words: "protocol_error ×2", "api-3 came back after 12s".
    pub why: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProtocolErrorCount {
    pub cause: Cause,
    pub conn: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaveSummary {
    pub number: u32,
    pub kind: WaveKind,
    pub started: String,
    pub last_close: String,
    pub in_progress: bool,
    /// When every connection it hit was back, or its ceiling (null while on).
    #[serde(default)]
    pub ended: Option<String>,
    /// From the first close to `ended`.
    #[serde(default)]
    pub duration_ms: Option<u64>,
    pub hit: u32,
    pub back: u32,
    pub still_down: u32,
    /// Back, but silent since (`expect_message_within`): not recovered.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub silent: u32,
    /// The connections not recovered (still down, or silent), by name
    /// (the first hundred).
    #[serde(default)]
    pub stragglers: Vec<String>,
    pub recovery: Percentiles,
    /// Per service, by name.
    #[serde(default)]
    pub groups: Vec<GroupSummary>,
    /// How many problems, all kinds together.
    pub other_problems: u64,
    /// What they were.
    #[serde(default)]
    pub problems: Vec<ProblemSummary>,
}

/// One service's part in a wave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSummary {
    pub name: String,
    pub hit: u32,
    pub back: u32,
    pub still_down: u32,
    pub recovery: Percentiles,
}

/// One kind of problem while a wave was on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemSummary {
    /// `close 1006` or `handshake tcp`.
    pub what: String,
    pub count: u64,
    /// The first connections it happened to.
    pub conns: Vec<String>,
}

/// Stragglers named in a summary; `still_down` counts them all.
const STRAGGLERS_NAMED: usize = 100;

fn is_zero(count: &u32) -> bool {
    *count == 0
}

impl WaveSummary {
    /// `wave` as the summary tells it at `now`.
    pub fn of(wave: &Wave, model: &Model, now: Ts) -> WaveSummary {
        let name = |conn: ConnId| model.connection(conn).map(|c| c.name.clone()).unwrap_or_default();
        let mut stragglers: Vec<String> = model.waves().not_recovered_in(wave.number).map(name).collect();
        stragglers.sort();
        stragglers.truncate(STRAGGLERS_NAMED);
        let ended = wave.ended(now);
        let mut groups: Vec<GroupSummary> = wave
            .groups
            .iter()
            .enumerate()
            .filter(|(_, figures)| figures.hit > 0)
            .map(|(group, figures)| GroupSummary {
                name: model.groups().name(group as u32).to_string(),
                hit: figures.hit,
                back: figures.back,
                still_down: figures.hit - figures.back,
                recovery: Percentiles::exact(&figures.recovery_ms),
            })
            .collect();
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        let problems = wave
            .problems
            .iter()
            .map(|counted| ProblemSummary {
                what: match counted.problem {
                    Problem::Close(code) => format!("close {code}"),
                    Problem::Handshake(stage) => format!("handshake {}", stage.as_str()),
                },
                count: counted.count,
                // By name, like every list of the summary: the same in a replay.
                conns: {
                    let mut names: Vec<String> = counted.conns.iter().map(|conn| name(*conn)).collect();
                    names.sort();
                    names
                },
            })
            .collect();
        WaveSummary {
            number: wave.number,
            kind: wave.kind,
            started: wave.started.rfc3339(),
            last_close: wave.last_close.rfc3339(),
            in_progress: ended.is_none(),
            ended: ended.map(Ts::rfc3339),
            duration_ms: ended.map(|ended| ended.millis_since(wave.started)),
            hit: wave.hit,
            back: wave.back,
            still_down: wave.still_down(),
            silent: wave.silent,
            stragglers,
            recovery: wave.recovery.figures(),
            groups,
            other_problems: wave.other_problems(),
            problems,
        }
    }
}

impl Model {
    /// The summary as of `now` (which decides whether a wave is still on).
    pub fn summary(&self, now: Ts) -> Summary {
        let totals = self.totals();
        let present = self.connections().iter().filter(|conn| conn.state != State::Removed);
        let (open, down): (Vec<_>, Vec<_>) = present.partition(|conn| conn.is_open());
        // By name, not by id: a replay numbers connections in the order the
        // log first mentions them, which is not the order they were added.
        let mut down_at_end: Vec<String> = down.iter().map(|conn| conn.name.clone()).collect();
        down_at_end.sort();
        let mut silent_at_end: Vec<String> =
            open.iter().filter(|conn| conn.silent_since.is_some()).map(|conn| conn.name.clone()).collect();
        silent_at_end.sort();
        let mut protocol_errors: Vec<ProtocolErrorCount> = self
            .totals()
            .protocol_errors
            .iter()
            .map(|((cause, conn), count)| ProtocolErrorCount {
                cause: *cause,
                conn: self.connection(*conn).map(|c| c.name.clone()).unwrap_or_default(),
                count: *count,
            })
            .collect();
        protocol_errors.sort_by(|a, b| (a.cause, &a.conn).cmp(&(b.cause, &b.conn)));
        let nonzero = |pairs: &mut dyn Iterator<Item = (&'static str, u64)>| {
            pairs.filter(|(_, count)| *count > 0).map(|(name, count)| (name.to_string(), count)).collect()
        };
        Summary {
            started: self.first_event().map(Ts::rfc3339),
            duration_ms: self.first_event().map_or(0, |first| now.millis_since(first)),
            shard: self.shard().map(String::from),
            connections: (open.len() + down.len()) as u32,
            open_at_end: open.len() as u32,
            down_at_end,
            silent_at_end,
            closes: totals.closes,
            handshake_failures: totals.handshake_failures,
            by_code: totals.by_code.iter().map(|(code, count)| (code.to_string(), *count)).collect(),
            by_class: nonzero(&mut Class::ALL.iter().map(|class| (class.as_str(), totals.by_class[class.index()]))),
            by_cause: nonzero(&mut Cause::ALL.iter().map(|cause| (cause.as_str(), totals.by_cause[cause.index()]))),
            by_stage: nonzero(&mut Stage::ALL.iter().map(|stage| (stage.as_str(), totals.by_stage[stage.index()]))),
            protocol_errors,
            waves_total: self.waves().total(),
            waves: self.waves().recent().map(|wave| WaveSummary::of(wave, self, now)).collect(),
            recovery: self.recovery().figures(),
            traffic: totals.traffic,
            rtt: RttFigures::of(&totals.rtt),
            tripped: Vec::new(),
            proxies: self.proxies(),
        }
    }
}
