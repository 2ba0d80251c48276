//! Closes per second over the last minutes, by kind, so a restart wave is
//! visible at a glance. A fixed ring of one-second buckets: O(1) per close,
//! bounded memory, and driven by event time like the rest of the model.

use crate::close::{Class, WaveKind, facts};
use crate::event::{CloseRecord, Ts};

/// Seconds of history kept (ten minutes).
pub const SECONDS_KEPT: usize = 600;

/// What kind of close, for colouring the strip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseKind {
    /// 1012 / 1001 from the server.
    Restart,
    /// Closes that need attention: protocol errors and their kin.
    Protocol,
    /// 1006: no close frame.
    Dropped,
    Other,
}

impl CloseKind {
    pub const ALL: [CloseKind; 4] = [CloseKind::Restart, CloseKind::Protocol, CloseKind::Dropped, CloseKind::Other];

    pub fn of(record: &CloseRecord) -> CloseKind {
        let facts = facts(record.code);
        match record.class {
            _ if facts.wave(record.initiator) == Some(WaveKind::Restart) => CloseKind::Restart,
            Class::Abnormal => CloseKind::Dropped,
            _ if facts.needs_attention() => CloseKind::Protocol,
            _ => CloseKind::Other,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bucket {
    /// The second (since the epoch) this bucket counts; stale when older
    /// than the window.
    second: i64,
    pub counts: [u32; 4],
}

impl Bucket {
    pub fn total(&self) -> u32 {
        self.counts.iter().sum()
    }

    /// The kind with most closes in this second.
    pub fn dominant(&self) -> Option<CloseKind> {
        let (index, count) = self.counts.iter().enumerate().max_by_key(|(_, count)| **count)?;
        (*count > 0).then(|| CloseKind::ALL[index])
    }
}

#[derive(Debug, Clone)]
pub struct Activity {
    ring: Vec<Bucket>,
}

impl Default for Activity {
    fn default() -> Self {
        Activity { ring: vec![Bucket { second: i64::MIN, counts: [0; 4] }; SECONDS_KEPT] }
    }
}

impl Activity {
    pub fn record(&mut self, at: Ts, kind: CloseKind) {
        let second = at.0.div_euclid(1_000);
        let slot = &mut self.ring[second.rem_euclid(SECONDS_KEPT as i64) as usize];
        if slot.second != second {
            *slot = Bucket { second, counts: [0; 4] };
        }
        slot.counts[kind as usize] += 1;
    }

    /// The last `seconds` buckets up to `now`, oldest first; empty seconds
    /// are zero buckets.
    pub fn last(&self, now: Ts, seconds: usize) -> impl Iterator<Item = Bucket> + '_ {
        let newest = now.0.div_euclid(1_000);
        let seconds = seconds.min(SECONDS_KEPT) as i64;
        (newest - seconds + 1..=newest).map(move |second| {
            let slot = self.ring[second.rem_euclid(SECONDS_KEPT as i64) as usize];
            if slot.second == second { slot } else { Bucket { second, counts: [0; 4] } }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closes_land_in_their_second_and_old_seconds_fade() {
        let mut activity = Activity::default();
        activity.record(Ts(10_100), CloseKind::Restart);
        activity.record(Ts(10_900), CloseKind::Restart);
        activity.record(Ts(10_950), CloseKind::Dropped);
        activity.record(Ts(12_000), CloseKind::Protocol);
        let last: Vec<u32> = activity.last(Ts(12_500), 4).map(|bucket| bucket.total()).collect();
        assert_eq!(last, [0, 3, 0, 1]);
        let busiest = activity.last(Ts(12_500), 4).nth(1).unwrap();
        assert_eq!(busiest.dominant(), Some(CloseKind::Restart));

        let later = Ts(10_100 + SECONDS_KEPT as i64 * 1_000);
        activity.record(later, CloseKind::Other);
        let newest = activity.last(later, 1).next().unwrap();
        assert_eq!(newest.counts, [0, 0, 0, 1], "a reused slot starts from zero");
    }
}
