//! The reconnect policy: (what ended the connection, the failure streak so
//! far, the rules) → how long to wait, or `off`. Pure: randomness comes in
//! as a number in [0, 1), so tests pin every delay exactly.
//!
//! The defaults are the table in docs/ARCHITECTURE.md ("Reconnect policy"). The rule that started an outage
//! stays in force while later tries fail for ordinary reasons (a 1012 whose
//! first reconnect is refused because the server is still down keeps the
//! short restart backoff); a failure that needs attention (a protocol
//! error, an HTTP 4xx) takes over and starts its own, slower, schedule.

use std::fmt;

use crate::close::{Class, RuleKind, facts};
use crate::event::{CloseRecord, HandshakeFailure};
use crate::format::duration_ms;

/// The delays of each kind of rule (docs/ARCHITECTURE.md, "Reconnect
/// policy"); which kind a close falls under is `close::facts`.
pub fn default_rule(kind: RuleKind) -> Rule {
    let (first, base_ms, cap_ms, jitter) = match kind {
        RuleKind::Restart => (DelayRange::new(1_000, 5_000), 1_000, 30_000, Jitter::Equal),
        RuleKind::TryAgainLater => (DelayRange::new(5_000, 10_000), 20_000, 120_000, Jitter::Equal),
        RuleKind::Normal => (DelayRange::new(1_000, 5_000), 10_000, 60_000, Jitter::Equal),
        RuleKind::Transport => (DelayRange::new(0, 5_000), 10_000, 60_000, Jitter::Full),
        RuleKind::Protocol => (DelayRange::fixed(10_000), 20_000, 300_000, Jitter::Equal),
        RuleKind::Rejected => (DelayRange::fixed(30_000), 60_000, 300_000, Jitter::Equal),
    };
    Rule { first: Some(first), backoff: Backoff { base_ms, cap_ms, jitter } }
}

/// A delay drawn uniformly from `min_ms..=max_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DelayRange {
    pub min_ms: u64,
    pub max_ms: u64,
}

impl DelayRange {
    pub fn new(min_ms: u64, max_ms: u64) -> DelayRange {
        DelayRange { min_ms: min_ms.min(max_ms), max_ms: max_ms.max(min_ms) }
    }

    pub fn fixed(ms: u64) -> DelayRange {
        DelayRange { min_ms: ms, max_ms: ms }
    }

    fn pick(self, unit: f64) -> u64 {
        self.min_ms + scale(self.max_ms - self.min_ms, unit)
    }
}

impl fmt::Display for DelayRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min_ms == self.max_ms {
            write!(f, "{}", duration_ms(self.min_ms))
        } else {
            write!(f, "{}–{}", duration_ms(self.min_ms), duration_ms(self.max_ms))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// Uniform in 0..=ceiling: spreads a fleet widest.
    Full,
    /// Uniform in ceiling/2..=ceiling: never retries sooner than half the step.
    Equal,
}

/// Retry k (k ≥ 1, the first retry after the first delay failed) waits up
/// to `min(cap, base × 2^(k-1))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base_ms: u64,
    pub cap_ms: u64,
    pub jitter: Jitter,
}

impl Backoff {
    fn pick(self, retry: u32, unit: f64) -> u64 {
        let step = self.base_ms.saturating_mul(1u64 << (retry.saturating_sub(1)).min(40));
        let ceiling = step.min(self.cap_ms);
        match self.jitter {
            Jitter::Full => scale(ceiling, unit),
            Jitter::Equal => ceiling / 2 + scale(ceiling - ceiling / 2, unit),
        }
    }
}

/// A reconnect rule. `first: None` is `off`: stay closed until asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub first: Option<DelayRange>,
    pub backoff: Backoff,
}

