//! The demo's script: what the fleet does and when, drawn from a seed so
//! the same seed plays the same deployment. Pure: times are milliseconds
//! from the start at normal speed; the player scales and sleeps.

/// One deployment cycle lasts about this long.
const CYCLE_MS: u64 = 30_000;
/// The first deployment starts this soon, so a new user sees a wave quickly.
const FIRST_DEPLOY_MS: u64 = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// A server frame with the mask bit set (RFC 6455 §5.1).
    MaskedFrame,
    /// Opcode 0x3, reserved for future non-control frames (§5.2).
    ReservedOpcode,
    /// RSV1 set with no extension negotiated (§5.2).
    ReservedBits,
}

impl Violation {
    const ALL: [Violation; 3] = [Violation::MaskedFrame, Violation::ReservedOpcode, Violation::ReservedBits];

    /// The frame that breaks the rule: a server→client frame, so unmasked
    /// unless masking is the rule broken.
    pub fn frame(self) -> &'static [u8] {
        match self {
            Violation::MaskedFrame => &[0x81, 0x82, 0x01, 0x02, 0x03, 0x04, b'h' ^ 0x01, b'i' ^ 0x02],
            Violation::ReservedOpcode => &[0x83, 0x00],
            Violation::ReservedBits => &[0xC1, 0x02, b'h', b'i'],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Service `service` closes its connections with 1012, is down for
    /// `down_ms`, then listens again (deployment `version`).
    Restart { service: usize, down_ms: u64, version: u32 },
    /// The broken proxy writes a frame that breaks a rule.
    Violate(Violation),
    /// The overloaded endpoint closes with 1013 and refuses (with 1013)
    /// every new connection for `for_ms`.
    Overload { for_ms: u64 },
    /// The flaky endpoint drops its TCP connections without a close frame.
    Drop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub at_ms: u64,
    pub action: Action,
}

/// An endless script, cycle by cycle.
pub struct Script {
    rng: fastrand::Rng,
    services: usize,
    /// Deployments still to play; None: forever.
    deployments_left: Option<u32>,
    cycle: u32,
    cycle_start_ms: u64,
}

impl Script {
    pub fn new(seed: u64, services: usize, deployments: Option<u32>) -> Script {
        Script {
            rng: fastrand::Rng::with_seed(seed),
            services,
            deployments_left: deployments,
            cycle: 0,
            cycle_start_ms: 0,
        }
    }

    /// The next cycle's steps, in time order.
    pub fn next_cycle(&mut self) -> Vec<Step> {
        let start = self.cycle_start_ms;
        let length = CYCLE_MS - 3_000 + self.rng.u64(0..=6_000);
        self.cycle += 1;
        let mut steps = Vec::new();
        if self.deployments_left != Some(0) {
            self.deployments_left = self.deployments_left.map(|left| left - 1);
            let mut at = start + if self.cycle == 1 { FIRST_DEPLOY_MS } else { self.rng.u64(1_000..=4_000) };
            // A rolling deployment: one service at a time, the next once the
            // previous one is back and has settled for a moment.
            for service in 0..self.services {
                let down_ms = self.rng.u64(1_000..=3_000);
                steps.push(Step { at_ms: at, action: Action::Restart { service, down_ms, version: self.cycle } });
                at += down_ms + self.rng.u64(2_000..=4_000);
            }
        }
        let violation = Violation::ALL[self.rng.usize(..Violation::ALL.len())];
        steps.push(Step { at_ms: start + self.rng.u64(0..length), action: Action::Violate(violation) });
        let overload = Action::Overload { for_ms: self.rng.u64(2_000..=5_000) };
        steps.push(Step { at_ms: start + self.rng.u64(0..length), action: overload });
        steps.push(Step { at_ms: start + self.rng.u64(0..length), action: Action::Drop });
        steps.sort_by_key(|step| step.at_ms);
        self.cycle_start_ms = start + length;
        steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cycles(seed: u64, deployments: Option<u32>, count: usize) -> Vec<Vec<Step>> {
        let mut script = Script::new(seed, 3, deployments);
        (0..count).map(|_| script.next_cycle()).collect()
    }

    #[test]
    fn the_same_seed_plays_the_same_script() {
        assert_eq!(cycles(7, None, 4), cycles(7, None, 4));
        assert_ne!(cycles(7, None, 4), cycles(8, None, 4));
    }

    #[test]
    fn each_deployment_restarts_every_service_once_in_turn() {
        for cycle in cycles(7, None, 5) {
            let restarts: Vec<(u64, usize, u64)> = cycle
                .iter()
                .filter_map(|step| match step.action {
                    Action::Restart { service, down_ms, .. } => Some((step.at_ms, service, down_ms)),
                    _ => None,
                })
                .collect();
            assert_eq!(restarts.iter().map(|r| r.1).collect::<Vec<_>>(), [0, 1, 2]);
            for pair in restarts.windows(2) {
                let (at, _, down) = pair[0];
                assert!(pair[1].0 >= at + down + 2_000, "the next service waits for the previous one: {pair:?}");
                assert!((1_000..=3_000).contains(&down));
            }
            assert!(cycle.windows(2).all(|pair| pair[0].at_ms <= pair[1].at_ms), "steps in time order");
            let kinds = |wanted: fn(&Action) -> bool| cycle.iter().filter(|step| wanted(&step.action)).count();
            assert_eq!(kinds(|a| matches!(a, Action::Violate(_))), 1);
            assert_eq!(kinds(|a| matches!(a, Action::Overload { .. })), 1);
            assert_eq!(kinds(|a| matches!(a, Action::Drop)), 1);
        }
    }

    #[test]
    fn deployments_stop_after_the_count_but_the_fleet_goes_on() {
        let played = cycles(7, Some(1), 3);
        let restarts =
            |cycle: &Vec<Step>| cycle.iter().filter(|step| matches!(step.action, Action::Restart { .. })).count();
        assert_eq!(played.iter().map(restarts).collect::<Vec<_>>(), [3, 0, 0]);
        assert!(played.iter().all(|cycle| cycle.len() >= 3), "misbehaviour continues");
        assert!(played[1][0].at_ms >= 27_000, "cycles follow each other");
    }
}
