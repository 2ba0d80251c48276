//! The connections table's columns, each in one place: its header, its
//! width, its cell, and (for those the table can sort by) its order and
//! which events can change it. A new column is one more variant here
//! (docs/ARCHITECTURE.md, "Adding a column").

use std::cmp::Ordering;

use ratatui::layout::Constraint;
use ratatui::text::{Line, Span};
use ratatui::widgets::Cell;

use super::theme::{Theme, symbol};
use crate::close::short_name;
use crate::event::{EventKind, Ts};
use crate::format::duration_ms;
use crate::model::{Connection, State};
use crate::text::escape;

/// From this table width on, the traffic columns show.
const TRAFFIC_FROM: u16 = 104;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Name,
    State,
    Up,
    Rtt,
    /// Messages in per second.
    InRate,
    /// How long since the last message came.
    LastMessage,
    LastClose,
    Closes,
    Next,
}

/// What a cell needs besides its connection.
pub struct CellContext {
    pub now: Ts,
    pub theme: Theme,
    /// Room for the close code's name in the last-close column.
    pub wide: bool,
    /// Certificate checks are off for this connection.
    pub insecure: bool,
}

impl Column {
    /// Left to right, every column.
    pub const ALL: [Column; 9] = [
        Column::Name,
        Column::State,
        Column::Up,
        Column::Rtt,
        Column::InRate,
        Column::LastMessage,
        Column::LastClose,
        Column::Closes,
        Column::Next,
    ];

    /// The columns a table `width` wide shows: traffic only where the
    /// names keep room (the selected connection's is in the history title
    /// at any width).
    pub fn shown(width: u16) -> impl Iterator<Item = Column> {
        let traffic = width >= TRAFFIC_FROM;
        Column::ALL.into_iter().filter(move |column| traffic || !matches!(column, Column::InRate | Column::LastMessage))
    }

    pub fn header(self) -> &'static str {
        match self {
            Column::Name => "NAME",
            Column::State => "STATE",
            Column::Up => "UP",
            Column::Rtt => "RTT",
            Column::InRate => "IN/S",
            Column::LastMessage => "LAST MSG",
            Column::LastClose => "LAST CLOSE",
            Column::Closes => "#",
            Column::Next => "NEXT",
        }
    }

    pub fn width(self) -> Constraint {
        match self {
            Column::Name => Constraint::Min(12),
            Column::State => Constraint::Length(12),
            Column::Up | Column::Rtt | Column::Next | Column::InRate => Constraint::Length(7),
            Column::LastMessage => Constraint::Length(8),
            Column::LastClose => Constraint::Length(28),
            Column::Closes => Constraint::Length(4),
        }
    }

    pub fn cell(self, conn: &Connection, context: &CellContext) -> Cell<'static> {
        let now = context.now;
        match self {
            // Certificate checks are off: never let that look normal.
            Column::Name if context.insecure => {
                Cell::from(format!("{} (insecure)", escape(&conn.name))).style(context.theme.error())
            }
            Column::Name => Cell::from(escape(&conn.name).into_owned()),
            Column::State => {
                let shown = conn.shown();
                let text = format!("{} {}", symbol(shown), shown.name());
                Cell::from(Line::from(Span::styled(text, context.theme.state(shown))))
            }
            Column::Up => Cell::from(conn.opened_at.map_or("-".into(), |opened| duration_ms(now.millis_since(opened)))),
            Column::Rtt => Cell::from(conn.rtt_ms.map_or("-".into(), crate::format::rtt)),
            Column::InRate => Cell::from(in_rate(conn, now)),
            Column::LastMessage => Cell::from(last_message(conn, now)),
            Column::LastClose => Cell::from(last_ending(conn, context)),
            Column::Closes => Cell::from(conn.closes.to_string()),
            Column::Next => Cell::from(match conn.state {
                State::Waiting { until } => duration_ms(until.millis_since(now)),
                State::Held => "off".into(),
                _ => "-".into(),
            }),
        }
    }

    /// The columns `s` cycles through, in that order.
    pub const SORTABLE: [Column; 4] = [Column::Name, Column::State, Column::Closes, Column::LastClose];

    /// In words, as the title says it: "sorted by last close".
    pub fn name(self) -> &'static str {
        match self {
            Column::Name => "name",
            Column::State => "state",
            Column::Up => "uptime",
            Column::Rtt => "RTT",
            Column::InRate => "messages in per second",
            Column::LastMessage => "last message",
            Column::LastClose => "last close",
            Column::Closes => "closes",
            Column::Next => "next reconnect",
        }
    }

    /// The order of two rows under this column (trouble, most closes, the
    /// latest close first); ties go by name. Columns that do not sort
    /// order by name.
    pub fn compare(self, a: &Connection, b: &Connection) -> Ordering {
        let by = match self {
            Column::State => a.shown().rank().cmp(&b.shown().rank()),
            Column::Closes => b.closes.cmp(&a.closes),
            Column::LastClose => b.last_close().map(|entry| entry.at).cmp(&a.last_close().map(|entry| entry.at)),
            _ => Ordering::Equal,
        };
        by.then_with(|| a.name.cmp(&b.name))
    }

    /// Whether an event can move a row under this order (with no filter).
    pub fn moved_by(self, kind: &EventKind) -> bool {
        match (self, kind) {
            (_, EventKind::Added { .. } | EventKind::Removed) => true,
            (_, kind) if kind.is_measurement() => false,
            (Column::State, _) => true,
            (Column::Closes | Column::LastClose, kind) => matches!(kind, EventKind::Closed(_)),
            _ => false,
        }
    }

    /// The next column `s` sorts by.
    pub fn next_sort(self) -> Column {
        let at = Column::SORTABLE.iter().position(|column| *column == self).unwrap_or(0);
        Column::SORTABLE[(at + 1) % Column::SORTABLE.len()]
    }
}