impl Rule {
    /// One line for `wsmon codes` and the help: what this rule does.
    pub fn describe(&self) -> String {
        let Some(first) = self.first else {
            return "no reconnect until asked (rule is off)".into();
        };
        let Backoff { base_ms, cap_ms, jitter } = self.backoff;
        let jitter = match jitter {
            Jitter::Full => "full-jitter",
            Jitter::Equal => "equal-jitter",
        };
        format!(
            "first try after {first}; if that fails too, {jitter} backoff from {} ×2, cap {}",
            duration_ms(base_ms),
            duration_ms(cap_ms)
        )
    }
}

/// What a profile may say for a code or a class: a first delay, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSetting {
    Delay(DelayRange),
    Off,
}

/// What an override applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selector {
    Code(u16),
    Class(Class),
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Code(code) => write!(f, "{code}"),
            Selector::Class(class) => f.write_str(class.as_str()),
        }
    }
}

/// The defaults plus a profile's overrides (a code beats a class).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rules {
    pub overrides: Vec<(Selector, RuleSetting)>,
}

/// What ended the connection (or the attempt), as the policy sees it.
#[derive(Debug, Clone, Copy)]
pub enum Ending<'a> {
    Closed(&'a CloseRecord),
    HandshakeFailed(&'a HandshakeFailure),
}

/// The failure streak of one connection: carried between decisions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Streak {
    /// Failed tries under the rule in force, the first delay included.
    failures: u32,
    rule: Option<Applied>,
}

#[derive(Debug, Clone, PartialEq)]
struct Applied {
    kind: RuleKind,
    name: String,
    rule: Rule,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// None: the rule is `off`.
    pub delay_ms: Option<u64>,
    /// The rule's name: a default (`restart`) or the override's key (`1012`).
    pub rule: String,
    pub attention: bool,
}

impl Rules {
    fn applied(&self, ending: Ending<'_>) -> Applied {
        let (kind, code, class) = match ending {
            Ending::Closed(record) => (facts(record.code).rule, Some(record.code), record.class),
            Ending::HandshakeFailed(failure) => {
                (RuleKind::for_handshake(failure.stage, failure.http_status), None, Class::Handshake)
            }
        };
        let by_code = code.and_then(|code| self.find(Selector::Code(code)));
        let found = by_code.or_else(|| self.find(Selector::Class(class)));
        let mut rule = default_rule(kind);
        let name = match found {
            Some((selector, setting)) => {
                rule.first = match setting {
                    RuleSetting::Delay(range) => Some(range),
                    RuleSetting::Off => None,
                };
                selector.to_string()
            }
            None => kind.name().to_string(),
        };
        Applied { kind, name, rule }
    }

    fn find(&self, selector: Selector) -> Option<(Selector, RuleSetting)> {
        self.overrides.iter().rev().find(|(s, _)| *s == selector).copied()
    }

    /// Decide the wait before the next try. `connected_ms` is how long the
    /// connection had been open (None when it never opened); one that stayed
    /// open for the stability window starts a fresh streak.
    ///
    /// A restart close (1012, 1001) always waits its own rule's first delay
    /// (1–5 s by default), whatever came before: a service restarted twice
    /// in a row (a canary, then the rest) is expected back as soon as the
    /// first time. The streak then governs only the retries after tries that
    /// fail, so a service that keeps restarting still backs off there.
    pub fn decide(
        &self,
        streak: &mut Streak,
        ending: Ending<'_>,
        connected_ms: Option<u64>,
        stability_window_ms: u64,
        unit: f64,
    ) -> Decision {
        if connected_ms.is_some_and(|ms| ms >= stability_window_ms) {
            *streak = Streak::default();
        }
        let candidate = self.applied(ending);
        let restart_close = matches!(ending, Ending::Closed(_)) && candidate.kind == RuleKind::Restart;
        let current_kind = streak.rule.as_ref().map(|current| current.kind);
        let first_try = if restart_close {
            // Retries keep the backoff of restarts that came before, not another rule's.
            if current_kind != Some(RuleKind::Restart) {
                streak.failures = 0;
            }
            streak.rule = Some(candidate);
            true
        } else {
            let keep_current =
                current_kind.is_some_and(|current| !candidate.kind.needs_attention() || current == candidate.kind);
            if !keep_current {
                streak.rule = Some(candidate);
                streak.failures = 0;
            }
            streak.failures == 0
        };
        streak.failures += 1;
        let applied = streak.rule.as_ref().expect("a rule was just set");
        let delay_ms = applied.rule.first.map(|first| match streak.failures {
            _ if first_try => first.pick(unit),
            n => applied.rule.backoff.pick(n - 1, unit),
        });
        Decision { delay_ms, rule: applied.name.clone(), attention: applied.kind.needs_attention() }
    }
}

