//! Waves driven close by close, as the model drives them.

use super::*;
use crate::close::{Class, Initiator, Stage};

/// A close by the server, or (for 1006) by the transport.
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

fn refused() -> HandshakeFailure {
    HandshakeFailure { stage: Stage::Tcp, http_status: None, detail: "refused".into() }
}

const C0: ConnId = ConnId(0);
const C1: ConnId = ConnId(1);
const C2: ConnId = ConnId(2);
const QUIET: i64 = 10_000;
/// Groups: C0 and C1 are one service, C2 another.
const API: u32 = 0;
const CHAT: u32 = 1;

fn restart(waves: &mut Waves, ms: i64, conn: ConnId, group: u32) {
    waves.on_close(Ts(ms), conn, group, &close(1012, Initiator::Server));
}

#[test]
fn a_rolling_restart_is_one_wave_with_recovery_per_service() {
    let mut waves = Waves::default();
    restart(&mut waves, 0, C0, API);
    waves.on_open(Ts(2_000), C0);
    restart(&mut waves, 5_000, C1, API);
    waves.on_failure(Ts(6_000), C1, &refused()); // still restarting: part of the wave
    waves.on_open(Ts(8_000), C1);
    waves.on_close(Ts(10_000), C2, CHAT, &close(1001, Initiator::Server));
    let wave = waves.current(Ts(10_500)).unwrap();
    assert_eq!((wave.kind, wave.hit, wave.back, wave.still_down()), (WaveKind::Restart, 3, 2, 1));
    assert_eq!(waves.not_recovered_in(1).collect::<Vec<_>>(), [C2]);
    waves.on_open(Ts(14_000), C2);
    let wave = waves.current(Ts(14_000)).unwrap();
    assert_eq!((wave.hit, wave.back, wave.other_problems()), (3, 3, 0));
    assert_eq!((wave.recovery.figures().count, wave.recovery.figures().max_ms), (3, Some(4_000)));
    let per_service: Vec<(u32, u32, Vec<u64>)> =
        wave.groups.iter().map(|g| (g.hit, g.back, g.recovery_ms.clone())).collect();
    assert_eq!(per_service, [(2, 2, vec![2_000, 3_000]), (1, 1, vec![4_000])]);
    assert!(waves.current(Ts(10_000 + QUIET - 1)).is_some(), "on until the quiet period is over");
    let wave = waves.recent().next().unwrap();
    assert!(!wave.in_progress(Ts(10_000 + QUIET)));
    assert_eq!(wave.ended(Ts(10_000 + QUIET)), Some(Ts(14_000)), "ended when the last came back");
}

/// Deployments 30 s apart are two waves, not one that never ends.
#[test]
fn back_to_back_deployments_are_separate_waves() {
    let mut waves = Waves::default();
    for deploy in 0..3 {
        let at = deploy * 30_000;
        restart(&mut waves, at, C0, API);
        waves.on_open(Ts(at + 2_000), C0);
    }
    assert_eq!(waves.total(), 3);
    assert!(waves.recent().all(|wave| wave.hit == 1 && wave.back == 1));
}

/// A wave waits for everyone it hit, past the quiet period, up to the
/// ceiling; then it ends with its stragglers.
#[test]
fn a_wave_that_never_recovers_ends_at_the_ceiling_with_its_stragglers() {
    let mut waves = Waves::default();
    restart(&mut waves, 0, C0, API);
    restart(&mut waves, 100, C1, API);
    waves.on_open(Ts(2_000), C0);
    assert!(waves.current(Ts(60_000)).is_some(), "C1 is still down");
    let ceiling = WaveRules::default().ceiling_ms as i64;
    let wave = waves.recent().next().unwrap();
    assert_eq!(wave.ended(Ts(ceiling)), Some(Ts(ceiling)));
    assert_eq!(waves.not_recovered_in(1).collect::<Vec<_>>(), [C1]);
    restart(&mut waves, ceiling + 1, C0, API);
    assert_eq!(waves.total(), 2, "the next restart is the next wave");
}

