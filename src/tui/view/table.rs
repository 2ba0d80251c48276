//! The connections table. Rows are built for the visible window only.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};

use crate::close::short_name;
use crate::event::Ts;
use crate::format::duration_ms;
use crate::model::{Connection, Shown, State};
use crate::text::escape;
use crate::tui::app::{App, Focus};
use crate::tui::theme::Theme;

/// Below this inner width the last-close column leaves out the code's name.
const NARROW: u16 = 100;

const WIDTHS: [Constraint; 7] = [
    Constraint::Min(12),
    Constraint::Length(12),
    Constraint::Length(7),
    Constraint::Length(7),
    Constraint::Length(28),
    Constraint::Length(4),
    Constraint::Length(7),
];

pub fn render(frame: &mut Frame, area: Rect, app: &mut App, now: Ts) {
    let theme = app.theme;
    let order = app.rows.order();
    let title = format!(
        " Connections ({}{}) · sorted by {} ",
        order.len(),
        if app.rows.filter.is_empty() { String::new() } else { " shown".into() },
        app.rows.sort.label()
    );
    let border = if app.focus == Focus::Table { theme.title() } else { theme.dim() };
    let block = Block::bordered().title(title).border_style(border);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    // One line of header; the rest are rows.
    let rows_area = Rect { y: inner.y + 1, height: inner.height.saturating_sub(1), ..inner };
    let visible = usize::from(rows_area.height);
    let selected = app.rows.selected_index();
    if let Some(selected) = selected {
        if selected < app.table_offset {
            app.table_offset = selected;
        } else if visible > 0 && selected >= app.table_offset + visible {
            app.table_offset = selected + 1 - visible;
        }
    }
    app.table_offset = app.table_offset.min(order.len().saturating_sub(visible.max(1)));
    app.table_rows_area = rows_area;

    let end = (app.table_offset + visible).min(order.len());
    let rows = order[app.table_offset..end].iter().enumerate().map(|(i, id)| {
        let conn = &app.model.connections()[id.index()];
        let row = row(conn, now, theme, inner.width >= NARROW, app.is_insecure(*id));
        if Some(app.table_offset + i) == selected { row.style(theme.selected()) } else { row }
    });
    let header = Row::new(["NAME", "STATE", "UP", "RTT", "LAST CLOSE", "#", "NEXT"]).style(theme.title());
    frame.render_widget(Table::new(rows, WIDTHS).header(header).column_spacing(1), inner);
    if order.is_empty() {
        let hint = if app.model.connections().is_empty() {
            "No connections yet: press a to add one (ws://host:port/path)."
        } else {
            "No connection matches the filter (Esc clears it)."
        };
        frame.render_widget(Line::styled(hint, theme.dim()), rows_area);
    }
}

fn row(conn: &Connection, now: Ts, theme: Theme, wide: bool, insecure: bool) -> Row<'static> {
    let shown = conn.shown();
    let state = Line::from(Span::styled(format!("{} {}", symbol(shown), shown.name()), theme.state(shown)));
    let up = conn.opened_at.map_or("-".into(), |opened| duration_ms(now.millis_since(opened)));
    let rtt = conn.rtt_ms.map_or("-".into(), rtt_text);
    let last = conn.last_close().map_or("-".into(), |entry| {
        let ago = duration_ms(now.millis_since(entry.at));
        let code = entry.record.code;
        if wide { format!("{code} {} · {ago}", short_name(code)) } else { format!("{code} · {ago}") }
    });
    let next = match conn.state {
        State::Waiting { until } => duration_ms(until.millis_since(now)),
        State::Held => "off".into(),
        _ => "-".into(),
    };
    Row::new([
        if insecure {
            // Certificate checks are off: never let that look normal.
            Cell::from(format!("{} (insecure)", escape(&conn.name))).style(theme.error())
        } else {
            Cell::from(escape(&conn.name).into_owned())
        },
        Cell::from(state),
        Cell::from(up),
        Cell::from(rtt),
        Cell::from(last),
        Cell::from(conn.closes.to_string()),
        Cell::from(next),
    ])
}

fn rtt_text(ms: f64) -> String {
    if ms < 10.0 { format!("{ms:.1}ms") } else { format!("{ms:.0}ms") }
}

pub fn symbol(shown: Shown) -> char {
    match shown {
        Shown::Attention => '✖',
        Shown::Closed => '○',
        Shown::Open => '●',
        Shown::Connecting => '◐',
        Shown::Waiting => '◌',
        Shown::Paused => '‖',
        Shown::Held => '■',
        Shown::Removed => ' ',
    }
}
