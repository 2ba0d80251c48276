//! Event sequences applied to the model, checked against the figures a
//! person would compute by hand.

use super::*;
use crate::close::{Cause, Class, Initiator, Stage};
use crate::event::{CloseRecord, HandshakeFailure, Traffic};

struct Script {
    model: Model,
}

impl Script {
    fn new(names: &[&str]) -> Script {
        let mut model = Model::default();
        for (i, name) in names.iter().enumerate() {
            let kind = EventKind::Added {
                name: name.to_string(),
                url: format!("ws://127.0.0.1:{}/", 9000 + i),
                group: None,
                proxy: None,
            };
            model.apply(&Event { at: Ts(0), conn: ConnId(i as u32), kind });
        }
        Script { model }
    }

    fn at(&mut self, ms: i64, conn: u32, kind: EventKind) -> &mut Script {
        self.model.apply(&Event { at: Ts(ms), conn: ConnId(conn), kind });
        self
    }

    fn open(&mut self, ms: i64, conn: u32) -> &mut Script {
        self.at(ms, conn, EventKind::Open { handshake_ms: 3, subprotocol: None, via: None })
    }

    fn closed(&mut self, ms: i64, conn: u32, code: u16, initiator: Initiator, cause: Option<Cause>) -> &mut Script {
        let record = CloseRecord {
            code,
            reason: "bye".into(),
            initiator,
            class: Class::of_code(code),
            cause,
            detail: None,
            connected_ms: 1_000,
        };
        self.at(ms, conn, EventKind::Closed(record))
    }

    fn scheduled(&mut self, ms: i64, conn: u32, delay_ms: u64) -> &mut Script {
        self.at(
            ms,
            conn,
            EventKind::ReconnectScheduled { delay_ms, attempt: 1, rule: "restart".into(), attention: Some(false) },
        )
    }

    fn conn(&self, conn: u32) -> &Connection {
        self.model.connection(ConnId(conn)).unwrap()
    }
}

#[test]
fn a_close_and_reconnect_is_recorded_in_state_history_and_totals() {
    let mut script = Script::new(&["api-1"]);
    script
        .at(0, 0, EventKind::Connecting { attempt: 1 })
        .open(10, 0)
        .at(500, 0, EventKind::Rtt { rtt_ms: 0.4 })
        .closed(60_010, 0, 1012, Initiator::Server, None)
        .scheduled(60_010, 0, 2_300);
    assert_eq!(script.conn(0).state, State::Waiting { until: Ts(62_310) });
    assert_eq!(script.conn(0).rtt_ms, None, "no RTT while closed");
    script
        .at(62_310, 0, EventKind::Connecting { attempt: 1 })
        .at(
            62_320,
            0,
            EventKind::HandshakeFailed(HandshakeFailure {
                stage: Stage::Tcp,
                http_status: None,
                detail: "refused".into(),
            }),
        )
        .scheduled(62_320, 0, 700)
        .open(63_100, 0);

    let conn = script.conn(0);
    assert_eq!((conn.state, conn.closes), (State::Open, 1));
    let entry = conn.last_close().unwrap();
    assert_eq!((entry.record.code, entry.waited_ms, entry.failed_tries), (1012, 3_000, 1));
    assert_eq!(entry.reopened_at, Some(Ts(63_100)));

    let totals = script.model.totals();
    assert_eq!(totals.by_code.get(&1012), Some(&1));
    assert_eq!(totals.class_count(Class::ServiceRestart), 1);
    assert_eq!(totals.class_count(Class::Handshake), 1);
    assert_eq!(script.model.recovery().figures().max_ms, Some(3_090));
}

