//! Waves: bursts of closes across connections that a deployment (or a
//! crash) causes, with how many came back, how fast, and per service.
//!
//! A *restart* wave starts with a restart close (1012 or 1001 from the
//! server: `close::facts`) and takes in every restart close that follows
//! while it is on. It ends once every connection it hit is open again and
//! no restart close came for the quiet period (10 s by default), so
//! deployments 30 s apart are separate waves; one that never recovers ends
//! at a ceiling (5 min) with its stragglers named. An *abrupt* wave is
//! 1006 with no close frame on two connections or more within two seconds
//! while no wave is on (SIGKILL, `nginx -s reload`); it ends the same way.
//! While a wave is on, every other close, and every failure of a
//! connection it did not hit, is one of its problems, counted by what it
//! was: a crash during a deploy (1006s inside a restart wave) is reported,
//! never absorbed. Everything is driven by event timestamps.

mod wave;

use std::collections::VecDeque;

pub use wave::{GroupFigures, Problem, ProblemCount, Wave, WaveRules};

use crate::close::{WaveKind, facts};
use crate::event::{CloseRecord, ConnId, HandshakeFailure, Ts};

/// 1006 closes this close together, on two connections or more, are a wave.
pub const ABRUPT_WINDOW_MS: u64 = 2_000;
/// Waves kept in detail; the count of all waves is kept forever.
pub const WAVES_KEPT: usize = 32;

/// A connection's place in the latest wave that hit it.
#[derive(Debug, Clone, Copy, Default)]
struct Membership {
    wave: u32,
    /// The connection's service, for the wave's breakdown.
    group: u32,
    /// Set while the connection is down from that wave's close.
    down_since: Option<Ts>,
    /// Back, but its feed went silent while the wave was on: not recovered.
    silent: bool,
    /// When the connection last opened, to settle closes enrolled late.
    last_open: Option<Ts>,
}

#[derive(Debug, Clone, Default)]
pub struct Waves {
    rules: WaveRules,
    recent: VecDeque<Wave>,
    total: u32,
    members: Vec<Membership>,
    /// Recent 1006 closes while no wave runs: maybe the start of one.
    abrupt_candidates: VecDeque<(Ts, ConnId, u32)>,
}

impl Waves {
    pub fn new(rules: WaveRules) -> Waves {
        Waves { rules, ..Waves::default() }
    }

    /// Room for `additional` more connections (`Model::reserve`).
    pub fn reserve(&mut self, additional: usize) {
        self.members.reserve_exact(additional);
    }

    pub fn recent(&self) -> impl DoubleEndedIterator<Item = &Wave> + ExactSizeIterator {
        self.recent.iter()
    }

    pub fn total(&self) -> u32 {
        self.total
    }

    /// The wave in progress at `now`, if any.
    pub fn current(&self, now: Ts) -> Option<&Wave> {
        self.recent.back().filter(|wave| wave.in_progress(now))
    }

    fn current_mut(&mut self, now: Ts) -> Option<&mut Wave> {
        self.recent.back_mut().filter(|wave| wave.in_progress(now))
    }

    /// The wave `conn` is down from, if any.
    pub fn down_in(&self, conn: ConnId) -> Option<u32> {
        self.members.get(conn.index()).filter(|m| m.down_since.is_some()).map(|m| m.wave)
    }

