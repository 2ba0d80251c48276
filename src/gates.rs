//! Deploy gates for `watch` in CI: `--fail-on CLASS,...` trips when a close
//! or failure of one of those classes was seen, `--max-recovery DUR` when a
//! connection took longer than DUR to come back (close → next open, over
//! the closes each connection's history keeps) or is still down at the
//! end. A tripped gate names what tripped it, in the summary and on stderr,
//! and makes the exit status 1.

use std::time::Duration;

use crate::close::Class;
use crate::event::Ts;
use crate::format::duration_ms;
use crate::model::{Model, State, Tripped};

#[derive(Debug, Clone, Default)]
pub struct Gates {
    pub fail_on: Vec<Class>,
    pub max_recovery: Option<Duration>,
}

impl Gates {
    /// The gates that tripped over the session, as of `now`.
    pub fn judge(&self, model: &Model, now: Ts) -> Vec<Tripped> {
        let fail_on: Vec<String> = self
            .fail_on
            .iter()
            .map(|class| (class, model.totals().class_count(*class)))
            .filter(|(_, count)| *count > 0)
            .map(|(class, count)| format!("{} ×{count}", class.as_str()))
            .collect();
        let slow = self.max_recovery.map(|limit| too_slow(model, now, limit.as_millis() as u64)).unwrap_or_default();
        [("fail_on", fail_on), ("max_recovery", slow)]
            .into_iter()
            .filter(|(_, why)| !why.is_empty())
            .map(|(gate, why)| Tripped { gate: gate.into(), why })
            .collect()
    }
}

/// Every connection slower than `limit_ms` to come back, by name, with
/// its worst recovery; or still down for longer.
fn too_slow(model: &Model, now: Ts, limit_ms: u64) -> Vec<String> {
    let mut slow: Vec<String> = model
        .connections()
        .iter()
        .filter(|conn| conn.state != State::Removed)
        .filter_map(|conn| {
            let down = conn.down_since.filter(|_| !conn.is_open()).map(|since| now.millis_since(since));
            if let Some(down) = down.filter(|down| *down > limit_ms) {
                return Some(format!("{} still down after {}", conn.name, duration_ms(down)));
            }
            let worst = conn
                .history
                .iter()
                .filter_map(|entry| entry.reopened_at.map(|opened| opened.millis_since(entry.at)))
                .max()?;
            (worst > limit_ms).then(|| format!("{} came back after {}", conn.name, duration_ms(worst)))
        })
        .collect();
    slow.sort();
    slow
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::close::{Cause, Initiator};
    use crate::event::{CloseRecord, ConnId, Event, EventKind};

    fn model() -> Model {
        let mut model = Model::default();
        let mut apply =
            |ms: i64, conn: u32, kind: EventKind| model.apply(&Event { at: Ts(ms), conn: ConnId(conn), kind });
        let close = |code: u16, cause| {
            EventKind::Closed(CloseRecord {
                code,
                reason: String::new(),
                initiator: Initiator::Server,
                class: Class::of_code(code),
                cause,
                detail: None,
                connected_ms: 1,
            })
        };
        for (conn, name) in ["api", "chat", "feed"].into_iter().enumerate() {
            apply(
                0,
                conn as u32,
                EventKind::Added { name: name.into(), url: "ws://h/".into(), group: None, proxy: None },
            );
            apply(0, conn as u32, EventKind::Open { handshake_ms: 1, subprotocol: None, via: None });
        }
        apply(1_000, 0, close(1012, None));
        apply(4_000, 0, EventKind::Open { handshake_ms: 1, subprotocol: None, via: None }); // back after 3 s
        apply(2_000, 1, close(1002, Some(Cause::PeerReported))); // down since 2 s
        apply(5_000, 2, close(1012, None));
        apply(5_500, 2, EventKind::Open { handshake_ms: 1, subprotocol: None, via: None }); // back after 0.5 s
        apply(9_900, 0, close(1012, None)); // down again, not for long yet: the 3 s still count
        model
    }

    #[test]
    fn each_gate_names_what_tripped_it() {
        let gates =
            Gates { fail_on: vec![Class::ProtocolError, Class::Handshake], max_recovery: Some(Duration::from_secs(2)) };
        let tripped = gates.judge(&model(), Ts(10_000));
        assert_eq!(
            tripped,
            [
                Tripped { gate: "fail_on".into(), why: vec!["protocol_error ×1".into()] },
                Tripped {
                    gate: "max_recovery".into(),
                    why: vec!["api came back after 3s".into(), "chat still down after 8s".into()]
                },
            ]
        );
    }

    #[test]
    fn gates_within_their_limits_do_not_trip() {
        let gates = Gates { fail_on: vec![Class::Handshake], max_recovery: Some(Duration::from_secs(60)) };
        assert!(gates.judge(&model(), Ts(10_000)).is_empty());
        assert!(Gates::default().judge(&model(), Ts(10_000)).is_empty(), "no gate, nothing trips");
    }
}
