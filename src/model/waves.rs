//! Restart waves: bursts of closes across connections that a deployment
//! (or a crash) causes, with how many came back and how fast.
//!
//! A wave starts with a 1012 or 1001 close (a *restart* wave), or with 1006
//! closes on at least two connections within two seconds (an *abrupt* wave:
//! SIGKILL, `nginx -s reload`). While a wave is in progress every 1012,
//! 1001 and 1006 close joins it; it ends when 30 s pass without one.
//! Everything is driven by event timestamps, never the wall clock.

use std::collections::VecDeque;

use super::stats::Millis;
use crate::close::{WaveKind, facts};
use crate::event::{CloseRecord, ConnId, Ts};

/// A wave ends when this long passes without another wave close.
pub const QUIET_MS: u64 = 30_000;
/// 1006 closes this close together, on two connections or more, are a wave.
pub const ABRUPT_WINDOW_MS: u64 = 2_000;
/// Waves kept in detail; the count of all waves is kept forever.
pub const WAVES_KEPT: usize = 32;

#[derive(Debug, Clone)]
pub struct Wave {
    pub number: u32,
    pub kind: WaveKind,
    pub started: Ts,
    pub last_close: Ts,
    pub hit: u32,
    pub back: u32,
    /// Close → next open, per connection that came back.
    pub recovery: Millis,
    /// Other closes, and failures of connections the wave did not hit.
    pub other_problems: u64,
}

impl Wave {
    pub fn still_down(&self) -> u32 {
        self.hit - self.back
    }

    pub fn in_progress(&self, now: Ts) -> bool {
        now.millis_since(self.last_close) < QUIET_MS
    }
}

/// A connection's place in the latest wave that hit it.
#[derive(Debug, Clone, Copy, Default)]
struct Membership {
    wave: u32,
    /// Set while the connection is down from that wave's close.
    down_since: Option<Ts>,
    /// When the connection last opened, to settle closes enrolled late.
    last_open: Option<Ts>,
}

#[derive(Debug, Clone, Default)]
pub struct Waves {
    recent: VecDeque<Wave>,
    total: u32,
    members: Vec<Membership>,
    /// Recent 1006 closes while no wave runs: maybe the start of one.
    abrupt_candidates: VecDeque<(Ts, ConnId)>,
}

impl Waves {
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

    /// A connection closed. Only the closes the code table says (the
    /// server's own 1012 / 1001, drops with no close frame at all) can make
    /// or join a wave.
    pub fn on_close(&mut self, at: Ts, conn: ConnId, record: &CloseRecord) {
        let kind = facts(record.code).wave(record.initiator);
        let (restart, abrupt) = (kind == Some(WaveKind::Restart), kind == Some(WaveKind::Abrupt));
        if !restart && !abrupt {
            if let Some(wave) = self.current_mut(at) {
                wave.other_problems += 1;
            }
            return;
        }
        if self.current(at).is_none() {
            if restart {
                self.start(at, WaveKind::Restart);
            } else if !self.abrupt_burst(at, conn) {
                return;
            }
        }
        let wave = self.recent.back_mut().expect("a wave is in progress");
        if restart {
            wave.kind = WaveKind::Restart;
        }
        wave.last_close = wave.last_close.max(at);
        let number = wave.number;
        self.join(number, conn, at);
    }

    /// A connection failed to open. Members failing while their servers
    /// restart is the wave itself; anyone else failing is another problem.
    pub fn on_failure(&mut self, at: Ts, conn: ConnId) {
        let down_in = self.member(conn).filter(|m| m.down_since.is_some()).map(|m| m.wave);
        if let Some(wave) = self.current_mut(at)
            && down_in != Some(wave.number)
        {
            wave.other_problems += 1;
        }
    }

    pub fn on_open(&mut self, at: Ts, conn: ConnId) {
        let membership = self.membership(conn);
        membership.last_open = Some(at);
        let Some(down_since) = membership.down_since.take() else { return };
        let number = membership.wave;
        if let Some(wave) = self.recent.iter_mut().rev().find(|wave| wave.number == number) {
            wave.back += 1;
            wave.recovery.record(at.millis_since(down_since));
        }
    }

    fn member(&self, conn: ConnId) -> Option<&Membership> {
        self.members.get(conn.index())
    }

