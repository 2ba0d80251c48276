//! What a side-panel line counts, as a filter for the table: Enter on "wave
//! 3" shows the connections still down from it, on "masked_frame" those
//! that broke that rule, on a service its connections, on a close code
//! those that closed with it, on a handshake stage those failing there.

use crate::close::{Cause, Stage, short_name};
use crate::event::ConnId;
use crate::model::{Connection, Model, Problem};
use crate::text::escape;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Cause(Cause),
    /// Still down from this wave.
    WaveDown(u32),
    Group(u32),
    /// One of a wave's problems (its first connections).
    Problem(u32, Problem),
    Code(u16),
    Stage(Stage),
}

impl Target {
    pub fn matches(self, model: &Model, id: ConnId, conn: &Connection) -> bool {
        match self {
            Target::Cause(cause) => model.totals().protocol_errors.contains_key(&(cause, id)),
            Target::WaveDown(number) => model.waves().down_in(id) == Some(number),
            Target::Group(group) => conn.group == group,
            Target::Problem(number, problem) => model
                .waves()
                .recent()
                .find(|wave| wave.number == number)
                .and_then(|wave| wave.problems.iter().find(|counted| counted.problem == problem))
                .is_some_and(|counted| counted.conns.contains(&id)),
            Target::Code(code) => conn.history.iter().any(|entry| entry.record.code == code),
            Target::Stage(stage) => model.totals().failing.contains_key(&(stage, id)),
        }
    }

    /// For the table's title: "showing: still down from wave 3".
    pub fn describe(self, model: &Model) -> String {
        match self {
            Target::Cause(cause) => format!("1002 {}", cause.as_str()),
            Target::WaveDown(number) => format!("still down from wave {number}"),
            // A profile or a replayed log names the service: anyone's text.
            Target::Group(group) => format!("service {}", escape(model.groups().name(group))),
            Target::Problem(number, Problem::Close(code)) => format!("{code} during wave {number}"),
            Target::Problem(number, Problem::Handshake(stage)) => {
                format!("{} failures during wave {number}", stage.as_str())
            }
            Target::Code(code) => format!("closed with {code} {}", short_name(code)),
            Target::Stage(stage) => format!("failing at {}", stage.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, EventKind, Ts};

    /// The description goes into the table's title as it is: a service's
    /// name from a profile or a log is escaped in it.
    #[test]
    fn a_service_named_with_escapes_is_described_escaped() {
        let mut model = Model::default();
        let kind = EventKind::Added {
            name: "a".into(),
            url: "ws://h/".into(),
            group: Some("evil\u{1b}[2J".into()),
            proxy: None,
        };
        model.apply(&Event { at: Ts(0), conn: ConnId(0), kind });
        let text = Target::Group(0).describe(&model);
        assert_eq!(text, "service evil\\e[2J");
        assert!(!text.chars().any(crate::text::is_hostile));
    }
}