/// After a 1002 the policy keeps waiting on the protocol rule when the
/// reconnect is refused (an ordinary failure): the row still needs
/// attention, because the event says so, though a refusal alone would not.
#[test]
fn attention_is_the_policys_word_so_a_refused_retry_after_a_1002_keeps_it() {
    let mut script = Script::new(&["api-1"]);
    let policy_says = |attention| EventKind::ReconnectScheduled {
        delay_ms: 20_000,
        attempt: 2,
        rule: "protocol".into(),
        attention: Some(attention),
    };
    let refused = HandshakeFailure { stage: Stage::Tcp, http_status: None, detail: "refused".into() };
    script
        .open(0, 0)
        .closed(1_000, 0, 1002, Initiator::Client, Some(Cause::MaskedFrame))
        .at(1_000, 0, policy_says(true))
        .at(11_000, 0, EventKind::Connecting { attempt: 2 })
        .at(11_001, 0, EventKind::HandshakeFailed(refused.clone()))
        .at(11_001, 0, policy_says(true));
    assert_eq!(script.conn(0).shown(), Shown::Attention, "waiting on the protocol rule");
    // A refusal under an ordinary rule is no one's attention.
    let mut script = Script::new(&["api-1"]);
    script.at(0, 0, EventKind::HandshakeFailed(refused)).at(0, 0, policy_says(false));
    assert_eq!(script.conn(0).shown(), Shown::Waiting);
}

#[test]
fn protocol_errors_mark_attention_until_the_connection_opens_again() {
    let mut script = Script::new(&["api-1", "api-2"]);
    script.open(0, 0).open(0, 1).closed(1_000, 0, 1002, Initiator::Client, Some(Cause::MaskedFrame));
    assert!(script.conn(0).attention);
    assert!(!script.conn(1).attention);
    script.closed(2_000, 1, 1002, Initiator::Server, Some(Cause::PeerReported));
    let errors = &script.model.totals().protocol_errors;
    assert_eq!(errors.get(&(Cause::MaskedFrame, ConnId(0))), Some(&1));
    assert_eq!(errors.get(&(Cause::PeerReported, ConnId(1))), Some(&1));
    script.open(12_000, 0);
    assert!(!script.conn(0).attention);
}

#[test]
fn history_is_a_bounded_ring() {
    let mut script = Script::new(&["flappy"]);
    for i in 0..(HISTORY_LIMIT as i64 + 20) {
        script.open(i * 10, 0).closed(i * 10 + 5, 0, 1011, Initiator::Server, None);
    }
    let conn = script.conn(0);
    assert_eq!(conn.history.len(), HISTORY_LIMIT);
    assert_eq!(conn.closes, HISTORY_LIMIT as u64 + 20, "totals are kept forever");
    assert_eq!(conn.history.front().unwrap().at, Ts(205));
}

#[test]
fn the_summary_counts_a_rolling_restart() {
    let mut script = Script::new(&["a", "b", "c"]);
    script.open(0, 0).open(0, 1).open(0, 2);
    for (i, conn) in [0u32, 1, 2].into_iter().enumerate() {
        let closed_at = 10_000 + i as i64 * 3_000;
        script.closed(closed_at, conn, 1012, Initiator::Server, None).scheduled(closed_at, conn, 2_000);
        script.open(closed_at + 2_000 + 100 * i as i64, conn);
    }
    script.at(20_000, 1, EventKind::Traffic(Traffic { msgs_in: 3, bytes_in: 30, msgs_out: 1, bytes_out: 5 }));

    let summary = script.model.summary(Ts(25_000));
    assert_eq!((summary.connections, summary.open_at_end, summary.closes), (3, 3, 3));
    assert_eq!(summary.by_code.get("1012"), Some(&3));
    assert_eq!(summary.by_class.get("service_restart"), Some(&3));
    assert_eq!(summary.waves_total, 1);
    let wave = &summary.waves[0];
    assert_eq!((wave.hit, wave.back, wave.still_down, wave.in_progress), (3, 3, 0, true));
    assert_eq!(wave.recovery.count, 3);
    assert_eq!(wave.recovery.max_ms, Some(2_200));
    assert!(!script.model.summary(Ts(16_000 + 30_000)).waves[0].in_progress);
}

#[test]
fn removed_connections_leave_the_summary_and_paused_ones_are_down() {
    let mut script = Script::new(&["kept", "gone", "resting"]);
    script.open(0, 0).open(0, 1).open(0, 2);
    script.closed(100, 1, 1000, Initiator::Client, None).at(100, 1, EventKind::Removed);
    script.closed(200, 2, 1000, Initiator::Client, None).at(200, 2, EventKind::Paused);
    assert_eq!(script.conn(2).state, State::Paused);
    let summary = script.model.summary(Ts(300));
    assert_eq!((summary.connections, summary.open_at_end), (2, 1));
    assert_eq!(summary.down_at_end, ["resting"]);
    assert_eq!(summary.waves_total, 0, "user closes are not waves");
}