    fn start(&mut self, at: Ts, kind: WaveKind) {
        self.total += 1;
        if self.recent.len() == WAVES_KEPT {
            self.recent.pop_front();
        }
        self.recent.push_back(Wave {
            number: self.total,
            kind,
            started: at,
            last_close: at,
            hit: 0,
            back: 0,
            recovery: Millis::default(),
            other_problems: 0,
        });
    }

    /// Record a 1006 close outside a wave; start an abrupt wave (and enrol
    /// the earlier closes of the burst) once enough connections dropped.
    fn abrupt_burst(&mut self, at: Ts, conn: ConnId) -> bool {
        while self.abrupt_candidates.front().is_some_and(|(then, _)| at.millis_since(*then) > ABRUPT_WINDOW_MS) {
            self.abrupt_candidates.pop_front();
        }
        // The queue never holds two connections (that starts a wave and
        // empties it), so one other connection in it makes the burst.
        let burst = self.abrupt_candidates.iter().any(|(_, earlier)| *earlier != conn);
        self.abrupt_candidates.push_back((at, conn));
        if !burst {
            return false;
        }
        let mut burst = std::mem::take(&mut self.abrupt_candidates);
        burst.pop_back(); // the latest close: the caller enrols it
        let first_at = burst.front().map_or(at, |(then, _)| *then);
        self.start(first_at, WaveKind::Abrupt);
        let number = self.total;
        for (then, earlier) in burst {
            self.join(number, earlier, then);
        }
        true
    }

    fn membership(&mut self, conn: ConnId) -> &mut Membership {
        if self.members.len() <= conn.index() {
            self.members.resize(conn.index() + 1, Membership::default());
        }
        &mut self.members[conn.index()]
    }