/// "12/s", "0.5/s"; "-" before any traffic.
pub fn in_rate(conn: &Connection, now: Ts) -> String {
    if conn.traffic_at.is_none() {
        return "-".into();
    }
    let rate = conn.in_rate_at(now);
    if rate == 0.0 || rate >= 10.0 { format!("{rate:.0}/s") } else { format!("{rate:.1}/s") }
}

/// How long ago the last message came, to the second ("<1s", "3s", "2m05s"):
/// traffic is reported once a second, so finer would be made up. "-" if
/// none has come.
pub fn last_message(conn: &Connection, now: Ts) -> String {
    match conn.last_message_at.map(|at| now.millis_since(at)) {
        None => "-".into(),
        Some(ms) if ms < 1_000 => "<1s".into(),
        Some(ms) => duration_ms(ms / 1_000 * 1_000),
    }
}

/// The last close, or a failed try since (a 401 shows as `HTTP 401`).
fn last_ending(conn: &Connection, context: &CellContext) -> String {
    let ago = |at: Ts| duration_ms(context.now.millis_since(at));
    let close = conn.last_close();
    match &conn.last_failure {
        Some((at, failure)) if close.is_none_or(|entry| entry.at <= *at) => {
            let what = crate::failures::short(failure.stage, failure.http_status);
            format!("{what} · {}", ago(*at))
        }
        _ => close.map_or("-".into(), |entry| {
            let code = entry.record.code;
            let ago = ago(entry.at);
            if context.wide { format!("{code} {} · {ago}", short_name(code)) } else { format!("{code} · {ago}") }
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Traffic is reported once a second: the age of the last message is
    /// told to the second, never as made-up milliseconds.
    #[test]
    fn the_last_message_is_aged_to_the_second() {
        let mut conn = Connection::new("feed".into(), "ws://h/".into());
        assert_eq!(last_message(&conn, Ts(10_000)), "-");
        conn.last_message_at = Some(Ts(9_600));
        assert_eq!(last_message(&conn, Ts(10_000)), "<1s");
        assert_eq!(last_message(&conn, Ts(12_999)), "3s");
        assert_eq!(last_message(&conn, Ts(9_600 + 125_400)), "2m05s");
    }
}