#[test]
fn the_summary_does_not_depend_on_the_order_connections_were_added() {
    // A replay numbers connections as its log first mentions them.
    let summaries: Vec<Summary> = [["a", "b"], ["b", "a"]]
        .iter()
        .map(|names| {
            let mut script = Script::new(names);
            for conn in [0, 1] {
                script.closed(100, conn, 1002, Initiator::Server, Some(Cause::MaskedFrame));
            }
            script.model.summary(Ts(200))
        })
        .collect();
    assert_eq!(summaries[0], summaries[1]);
    assert_eq!(summaries[0].down_at_end, ["a", "b"]);
}

/// A hostile (or corrupt) log carries the largest values its fields hold:
/// delays of u64::MAX, traffic and connected times of u64::MAX, times at
/// both ends of i64. Replaying it must not panic (a debug build checks
/// overflow) nor wrap (a release build would): sums stop at the maximum.
#[test]
fn extreme_values_in_a_log_saturate_instead_of_overflowing() {
    let (min, max) = (i64::MIN, i64::MAX);
    let closed = |code: u16, initiator: Initiator| {
        EventKind::Closed(CloseRecord {
            code,
            reason: String::new(),
            initiator,
            class: Class::of_code(code),
            cause: None,
            detail: None,
            connected_ms: u64::MAX,
        })
    };
    let huge = Traffic { msgs_in: u64::MAX, bytes_in: u64::MAX, msgs_out: u64::MAX, bytes_out: u64::MAX };
    let mut script = Script::new(&["a", "b"]);
    script
        .open(min, 0)
        .at(max, 0, closed(1012, Initiator::Server))
        .scheduled(max, 0, u64::MAX)
        .scheduled(max, 0, u64::MAX)
        .open(min, 0)
        .at(min, 0, closed(1006, Initiator::Transport))
        .at(min, 1, closed(1006, Initiator::Transport))
        .at(max, 0, EventKind::Traffic(huge))
        .at(max, 0, EventKind::Rtt { rtt_ms: f64::MAX })
        .open(max, 0)
        .open(max, 1);
    let entry = script.conn(0).history.front().unwrap();
    assert_eq!(entry.waited_ms, u64::MAX, "the delays add up to the maximum");
    assert_eq!(script.conn(0).state, State::Open);
    for now in [min, 0, max] {
        let summary = script.model.summary(Ts(now));
        assert_eq!(summary.closes, 3);
        let _ = script.model.activity().last(Ts(now), 600).count();
    }
    let mut total = huge;
    total.add(&huge);
    assert_eq!(total, huge, "traffic sums stop at the maximum");
}

/// A silent feed shows `Silent` (a state that needs attention) from when
/// its silence began, is named at the end, and a message or a close clears it.
#[test]
fn a_silent_connection_shows_silent_until_a_message_or_a_close() {
    let mut script = Script::new(&["feed", "chat"]);
    script.open(0, 0).open(0, 1).at(5_000, 0, EventKind::Silent { silent_ms: 3_000 });
    assert_eq!(script.conn(0).shown(), Shown::Silent);
    assert!(script.conn(0).shown().needs_attention());
    assert_eq!(script.conn(0).silent_since, Some(Ts(2_000)), "since the last message");
    assert_eq!(script.model.summary(Ts(6_000)).silent_at_end, ["feed"]);
    script.at(7_000, 0, EventKind::SilenceEnded { silent_ms: 5_000 });
    assert_eq!(script.conn(0).shown(), Shown::Open);
    script.at(8_000, 1, EventKind::Silent { silent_ms: 3_000 });
    script.closed(9_000, 1, 1006, Initiator::Transport, None);
    assert_eq!(script.conn(1).silent_since, None, "closed: down, not silent");
    assert!(script.model.summary(Ts(9_000)).silent_at_end.is_empty());
}