    fn join(&mut self, number: u32, conn: ConnId, at: Ts) {
        let membership = self.membership(conn);
        let first_time = membership.wave != number;
        let was_back = !first_time && membership.down_since.is_none();
        if first_time || was_back {
            membership.wave = number;
            membership.down_since = Some(at);
        }
        let reopened = membership.last_open.filter(|opened| *opened > at);
        let wave = self.recent.back_mut().expect("joining the newest wave");
        if first_time {
            wave.hit += 1;
        } else if was_back {
            // Came back, and went down again within the same wave.
            wave.back -= 1;
        }
        // A close enrolled late (the start of an abrupt burst) may already
        // have been followed by an open.
        if let Some(opened) = reopened
            && (first_time || was_back)
        {
            self.members[conn.index()].down_since = None;
            wave.back += 1;
            wave.recovery.record(opened.millis_since(at));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::close::{Class, Initiator};

    /// A close by the server, or (for `dropped`) by the transport.
    fn close(code: u16, initiator: Initiator) -> CloseRecord {
        CloseRecord {
            code,
            reason: String::new(),
            initiator,
            class: Class::of_code(code),
            cause: None,
            detail: None,
            connected_ms: 0,
        }
    }

    const C0: ConnId = ConnId(0);
    const C1: ConnId = ConnId(1);
    const C2: ConnId = ConnId(2);

    #[test]
    fn a_rolling_restart_is_one_wave_with_recovery_times() {
        let mut waves = Waves::default();
        waves.on_close(Ts(0), C0, &close(1012, Initiator::Server));
        waves.on_open(Ts(2_000), C0);
        waves.on_close(Ts(5_000), C1, &close(1012, Initiator::Server));
        waves.on_failure(Ts(6_000), C1); // still restarting: part of the wave
        waves.on_open(Ts(8_000), C1);
        waves.on_close(Ts(10_000), C2, &close(1001, Initiator::Server));
        let wave = waves.current(Ts(10_500)).unwrap();
        assert_eq!((wave.kind, wave.hit, wave.back, wave.still_down()), (WaveKind::Restart, 3, 2, 1));
        waves.on_open(Ts(14_000), C2);
        let wave = waves.current(Ts(14_000)).unwrap();
        assert_eq!((wave.hit, wave.back, wave.other_problems), (3, 3, 0));
        let figures = wave.recovery.figures();
        assert_eq!((figures.count, figures.max_ms), (3, Some(4_000)));
        assert_eq!(waves.total(), 1);
        assert!(waves.current(Ts(10_000 + QUIET_MS as i64)).is_none(), "ended after 30 s of quiet");
    }

    #[test]
    fn a_quiet_gap_starts_a_new_wave() {
        let mut waves = Waves::default();
        waves.on_close(Ts(0), C0, &close(1012, Initiator::Server));
        waves.on_close(Ts(QUIET_MS as i64 + 1), C1, &close(1012, Initiator::Server));
        assert_eq!(waves.total(), 2);
        assert_eq!(waves.recent().map(|w| w.hit).collect::<Vec<_>>(), [1, 1]);
    }

    #[test]
    fn a_connection_down_twice_in_one_wave_counts_once() {
        let mut waves = Waves::default();
        waves.on_close(Ts(0), C0, &close(1012, Initiator::Server));
        waves.on_open(Ts(1_000), C0);
        waves.on_close(Ts(2_000), C0, &close(1012, Initiator::Server));
        let wave = waves.current(Ts(2_000)).unwrap();
        assert_eq!((wave.hit, wave.back), (1, 0));
        waves.on_open(Ts(3_500), C0);
        let wave = waves.current(Ts(3_500)).unwrap();
        assert_eq!((wave.hit, wave.back, wave.recovery.count()), (1, 1, 2));
    }

    #[test]
    fn a_burst_of_dropped_connections_is_an_abrupt_wave() {
        let mut waves = Waves::default();
        waves.on_close(Ts(0), C0, &close(1006, Initiator::Transport));
        assert_eq!(waves.total(), 0, "one drop is not a wave");
        waves.on_close(Ts(800), C1, &close(1006, Initiator::Transport));
        let wave = waves.current(Ts(800)).unwrap();
        assert_eq!((wave.kind, wave.hit, wave.started), (WaveKind::Abrupt, 2, Ts(0)));
        waves.on_close(Ts(1_500), C2, &close(1006, Initiator::Transport));
        assert_eq!(waves.current(Ts(1_500)).unwrap().hit, 3);
        assert_eq!(waves.current(Ts(1_500)).unwrap().back, 0);
        waves.on_open(Ts(3_000), C0);
        assert_eq!(waves.current(Ts(3_000)).unwrap().recovery.figures().max_ms, Some(3_000));
    }

    #[test]
    fn a_drop_that_reopened_before_the_burst_was_seen_counts_as_back() {
        let mut waves = Waves::default();
        waves.on_close(Ts(0), C0, &close(1006, Initiator::Transport));
        waves.on_open(Ts(300), C0);
        waves.on_close(Ts(900), C1, &close(1006, Initiator::Transport));
        let wave = waves.current(Ts(900)).unwrap();
        assert_eq!((wave.hit, wave.back, wave.recovery.figures().max_ms), (2, 1, Some(300)));
    }

    #[test]
    fn scattered_drops_and_ping_timeouts_are_not_waves() {
        let mut waves = Waves::default();
        waves.on_close(Ts(0), C0, &close(1006, Initiator::Transport));
        waves.on_close(Ts(ABRUPT_WINDOW_MS as i64 + 1), C1, &close(1006, Initiator::Transport));
        waves.on_close(Ts(ABRUPT_WINDOW_MS as i64 + 2), C1, &close(1006, Initiator::Transport));
        assert_eq!(waves.total(), 0, "same connection twice is not a burst");
        waves.on_close(Ts(ABRUPT_WINDOW_MS as i64 + 3), C2, &close(1006, Initiator::Client));
        assert_eq!(waves.total(), 0, "ping timeouts are not transport drops");
    }

    #[test]
    fn other_problems_during_a_wave_are_counted() {
        let mut waves = Waves::default();
        waves.on_close(Ts(0), C0, &close(1012, Initiator::Server));
        waves.on_close(Ts(100), C1, &close(1002, Initiator::Server));
        waves.on_failure(Ts(200), C2);
        waves.on_failure(Ts(300), C0);
        assert_eq!(waves.current(Ts(300)).unwrap().other_problems, 2);
        waves.on_close(Ts(QUIET_MS as i64 + 500), C1, &close(1002, Initiator::Server));
        assert_eq!(waves.recent().next().unwrap().other_problems, 2, "after the wave nothing is added");
    }
}
