//! The connections table. Rows are built for the visible window only; the
//! columns are `tui::columns`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Row, Table};

use super::scrolled;
use crate::event::Ts;
use crate::model::Model;
use crate::tui::app::{App, Focus};
use crate::tui::columns::{CellContext, Column};

/// Below this inner width the last-close column leaves out the code's name.
const NARROW: u16 = 100;

/// Where the rows landed: their area, and the first row shown.
pub struct Placed {
    pub rows_area: Rect,
    pub offset: usize,
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, model: &Model, now: Ts) -> Placed {
    let theme = app.theme;
    let order = app.rows.order();
    let showing = app.rows.target.map(|target| format!(" · {}", target.describe(model))).unwrap_or_default();
    let title = format!(
        " Connections ({}{}){showing} · sorted by {} ",
        order.len(),
        if app.rows.filter.is_empty() && app.rows.target.is_none() { String::new() } else { " shown".into() },
        app.rows.sort.name()
    );
    let border = if app.focus == Focus::Table { theme.title() } else { theme.dim() };
    let block = Block::bordered().title(title).border_style(border);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    // One line of header; the rest are rows.
    let rows_area = Rect { y: inner.y + 1, height: inner.height.saturating_sub(1), ..inner };
    let visible = usize::from(rows_area.height);
    let selected = app.rows.selected_index();
    let offset = scrolled(app.drawn.table_offset, selected, visible, order.len());

    let end = (offset + visible).min(order.len());
    let rows = order[offset..end].iter().enumerate().map(|(i, id)| {
        let conn = &model.connections()[id.index()];
        let context = CellContext { now, theme, wide: inner.width >= NARROW, insecure: app.is_insecure(*id) };
        let row = Row::new(Column::shown(inner.width).map(|column| column.cell(conn, &context)));
        if Some(offset + i) == selected { row.style(theme.selected()) } else { row }
    });
    let header = Row::new(Column::shown(inner.width).map(Column::header)).style(theme.title());
    let widths = Column::shown(inner.width).map(Column::width);
    frame.render_widget(Table::new(rows, widths).header(header).column_spacing(1), inner);
    if order.is_empty() {
        let hint = if model.connections().is_empty() {
            "No connections yet: press a to add one (ws://host:port/path)."
        } else {
            "No connection matches the filter (Esc clears it)."
        };
        frame.render_widget(Line::styled(hint, theme.dim()), rows_area);
    }
    Placed { rows_area, offset }
}
