//! The clock of a followed stream (docs/ARCHITECTURE.md, "Following a
//! stream"). Its time is the stream's: the newest event's timestamp, never
//! the local wall clock, since the remote agent's clock may differ from
//! this one. Between events it moves on with the local time elapsed (a
//! monotonic `Instant`), so countdowns, "ago" and a wave's quiet period
//! move, but never more than `LEAD` past the newest event: a stream that
//! stalls (a hung ssh) stops the clock there rather than let it invent
//! time. It never steps back while the stream runs: events that arrive
//! late, stamped before what the clock shows, leave it where it is. When
//! the stream ends (its summary line, or the end of stdin) it stands at
//! the end, as a replay of the whole log would.

use std::time::{Duration, Instant};

use crate::event::Ts;
use crate::recording::PENDING_EVERY_MS;

/// How far the clock runs on past the newest event. A session log writes
/// something at least this often while a connection pings
/// (`PENDING_EVERY_MS`), and `watch --json` an `rtt` line per ping (15 s
/// by default), so a healthy stream never runs out of it.
pub const LEAD: Duration = Duration::from_millis(PENDING_EVERY_MS);

#[derive(Debug, Clone, Default)]
pub struct StreamClock {
    /// The newest event time seen.
    newest: Option<Ts>,
    /// What the clock read when the last events came, and when that was.
    anchor: Option<(Ts, Instant)>,
    /// Where it stands since the stream ended.
    end: Option<Ts>,
}

impl StreamClock {
    /// Events came `at`, the newest stamped `newest`. After an end (a
    /// summary line), events mean the stream goes on: the clock runs again.
    pub fn saw(&mut self, newest: Ts, at: Instant) {
        let shown = self.read(at);
        let newest = self.newest.map_or(newest, |before| before.max(newest));
        self.newest = Some(newest);
        self.end = None;
        self.anchor = Some((shown.map_or(newest, |shown| shown.max(newest)), at));
    }

    /// The stream ended: the clock stands at `at` (its summary's time),
    /// else at its newest event.
    pub fn stop(&mut self, at: Option<Ts>) {
        self.end = at.or(self.end).or(self.newest);
    }

    /// The stream's time as of `at`; None before its first event.
    pub fn read(&self, at: Instant) -> Option<Ts> {
        if self.end.is_some() {
            return self.end;
        }
        let (anchor, since) = self.anchor?;
        let newest = self.newest?;
        let elapsed = u64::try_from(at.saturating_duration_since(since).as_millis()).unwrap_or(u64::MAX);
        Some(anchor.plus_millis(elapsed).min(newest.plus_millis(LEAD.as_millis() as u64)))
    }

    /// The clock moves: events came and the stream has not ended.
    pub fn is_running(&self) -> bool {
        self.newest.is_some() && self.end.is_none()
    }

    /// Running, but as far past the newest event as it goes: it waits for
    /// the stream.
    pub fn is_held(&self, at: Instant) -> bool {
        let limit = self.newest.map(|newest| newest.plus_millis(LEAD.as_millis() as u64));
        self.is_running() && self.read(at) == limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn the_clock_is_the_streams_and_moves_on_between_events_up_to_its_lead() {
        let start = Instant::now();
        let mut clock = StreamClock::default();
        assert_eq!(clock.read(start), None, "no time before the first event");
        assert!(!clock.is_running());
        // The remote clock is a day behind this one: its time is what counts.
        let remote = Ts(1_795_000_000_000);
        clock.saw(remote, start);
        assert_eq!(clock.read(start), Some(remote));
        assert_eq!(clock.read(start + 2 * SECOND), Some(remote.plus_millis(2_000)), "countdowns move");
        assert!(!clock.is_held(start + 2 * SECOND));
        assert_eq!(clock.read(start + LEAD * 3), Some(remote.plus_millis(LEAD.as_millis() as u64)), "held");
        assert!(clock.is_held(start + LEAD * 3));
        clock.saw(remote.plus_millis(90_000), start + LEAD * 3);
        assert_eq!(clock.read(start + LEAD * 3), Some(remote.plus_millis(90_000)), "a new event moves it on");
    }

    #[test]
    fn late_events_never_set_it_back_and_it_never_runs_past_its_lead() {
        let start = Instant::now();
        let mut clock = StreamClock::default();
        let remote = Ts(1_795_000_000_000);
        clock.saw(remote, start);
        // 5 s later, events stamped 1 s after the first arrive (delayed on the way).
        clock.saw(remote.plus_millis(1_000), start + 5 * SECOND);
        assert_eq!(clock.read(start + 5 * SECOND), Some(remote.plus_millis(5_000)), "not back to +1 s");
        assert_eq!(clock.read(start + 6 * SECOND), Some(remote.plus_millis(6_000)));
        // Stalled, then late events: still within the lead of the newest.
        let later = start + LEAD * 2;
        clock.saw(remote.plus_millis(2_000), later);
        let lead = LEAD.as_millis() as u64;
        assert_eq!(clock.read(later + LEAD), Some(remote.plus_millis(2_000 + lead)), "LEAD past the newest at most");
    }

    #[test]
    fn at_the_end_it_stands_at_the_summary_or_the_newest_event() {
        let start = Instant::now();
        let mut clock = StreamClock::default();
        let remote = Ts(1_795_000_000_000);
        clock.saw(remote, start);
        clock.stop(None);
        assert_eq!(clock.read(start + LEAD), Some(remote), "the end of stdin: the newest event");
        assert!(!clock.is_running() && !clock.is_held(start + LEAD));
        clock.saw(remote.plus_millis(1_000), start);
        clock.stop(Some(remote.plus_millis(3_000)));
        clock.stop(None);
        assert_eq!(clock.read(start + LEAD), Some(remote.plus_millis(3_000)), "the summary's time stays");
    }
}
