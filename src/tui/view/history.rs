//! The close history of the selected connection, newest first: a failed
//! try that is its latest ending, then every close with its time, code,
//! reason, initiator, how long it had been open, the delay waited, and
//! whether the reconnect succeeded.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Cell, Row, Table};

use super::clock;
use crate::close::short_name;
use crate::event::{HandshakeFailure, Ts};
use crate::format::duration_ms;
use crate::model::{CloseEntry, CloseKind, Model};
use crate::text::escape;
use crate::tui::app::{App, Focus};
use crate::tui::columns;
use crate::tui::endings::{self, Ending, endings};

const WIDTHS: [Constraint; 7] = [
    Constraint::Length(12),
    Constraint::Length(24),
    Constraint::Length(9),
    Constraint::Min(10),
    Constraint::Length(10),
    Constraint::Length(11),
    Constraint::Length(18),
];
const HEADER: [&str; 7] = ["TIME", "CODE", "BY", "REASON", "OPEN FOR", "WAITED", "THEN"];
/// Below this inner width the history keeps time, code, initiator, reason
/// and outcome only.
const NARROW: u16 = 110;
const NARROW_COLUMNS: [usize; 5] = [0, 1, 2, 3, 6];

pub fn render(frame: &mut Frame, area: Rect, app: &App, model: &Model, now: Ts) {
    let theme = app.theme;
    let conn = app.rows.selected.and_then(|id| model.connection(id));
    let via = app.rows.selected.and_then(|id| model.proxy(id)).map(|proxy| format!(" via {}", escape(proxy)));
    let title = match conn {
        // The URL (and its proxy) is on screen for whichever connection is selected.
        Some(conn) => {
            // Its traffic too, whether or not the table has room for the columns.
            let traffic = match (conn.traffic_at, conn.last_message_at) {
                (None, _) => String::new(),
                (Some(_), None) => format!(" · in {}", columns::in_rate(conn, now)),
                (Some(_), Some(_)) => format!(
                    " · in {}, last message {} ago",
                    columns::in_rate(conn, now),
                    columns::last_message(conn, now)
                ),
            };
            format!(
                " {} · {}{}{traffic} · close history ({}) ",
                escape(&conn.name),
                escape(&conn.url),
                via.unwrap_or_default(),
                conn.closes
            )
        }
        None => " Close history ".into(),
    };
    let border = if app.focus == Focus::History { theme.title() } else { theme.dim() };
    let block = Block::bordered().title(title).border_style(border);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(conn) = conn else { return };
    if endings::count(conn) == 0 {
        frame.render_widget(Line::styled("No closes yet.", theme.dim()), inner);
        return;
    }
    let visible = usize::from(inner.height.saturating_sub(1));
    let skip = app.history_cursor.saturating_sub(visible.saturating_sub(1));
    let columns: Vec<usize> = if inner.width >= NARROW { (0..HEADER.len()).collect() } else { NARROW_COLUMNS.to_vec() };
    let rows = endings(conn).enumerate().skip(skip).take(visible).map(|(i, ending)| {
        let cells = match ending {
            Ending::Close(entry) => close_cells(entry, app, now),
            Ending::Failure(at, failure) => failure_cells(at, failure, app, now),
        };
        let row = Row::new(columns.iter().map(|&c| cells[c].clone()));
        if app.focus == Focus::History && i == app.history_cursor { row.style(theme.selected()) } else { row }
    });
    let header = Row::new(columns.iter().map(|&c| HEADER[c])).style(theme.title());
    let widths = columns.iter().map(|&c| WIDTHS[c]);
    frame.render_widget(Table::new(rows, widths).header(header).column_spacing(1), inner);
}

fn close_cells(entry: &CloseEntry, app: &App, now: Ts) -> [Cell<'static>; 7] {
    let record = &entry.record;
    let mut reason = escape(&record.reason).into_owned();
    if let Some(cause) = record.cause {
        reason = format!("[{}] {reason}", cause.as_str());
    }
    if let Some(detail) = &record.detail {
        reason = format!("{reason} {}", escape(detail)).trim().to_string();
    }
    let then = match entry.reopened_at {
        Some(reopened) => format!("→ open after {}", duration_ms(reopened.millis_since(entry.at))),
        None if entry.failed_tries > 0 => format!("→ down, {} failed", entry.failed_tries),
        None => format!("→ down {}", duration_ms(now.millis_since(entry.at))),
    };
    let code = format!("{} {}", record.code, short_name(record.code));
    [
        Cell::from(clock(entry.at, app, true)),
        Cell::from(code).style(app.theme.close_kind(CloseKind::of(record))),
        Cell::from(record.initiator.as_str()),
        Cell::from(reason),
        Cell::from(duration_ms(record.connected_ms)),
        Cell::from(if entry.waited_ms > 0 { duration_ms(entry.waited_ms) } else { "-".into() }),
        Cell::from(then),
    ]
}

/// A failed try that is the latest ending: what failed, the server's
/// status and text, and how long the connection has been down since.
fn failure_cells(at: Ts, failure: &HandshakeFailure, app: &App, now: Ts) -> [Cell<'static>; 7] {
    let what = crate::failures::short(failure.stage, failure.http_status);
    let by = if failure.http_status.is_some() { "server" } else { "-" };
    [
        Cell::from(clock(at, app, true)),
        Cell::from(what).style(app.theme.error()),
        Cell::from(by),
        Cell::from(escape(&failure.detail).into_owned()),
        Cell::from("-"),
        Cell::from("-"),
        Cell::from(format!("→ down {}", duration_ms(now.millis_since(at)))),
    ]
}