fn scale(span: u64, unit: f64) -> u64 {
    (span as f64 * unit.clamp(0.0, 1.0)).round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::close::{Initiator, Stage};

    const WINDOW: u64 = 10_000;

    fn closed(code: u16) -> CloseRecord {
        CloseRecord {
            code,
            reason: String::new(),
            initiator: Initiator::Server,
            class: Class::of_code(code),
            cause: None,
            detail: None,
            connected_ms: 60_000,
        }
    }

    fn failed(stage: Stage, http_status: Option<u16>) -> HandshakeFailure {
        HandshakeFailure { stage, http_status, detail: String::new() }
    }

    /// The first delay after a long-lived connection ends, at unit 0 and 1.
    fn first_delay_bounds(ending: Ending<'_>) -> (u64, u64, String, bool) {
        let rules = Rules::default();
        let low = rules.decide(&mut Streak::default(), ending, Some(60_000), WINDOW, 0.0);
        let high = rules.decide(&mut Streak::default(), ending, Some(60_000), WINDOW, 1.0);
        (low.delay_ms.unwrap(), high.delay_ms.unwrap(), low.rule, low.attention)
    }

    #[test]
    fn first_delays_follow_the_design_table() {
        let table: [(u16, (u64, u64), &str, bool); 17] = [
            (1012, (1_000, 5_000), "restart", false),
            (1001, (1_000, 5_000), "restart", false),
            (1013, (5_000, 10_000), "try_again_later", false),
            (1000, (1_000, 5_000), "normal", false),
            (1011, (1_000, 5_000), "normal", false),
            (1014, (1_000, 5_000), "normal", false),
            (1006, (0, 5_000), "transport", false),
            (1002, (10_000, 10_000), "protocol", true),
            (1003, (10_000, 10_000), "protocol", true),
            (1007, (10_000, 10_000), "protocol", true),
            (1008, (10_000, 10_000), "protocol", true),
            (1009, (10_000, 10_000), "protocol", true),
            (1010, (10_000, 10_000), "protocol", true),
            (4001, (10_000, 10_000), "protocol", true),
            (1005, (1_000, 5_000), "normal", false),
            (3000, (1_000, 5_000), "normal", false),
            (1015, (30_000, 30_000), "rejected", true),
        ];
        for (code, bounds, rule, attention) in table {
            let record = closed(code);
            let (low, high, name, needs) = first_delay_bounds(Ending::Closed(&record));
            assert_eq!(((low, high), name.as_str(), needs), (bounds, rule, attention), "code {code}");
        }
    }

    #[test]
    fn handshake_failures_follow_the_design_table() {
        let table = [
            (failed(Stage::Timeout, None), (0, 5_000), "transport"),
            (failed(Stage::Tcp, None), (0, 5_000), "transport"),
            (failed(Stage::Dns, None), (0, 5_000), "transport"),
            (failed(Stage::Http, Some(502)), (0, 5_000), "transport"),
            (failed(Stage::Http, Some(401)), (30_000, 30_000), "rejected"),
            (failed(Stage::Http, Some(403)), (30_000, 30_000), "rejected"),
            (failed(Stage::Http, Some(404)), (30_000, 30_000), "rejected"),
            (failed(Stage::Http, Some(101)), (10_000, 10_000), "protocol"),
            (failed(Stage::Proxy, None), (0, 5_000), "transport"),
            (failed(Stage::Proxy, Some(502)), (0, 5_000), "transport"),
            (failed(Stage::Proxy, Some(407)), (30_000, 30_000), "rejected"),
            (failed(Stage::Proxy, Some(403)), (30_000, 30_000), "rejected"),
        ];
        for (failure, bounds, rule) in table {
            let (low, high, name, _) = first_delay_bounds(Ending::HandshakeFailed(&failure));
            assert_eq!(((low, high), name.as_str()), (bounds, rule), "{failure:?}");
        }
    }

    /// Delays of successive failed tries at a fixed random unit.
    fn schedule(first: Ending<'_>, then: Ending<'_>, tries: usize, unit: f64) -> Vec<u64> {
        let rules = Rules::default();
        let mut streak = Streak::default();
        let mut delays = vec![rules.decide(&mut streak, first, Some(60_000), WINDOW, unit).delay_ms.unwrap()];
        for _ in 1..tries {
            delays.push(rules.decide(&mut streak, then, None, WINDOW, unit).delay_ms.unwrap());
        }
        delays
    }

    /// Equal jitter rather than full jitter: with full jitter, retries
    /// into a server still down fire within milliseconds and each refusal
    /// doubles the ceiling, so after a 2 s restart an unlucky connection
    /// waited up to 8 s more (benches/fleet.py: the last of 10,000 back
    /// 2.3 s after the floor's). Never sooner than half the step, it is
    /// back within about 3 s of the server, still spread over half of each
    /// step.
    #[test]
    fn restart_retries_use_equal_jitter_from_one_second_capped_at_30() {
        let restart = closed(1012);
        let refused = failed(Stage::Tcp, None);
        let ceilings = schedule(Ending::Closed(&restart), Ending::HandshakeFailed(&refused), 8, 1.0);
        assert_eq!(ceilings, [5_000, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
        let floors = schedule(Ending::Closed(&restart), Ending::HandshakeFailed(&refused), 4, 0.0);
        assert_eq!(floors, [1_000, 500, 1_000, 2_000]);
    }

    #[test]
    fn other_backoffs_double_to_their_caps() {
        let refused = failed(Stage::Tcp, None);
        let transport = schedule(Ending::HandshakeFailed(&refused), Ending::HandshakeFailed(&refused), 6, 1.0);
        assert_eq!(transport, [5_000, 10_000, 20_000, 40_000, 60_000, 60_000]);

        let again = closed(1013);
        let try_later = schedule(Ending::Closed(&again), Ending::HandshakeFailed(&refused), 5, 1.0);
        assert_eq!(try_later, [10_000, 20_000, 40_000, 80_000, 120_000]);
        let try_later_low = schedule(Ending::Closed(&again), Ending::HandshakeFailed(&refused), 3, 0.0);
        assert_eq!(try_later_low, [5_000, 10_000, 20_000]);

        let violation = closed(1002);
        let protocol = schedule(Ending::Closed(&violation), Ending::Closed(&violation), 7, 1.0);
        assert_eq!(protocol, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);

        let forbidden = failed(Stage::Http, Some(403));
        let rejected = schedule(Ending::HandshakeFailed(&forbidden), Ending::HandshakeFailed(&forbidden), 4, 0.0);
        assert_eq!(rejected, [30_000, 30_000, 60_000, 120_000]);

        let normal = closed(1000);
        let normal = schedule(Ending::Closed(&normal), Ending::HandshakeFailed(&refused), 4, 1.0);
        assert_eq!(normal, [5_000, 10_000, 20_000, 40_000]);
    }

    #[test]
    fn a_failure_needing_attention_takes_over_the_outage() {
        let rules = Rules::default();
        let mut streak = Streak::default();
        let restart = closed(1012);
        let first = rules.decide(&mut streak, Ending::Closed(&restart), Some(60_000), WINDOW, 0.5);
        assert_eq!(first.rule, "restart");
        let forbidden = failed(Stage::Http, Some(403));
        let next = rules.decide(&mut streak, Ending::HandshakeFailed(&forbidden), None, WINDOW, 0.5);
        assert_eq!((next.delay_ms, next.rule.as_str(), next.attention), (Some(30_000), "rejected", true));
    }

    /// A service restarted again 3 s after it came back (a canary, then the
    /// rest): the 1012 still waits 1–5 s under the restart rule, after a
    /// restart outage with refused retries and after a transport outage
    /// alike; only the retries keep the backoff they had.
    #[test]
    fn a_restart_close_always_waits_its_own_first_delay() {
        let rules = Rules::default();
        let (restart, refused, dropped) = (closed(1012), failed(Stage::Tcp, None), closed(1006));
        for outage in [Ending::Closed(&restart), Ending::Closed(&dropped)] {
            for unit in [0.0, 1.0] {
                let mut streak = Streak::default();
                rules.decide(&mut streak, outage, Some(60_000), WINDOW, unit);
                for _ in 0..3 {
                    rules.decide(&mut streak, Ending::HandshakeFailed(&refused), None, WINDOW, unit);
                }
                let again = rules.decide(&mut streak, Ending::Closed(&restart), Some(3_000), WINDOW, unit);
                assert_eq!(again.rule, "restart", "after {outage:?}");
                assert_eq!(again.delay_ms, Some(if unit == 0.0 { 1_000 } else { 5_000 }), "after {outage:?}");
                let retry = rules.decide(&mut streak, Ending::HandshakeFailed(&refused), None, WINDOW, 1.0);
                let expected = if matches!(outage, Ending::Closed(record) if record.code == 1012) {
                    16_000 // the fifth failed try of one restart streak: 1 s × 2^4
                } else {
                    1_000 // the first retry of a new restart streak
                };
                assert_eq!(retry.delay_ms, Some(expected), "after {outage:?}");
            }
        }
    }

    #[test]
    fn the_stability_window_decides_whether_the_backoff_resets() {
        let rules = Rules::default();
        let violation = closed(1002);
        let mut streak = Streak::default();
        let mut delays = Vec::new();
        for connected_ms in [60_000, 500, 9_999] {
            delays.push(rules.decide(&mut streak, Ending::Closed(&violation), Some(connected_ms), WINDOW, 1.0));
        }
        let delays: Vec<_> = delays.into_iter().map(|d| d.delay_ms.unwrap()).collect();
        assert_eq!(delays, [10_000, 20_000, 40_000], "short-lived opens keep the backoff");

        let after_stable = rules.decide(&mut streak, Ending::Closed(&violation), Some(10_000), WINDOW, 1.0);
        assert_eq!(after_stable.delay_ms, Some(10_000), "a stable open resets it");
    }

    #[test]
    fn overrides_by_code_beat_overrides_by_class_and_may_be_off() {
        let rules = Rules {
            overrides: vec![
                (Selector::Class(Class::ServiceRestart), RuleSetting::Delay(DelayRange::new(5_000, 30_000))),
                (Selector::Code(1002), RuleSetting::Off),
                (Selector::Class(Class::ProtocolError), RuleSetting::Delay(DelayRange::fixed(1_000))),
            ],
        };
        let restart = closed(1012);
        let decision = rules.decide(&mut Streak::default(), Ending::Closed(&restart), Some(60_000), WINDOW, 1.0);
        assert_eq!((decision.delay_ms, decision.rule.as_str()), (Some(30_000), "service_restart"));

        let violation = closed(1002);
        let decision = rules.decide(&mut Streak::default(), Ending::Closed(&violation), Some(60_000), WINDOW, 1.0);
        assert_eq!((decision.delay_ms, decision.rule.as_str(), decision.attention), (None, "1002", true));
    }

    #[test]
    fn descriptions_name_the_numbers() {
        let text = default_rule(RuleKind::Restart).describe();
        assert_eq!(text, "first try after 1s–5s; if that fails too, equal-jitter backoff from 1s ×2, cap 30s");
        let off = Rule { first: None, ..default_rule(RuleKind::Restart) };
        assert!(off.describe().contains("off"));
    }
}