#[test]
fn a_connection_down_twice_in_one_wave_counts_once() {
    let mut waves = Waves::default();
    restart(&mut waves, 0, C0, API);
    waves.on_open(Ts(1_000), C0);
    restart(&mut waves, 2_000, C0, API);
    let wave = waves.current(Ts(2_000)).unwrap();
    assert_eq!((wave.hit, wave.back), (1, 0));
    waves.on_open(Ts(3_500), C0);
    let wave = waves.current(Ts(3_500)).unwrap();
    assert_eq!((wave.hit, wave.back, wave.recovery.count()), (1, 1, 2));
}

#[test]
fn a_burst_of_dropped_connections_is_an_abrupt_wave() {
    let mut waves = Waves::default();
    waves.on_close(Ts(0), C0, API, &close(1006, Initiator::Transport));
    assert_eq!(waves.total(), 0, "one drop is not a wave");
    waves.on_close(Ts(800), C1, API, &close(1006, Initiator::Transport));
    let wave = waves.current(Ts(800)).unwrap();
    assert_eq!((wave.kind, wave.hit, wave.started), (WaveKind::Abrupt, 2, Ts(0)));
    waves.on_close(Ts(1_500), C2, CHAT, &close(1006, Initiator::Transport));
    assert_eq!(waves.current(Ts(1_500)).unwrap().hit, 3);
    waves.on_open(Ts(3_000), C0);
    assert_eq!(waves.current(Ts(3_000)).unwrap().recovery.figures().max_ms, Some(3_000));
}

#[test]
fn a_drop_that_reopened_before_the_burst_was_seen_counts_as_back() {
    let mut waves = Waves::default();
    waves.on_close(Ts(0), C0, API, &close(1006, Initiator::Transport));
    waves.on_open(Ts(300), C0);
    waves.on_close(Ts(900), C1, API, &close(1006, Initiator::Transport));
    let wave = waves.current(Ts(900)).unwrap();
    assert_eq!((wave.hit, wave.back, wave.recovery.figures().max_ms), (2, 1, Some(300)));
}

#[test]
fn scattered_drops_and_ping_timeouts_are_not_waves() {
    let mut waves = Waves::default();
    let window = ABRUPT_WINDOW_MS as i64;
    waves.on_close(Ts(0), C0, API, &close(1006, Initiator::Transport));
    waves.on_close(Ts(window + 1), C1, API, &close(1006, Initiator::Transport));
    waves.on_close(Ts(window + 2), C1, API, &close(1006, Initiator::Transport));
    assert_eq!(waves.total(), 0, "same connection twice is not a burst");
    waves.on_close(Ts(window + 3), C2, CHAT, &close(1006, Initiator::Client));
    assert_eq!(waves.total(), 0, "ping timeouts are not transport drops");
}

/// A backend killed during a deploy: its connections drop with no close
/// frame. That is the wave's problem, named, not more of the restart.
#[test]
fn a_crash_during_a_deploy_is_a_named_problem_not_part_of_the_restart() {
    let mut waves = Waves::default();
    restart(&mut waves, 0, C0, API);
    waves.on_close(Ts(100), C1, API, &close(1006, Initiator::Transport));
    waves.on_close(Ts(150), C2, CHAT, &close(1006, Initiator::Transport));
    waves.on_close(Ts(200), C1, API, &close(1002, Initiator::Server));
    waves.on_failure(Ts(300), C2, &refused());
    waves.on_failure(Ts(310), C0, &refused()); // the restart's own: not a problem
    let wave = waves.current(Ts(300)).unwrap();
    assert_eq!((wave.kind, wave.hit), (WaveKind::Restart, 1), "the crash does not join the restart");
    let problems: Vec<(Problem, u64, Vec<ConnId>)> =
        wave.problems.iter().map(|p| (p.problem, p.count, p.conns.clone())).collect();
    assert_eq!(
        problems,
        [
            (Problem::Close(1002), 1, vec![C1]),
            (Problem::Close(1006), 2, vec![C1, C2]),
            (Problem::Handshake(Stage::Tcp), 1, vec![C2]),
        ]
    );
    waves.on_open(Ts(1_000), C0);
    waves.on_close(Ts(QUIET + 500), C1, API, &close(1002, Initiator::Server));
    assert_eq!(waves.recent().next().unwrap().other_problems(), 4, "after the wave nothing is added");
}

