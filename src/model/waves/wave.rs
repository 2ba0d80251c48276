//! One wave: who it hit, who came back and how fast, per service, and the
//! problems seen while it lasted.

use super::super::stats::Millis;
use crate::close::{Stage, WaveKind};
use crate::event::{ConnId, Ts};

/// When a wave ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaveRules {
    /// Once every connection it hit is back, a wave ends when this long
    /// passed without another close of its kind.
    pub quiet_ms: u64,
    /// A wave that never recovers ends this long after it started, with
    /// its stragglers named.
    pub ceiling_ms: u64,
}

impl Default for WaveRules {
    fn default() -> WaveRules {
        WaveRules { quiet_ms: 10_000, ceiling_ms: 300_000 }
    }
}

impl WaveRules {
    /// The same rules for a fleet whose every delay is divided by
    /// `divisor` (the demo's `--speed`).
    pub fn sped_up(self, divisor: f64) -> WaveRules {
        let scale = |ms: u64| (ms as f64 / divisor).round() as u64;
        WaveRules { quiet_ms: scale(self.quiet_ms), ceiling_ms: scale(self.ceiling_ms) }
    }
}

/// One service's part in a wave.
#[derive(Debug, Clone, Default)]
pub struct GroupFigures {
    pub hit: u32,
    pub back: u32,
    /// Close → next open of each connection that came back (bounded by
    /// `hit`: exact percentiles without a histogram per service).
    pub recovery_ms: Vec<u64>,
}

/// What else went wrong while a wave was on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Problem {
    /// A close that is not the wave's own (a 1006 in a restart wave: a
    /// crash during the deploy).
    Close(u16),
    /// A connection the wave did not hit failed to open.
    Handshake(Stage),
}

/// Connections named per problem; more are counted.
const NAMED_PER_PROBLEM: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemCount {
    pub problem: Problem,
    pub count: u64,
    /// The first few connections it happened to, each once.
    pub conns: Vec<ConnId>,
}

#[derive(Debug, Clone)]
pub struct Wave {
    pub number: u32,
    pub kind: WaveKind,
    pub started: Ts,
    pub last_close: Ts,
    pub hit: u32,
    pub back: u32,
    /// Of those back, how many went silent while the wave was on (and
    /// still are): back but not recovered.
    pub silent: u32,
    /// When a connection it hit last came back.
    pub last_back: Option<Ts>,
    /// Close → next open, per connection that came back.
    pub recovery: Millis,
    /// By group (service) index.
    pub groups: Vec<GroupFigures>,
    pub problems: Vec<ProblemCount>,
    pub rules: WaveRules,
}

impl Wave {
    pub(super) fn new(number: u32, kind: WaveKind, started: Ts, rules: WaveRules) -> Wave {
        Wave {
            number,
            kind,
            started,
            last_close: started,
            hit: 0,
            back: 0,
            silent: 0,
            last_back: None,
            recovery: Millis::default(),
            groups: Vec::new(),
            problems: Vec::new(),
            rules,
        }
    }

    pub fn still_down(&self) -> u32 {
        self.hit - self.back
    }

    /// Down, or back but silent.
    pub fn not_recovered(&self) -> u32 {
        self.still_down() + self.silent
    }

    /// Whether the wave is still on at `now`: someone it hit has not
    /// recovered or the quiet period is not over, and the ceiling is not
    /// reached.
    pub fn in_progress(&self, now: Ts) -> bool {
        let settled = self.not_recovered() == 0 && now >= self.last_close.plus_millis(self.rules.quiet_ms);
        !settled && now < self.ceiling()
    }

    /// When it ended, by `now`: when the last connection came back, or at
    /// the ceiling with stragglers. None while it is on.
    pub fn ended(&self, now: Ts) -> Option<Ts> {
        if self.in_progress(now) {
            return None;
        }
        match self.not_recovered() {
            0 => Some(self.last_back.unwrap_or(self.last_close).min(self.ceiling())),
            _ => Some(self.ceiling()),
        }
    }

    /// Every problem counted.
    pub fn other_problems(&self) -> u64 {
        self.problems.iter().map(|problem| problem.count).sum()
    }

    fn ceiling(&self) -> Ts {
        self.started.plus_millis(self.rules.ceiling_ms)
    }

    pub(super) fn group_mut(&mut self, group: u32) -> &mut GroupFigures {
        let index = group as usize;
        if self.groups.len() <= index {
            self.groups.resize_with(index + 1, GroupFigures::default);
        }
        &mut self.groups[index]
    }

    pub(super) fn count_problem(&mut self, problem: Problem, conn: ConnId) {
        let index = match self.problems.iter().position(|counted| counted.problem == problem) {
            Some(index) => index,
            None => {
                self.problems.push(ProblemCount { problem, count: 0, conns: Vec::new() });
                self.problems.sort_by_key(|counted| counted.problem);
                self.problems.iter().position(|counted| counted.problem == problem).expect("just added")
            }
        };
        let counted = &mut self.problems[index];
        counted.count += 1;
        if counted.conns.len() < NAMED_PER_PROBLEM && !counted.conns.contains(&conn) {
            counted.conns.push(conn);
        }
    }
}