    /// The connections a wave hit that have not recovered: still down
    /// from it, or back but silent.
    pub fn not_recovered_in(&self, number: u32) -> impl Iterator<Item = ConnId> + '_ {
        let down = move |(index, m): (usize, &Membership)| {
            (m.wave == number && (m.down_since.is_some() || m.silent)).then_some(index)
        };
        self.members.iter().enumerate().filter_map(down).map(|index| ConnId(index as u32))
    }

    /// Connection `conn` of service `group` closed.
    pub fn on_close(&mut self, at: Ts, conn: ConnId, group: u32, record: &CloseRecord) {
        let kind = facts(record.code).wave(record.initiator);
        let current = self.current(at).map(|wave| wave.kind);
        match (kind, current) {
            (Some(WaveKind::Restart), Some(WaveKind::Restart)) | (Some(WaveKind::Abrupt), Some(WaveKind::Abrupt)) => {}
            // A deploy while connections are still down from a crash: the deploy is its own wave.
            (Some(WaveKind::Restart), _) => self.start(at, WaveKind::Restart),
            (Some(WaveKind::Abrupt), None) => {
                if !self.abrupt_burst(at, conn, group) {
                    return;
                }
            }
            // Not the wave's own close: one of its problems.
            (_, Some(_)) => {
                let wave = self.current_mut(at).expect("a wave is on");
                wave.count_problem(Problem::Close(record.code), conn);
                return;
            }
            (None, None) => return,
        }
        let wave = self.recent.back_mut().expect("a wave is on");
        wave.last_close = wave.last_close.max(at);
        let number = wave.number;
        self.join(number, conn, group, at);
    }

    /// A connection failed to open. Members failing while their servers
    /// restart is the wave itself; anyone else failing is a problem.
    pub fn on_failure(&mut self, at: Ts, conn: ConnId, failure: &HandshakeFailure) {
        let down_in = self.members.get(conn.index()).filter(|m| m.down_since.is_some()).map(|m| m.wave);
        if let Some(wave) = self.current_mut(at)
            && down_in != Some(wave.number)
        {
            wave.count_problem(Problem::Handshake(failure.stage), conn);
        }
    }

    pub fn on_open(&mut self, at: Ts, conn: ConnId) {
        let membership = self.membership(conn);
        membership.last_open = Some(at);
        let Some(down_since) = membership.down_since.take() else { return };
        let (number, group) = (membership.wave, membership.group);
        if let Some(wave) = self.recent.iter_mut().rev().find(|wave| wave.number == number) {
            back(wave, group, at, at.millis_since(down_since));
        }
    }

    /// A connection went silent: if the wave on hit it and it came back,
    /// it is back but silent, which is not recovered.
    pub fn on_silent(&mut self, at: Ts, conn: ConnId) {
        let Some(wave) = self.recent.back().filter(|wave| wave.in_progress(at)).map(|wave| wave.number) else {
            return;
        };
        let Some(membership) = self.members.get_mut(conn.index()) else { return };
        if membership.wave == wave && membership.down_since.is_none() && !membership.silent {
            membership.silent = true;
            self.recent.back_mut().expect("the wave on").silent += 1;
        }
    }

    /// A silent connection received a message.
    pub fn on_heard(&mut self, conn: ConnId) {
        self.unsilence(conn);
    }

    fn unsilence(&mut self, conn: ConnId) {
        let Some(membership) = self.members.get_mut(conn.index()).filter(|m| m.silent) else { return };
        membership.silent = false;
        let number = membership.wave;
        if let Some(wave) = self.recent.iter_mut().rev().find(|wave| wave.number == number) {
            wave.silent -= 1;
        }
    }

    /// The user removed a connection: a wave no longer waits for it.
    pub fn on_removed(&mut self, conn: ConnId) {
        self.unsilence(conn);
        let Some(membership) = self.members.get_mut(conn.index()) else { return };
        if membership.down_since.take().is_none() {
            return;
        }
        let (number, group) = (membership.wave, membership.group);
        if let Some(wave) = self.recent.iter_mut().rev().find(|wave| wave.number == number) {
            wave.hit -= 1;
            wave.group_mut(group).hit -= 1;
        }
    }

    fn start(&mut self, at: Ts, kind: WaveKind) {
        self.total += 1;
        if self.recent.len() == WAVES_KEPT {
            self.recent.pop_front();
        }
        self.recent.push_back(Wave::new(self.total, kind, at, self.rules));
    }

    /// Record a 1006 close outside a wave; start an abrupt wave (and enrol
    /// the earlier closes of the burst) once enough connections dropped.
    fn abrupt_burst(&mut self, at: Ts, conn: ConnId, group: u32) -> bool {
        while self.abrupt_candidates.front().is_some_and(|(then, ..)| at.millis_since(*then) > ABRUPT_WINDOW_MS) {
            self.abrupt_candidates.pop_front();
        }
        // The queue never holds two connections (that starts a wave and
        // empties it), so one other connection in it makes the burst.
        let burst = self.abrupt_candidates.iter().any(|(_, earlier, _)| *earlier != conn);
        self.abrupt_candidates.push_back((at, conn, group));
        if !burst {
            return false;
        }
        let mut burst = std::mem::take(&mut self.abrupt_candidates);
        burst.pop_back(); // the latest close: the caller enrols it
        let first_at = burst.front().map_or(at, |(then, ..)| *then);
        self.start(first_at, WaveKind::Abrupt);
        let number = self.total;
        for (then, earlier, group) in burst {
            self.join(number, earlier, group, then);
        }
        true
    }

    fn membership(&mut self, conn: ConnId) -> &mut Membership {
        if self.members.len() <= conn.index() {
            self.members.resize(conn.index() + 1, Membership::default());
        }
        &mut self.members[conn.index()]
    }

    fn join(&mut self, number: u32, conn: ConnId, group: u32, at: Ts) {
        // Down again: no longer back-but-silent, down.
        self.unsilence(conn);
        let membership = self.membership(conn);
        let first_time = membership.wave != number;
        let was_back = !first_time && membership.down_since.is_none();
        if first_time || was_back {
            *membership = Membership {
                wave: number,
                group,
                down_since: Some(at),
                silent: false,
                last_open: membership.last_open,
            };
        }
        let reopened = membership.last_open.filter(|opened| *opened > at);
        let wave = self.recent.back_mut().expect("joining the newest wave");
        if first_time {
            wave.hit += 1;
            wave.group_mut(group).hit += 1;
        } else if was_back {
            // Came back, and went down again within the same wave.
            wave.back -= 1;
            wave.group_mut(group).back -= 1;
        }
        // A close enrolled late (the start of an abrupt burst) may already
        // have been followed by an open.
        if let Some(opened) = reopened
            && (first_time || was_back)
        {
            self.members[conn.index()].down_since = None;
            back(wave, group, opened, opened.millis_since(at));
        }
    }
}

/// A connection the wave hit is open again after `recovery_ms`.
fn back(wave: &mut Wave, group: u32, at: Ts, recovery_ms: u64) {
    wave.back += 1;
    wave.last_back = Some(wave.last_back.map_or(at, |last| last.max(at)));
    wave.recovery.record(recovery_ms);
    let figures = wave.group_mut(group);
    figures.back += 1;
    figures.recovery_ms.push(recovery_ms);
}

#[cfg(test)]
mod tests;