/// Connections still down from a crash when a deploy starts: the deploy
/// is its own restart wave.
#[test]
fn a_deploy_during_an_abrupt_wave_starts_its_own_wave() {
    let mut waves = Waves::default();
    waves.on_close(Ts(0), C0, API, &close(1006, Initiator::Transport));
    waves.on_close(Ts(100), C1, API, &close(1006, Initiator::Transport));
    restart(&mut waves, 500, C2, CHAT);
    let kinds: Vec<(WaveKind, u32)> = waves.recent().map(|wave| (wave.kind, wave.hit)).collect();
    assert_eq!(kinds, [(WaveKind::Abrupt, 2), (WaveKind::Restart, 1)]);
    waves.on_open(Ts(900), C0);
    assert_eq!(waves.recent().next().unwrap().back, 1, "the crash's connections still count for it");
}

/// A connection removed while down from a wave: the wave no longer waits
/// for it, nor names it as a straggler.
#[test]
fn a_removed_connection_does_not_hold_its_wave() {
    let mut waves = Waves::default();
    restart(&mut waves, 0, C0, API);
    restart(&mut waves, 100, C1, API);
    waves.on_open(Ts(2_000), C0);
    waves.on_removed(C1);
    let wave = waves.recent().next().unwrap();
    assert_eq!((wave.hit, wave.back, wave.still_down(), wave.groups[0].hit), (1, 1, 0, 1));
    assert_eq!(waves.not_recovered_in(1).count(), 0);
    assert_eq!(wave.ended(Ts(100 + QUIET)), Some(Ts(2_000)), "ended once the quiet period is over");
}

/// Back but silent is not recovered: the wave stays on and names it, until
/// a message comes; a connection silent before the wave hit it, or after
/// the wave ended, changes nothing.
#[test]
fn a_connection_back_but_silent_has_not_recovered() {
    let mut waves = Waves::default();
    restart(&mut waves, 0, C0, API);
    restart(&mut waves, 0, C1, API);
    waves.on_open(Ts(2_000), C0);
    waves.on_open(Ts(2_000), C1);
    waves.on_silent(Ts(3_000), C1);
    waves.on_silent(Ts(3_000), C2); // not hit by the wave
    let wave = waves.current(Ts(QUIET + 5_000)).expect("still on: C1 is silent");
    assert_eq!((wave.hit, wave.back, wave.silent, wave.not_recovered()), (2, 2, 1, 1));
    assert_eq!(waves.not_recovered_in(1).collect::<Vec<_>>(), [C1]);
    waves.on_heard(C1);
    let wave = waves.recent().next().unwrap();
    assert_eq!((wave.silent, wave.not_recovered()), (0, 0));
    assert_eq!(wave.ended(Ts(QUIET + 5_000)), Some(Ts(2_000)));
    waves.on_silent(Ts(QUIET + 6_000), C0); // the wave is over
    assert_eq!(waves.recent().next().unwrap().silent, 0);
}

/// A silent connection that closes again is down, not silent: counted once.
#[test]
fn a_silent_connection_that_closes_again_is_down_not_silent() {
    let mut waves = Waves::default();
    restart(&mut waves, 0, C0, API);
    waves.on_open(Ts(1_000), C0);
    waves.on_silent(Ts(2_000), C0);
    restart(&mut waves, 3_000, C0, API);
    let wave = waves.current(Ts(3_000)).unwrap();
    assert_eq!((wave.back, wave.silent, wave.still_down(), wave.not_recovered()), (0, 0, 1, 1));
}
