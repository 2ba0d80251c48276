//! What a session log holds back per connection and writes at most once a
//! minute: traffic deltas summed (exact), RTT samples summarised (count,
//! min, mean, max, last). One line per ping made a log of 10,000
//! connections grow about 430 MB an hour; one summary per connection and
//! minute keeps every figure the model shows.

use crate::event::{EventKind, RttSamples, RttSummary, Traffic};

#[derive(Debug, Default)]
pub struct Pending {
    traffic: Traffic,
    rtt: RttSamples,
}

impl Pending {
    pub fn add_traffic(&mut self, delta: &Traffic) {
        self.traffic.add(delta);
    }

    pub fn add_rtt(&mut self, rtt_ms: f64) {
        self.rtt.add(rtt_ms);
    }

    /// The events that stand for what was held (RTT first), leaving nothing held.
    pub fn take(&mut self) -> impl Iterator<Item = EventKind> {
        let rtt = std::mem::take(&mut self.rtt);
        let traffic = std::mem::take(&mut self.traffic);
        let summary = (rtt.count > 0).then(|| {
            EventKind::RttSummary(RttSummary {
                // A minute of pings at the fastest interval fits easily.
                count: u32::try_from(rtt.count).unwrap_or(u32::MAX),
                min_ms: micros(rtt.min_ms),
                mean_ms: micros(rtt.mean_ms()),
                max_ms: micros(rtt.max_ms),
                last_ms: micros(rtt.last_ms),
            })
        });
        summary.into_iter().chain((!traffic.is_empty()).then_some(EventKind::Traffic(traffic)))
    }
}

/// Milliseconds to the microsecond: finer digits only lengthen the line.
fn micros(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtt_samples_become_one_summary_and_traffic_one_sum() {
        let mut pending = Pending::default();
        assert_eq!(pending.take().count(), 0, "nothing held, nothing written");
        for rtt in [0.4, 0.2, 1.0000004, 0.3] {
            pending.add_rtt(rtt);
        }
        let delta = Traffic { msgs_in: 2, bytes_in: 20, msgs_out: 1, bytes_out: 5 };
        pending.add_traffic(&delta);
        pending.add_traffic(&delta);
        let taken: Vec<EventKind> = pending.take().collect();
        assert_eq!(
            taken,
            [
                EventKind::RttSummary(RttSummary { count: 4, min_ms: 0.2, mean_ms: 0.475, max_ms: 1.0, last_ms: 0.3 }),
                EventKind::Traffic(Traffic { msgs_in: 4, bytes_in: 40, msgs_out: 2, bytes_out: 10 }),
            ]
        );
        assert_eq!(pending.take().count(), 0, "taking empties it");
        pending.add_rtt(2.5);
        let again: Vec<EventKind> = pending.take().collect();
        let [EventKind::RttSummary(summary)] = again.as_slice() else { panic!("{again:?}") };
        assert_eq!((summary.count, summary.min_ms, summary.max_ms), (1, 2.5, 2.5), "a fresh minute");
    }
}
