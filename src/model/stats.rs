//! Latency percentiles in bounded memory: O(1) to record, exact enough
//! (two significant digits; the maximum is exact) for recovery times
//! shown to a person.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Longer durations are recorded as this (a day) in the histogram.
const LONGEST_MS: u64 = 24 * 3_600 * 1_000;

#[derive(Debug, Clone)]
pub struct Millis {
    histogram: Histogram<u64>,
    /// Exact, where the histogram would round to its bucket.
    max: u64,
}

impl Default for Millis {
    fn default() -> Self {
        Millis { histogram: Histogram::new_with_bounds(1, LONGEST_MS, 2).expect("valid bounds and precision"), max: 0 }
    }
}

impl Millis {
    pub fn record(&mut self, ms: u64) {
        self.histogram.saturating_record(ms);
        self.max = self.max.max(ms);
    }

    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    pub fn figures(&self) -> Percentiles {
        if self.histogram.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            count: self.histogram.len(),
            p50_ms: Some(self.histogram.value_at_quantile(0.50).min(self.max)),
            p95_ms: Some(self.histogram.value_at_quantile(0.95).min(self.max)),
            max_ms: Some(self.max),
        }
    }
}

/// p50 / p95 / max of a set of durations, none when the set is empty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50_ms: Option<u64>,
    pub p95_ms: Option<u64>,
    pub max_ms: Option<u64>,
}

impl Percentiles {
    /// Of a few samples kept whole (one service's part in a wave): exact,
    /// by nearest rank.
    pub fn exact(samples: &[u64]) -> Percentiles {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let rank = |q: f64| sorted.get(((q * sorted.len() as f64).ceil() as usize).max(1) - 1).copied();
        Percentiles {
            count: sorted.len() as u64,
            p50_ms: rank(0.50),
            p95_ms: rank(0.95),
            max_ms: sorted.last().copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_percentiles_by_nearest_rank() {
        assert_eq!(Percentiles::exact(&[]), Percentiles::default());
        let samples: Vec<u64> = (1..=20).rev().map(|n| n * 100).collect();
        let figures = Percentiles::exact(&samples);
        assert_eq!(
            (figures.count, figures.p50_ms, figures.p95_ms, figures.max_ms),
            (20, Some(1_000), Some(1_900), Some(2_000))
        );
        assert_eq!(Percentiles::exact(&[700]).p50_ms, Some(700));
    }

    #[test]
    fn percentiles_of_recorded_values() {
        let mut millis = Millis::default();
        assert_eq!(millis.figures(), Percentiles::default());
        for ms in 1..=100 {
            millis.record(ms * 100);
        }
        let figures = millis.figures();
        assert_eq!(figures.count, 100);
        let close = |value: Option<u64>, expected: u64| value.unwrap().abs_diff(expected) <= expected / 50;
        assert!(close(figures.p50_ms, 5_000), "{figures:?}");
        assert!(close(figures.p95_ms, 9_500), "{figures:?}");
        assert_eq!(figures.max_ms, Some(10_000), "the max is exact");
    }
}
