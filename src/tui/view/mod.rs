//! Drawing: a function of (app, model, area, now) that returns what the
//! layout learned (`Drawn`). One file per screen region.
//!
//! ```text
//! ┌ header: wsmon · profile · totals by state · clock ─────────────────────┐
//! │ banner (only while a restart wave is in progress)                      │
//! │ Connections (table)                        │ Side panel: 1002 by cause │
//! │ NAME STATE UP RTT LAST # NEXT              │ 1012 waves, other closes  │
//! │ activity: closes per second, coloured by kind                          │
//! │ Close history of the selected connection                               │
//! └ footer: key hints · status ────────────────────────────────────────────┘
//! ```
//!
//! Below `WIDE` columns the side panel folds: the bottom pane shows the
//! history, or the side panel while that has the focus (Tab).

mod activity;
mod footer;
mod header;
mod history;
mod inspect;
mod popup;
mod services;
mod side_panel;
pub(crate) mod table;
#[cfg(test)]
mod tests;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use super::app::{App, Drawn, Focus};
use crate::event::Ts;
use crate::model::Model;

/// From this width on, the side panel stands beside the table.
pub const WIDE: u16 = 110;
/// Below this, the screen says it is too small instead of a jumble.
const MIN_WIDTH: u16 = 40;
const MIN_HEIGHT: u16 = 12;
const SIDE_PANEL_WIDTH: u16 = 42;

/// Draw everything; the app's rows must be up to date (`App::refresh`).
pub fn draw(frame: &mut Frame, app: &App, model: &Model, now: Ts) -> Drawn {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!("terminal too small ({}×{}): wsmon needs {MIN_WIDTH}×{MIN_HEIGHT}", area.width, area.height);
        frame.render_widget(ratatui::widgets::Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }), area);
        return Drawn::default();
    }
    let glance = header::glance(model, now);
    let banner = header::banner_text(model, now, &glance);
    let history_height = if area.height >= 30 { 10 } else { 7 }.min(area.height.saturating_sub(6));
    let [header_area, banner_area, body, activity_area, bottom, footer_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::from(banner.is_some())),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(history_height),
        Constraint::Length(1),
    ])
    .areas(area);

    header::render(frame, header_area, app, &glance.totals, now);
    if let Some(text) = banner {
        header::render_banner(frame, banner_area, app, text);
    }
    let wide = area.width >= WIDE;
    let (table_area, mut panel) = if wide {
        let [table_area, panel_area] =
            Layout::horizontal([Constraint::Min(40), Constraint::Length(SIDE_PANEL_WIDTH)]).areas(body);
        (table_area, Some(side_panel::render(frame, panel_area, app, model, now)))
    } else {
        (body, None)
    };
    let (table, services) = if app.by_service {
        let listed = services::render(frame, table_area, app, model);
        // The services' rows take the wheel and clicks; the connections keep their place.
        (table::Placed { rows_area: listed.rows_area, offset: app.drawn.table_offset }, Some(listed))
    } else {
        (table::render(frame, table_area, app, model, now), None)
    };
    activity::render(frame, activity_area, app, model, now);
    if !wide && app.focus == Focus::Panel {
        panel = Some(side_panel::render(frame, bottom, app, model, now));
    } else {
        history::render(frame, bottom, app, model, now);
    }
    footer::render(frame, footer_area, app);
    if let Some(inspector) = &app.inspector {
        inspect::render(frame, area, app, model, inspector);
    }
    popup::render(frame, area, app, model);
    let panel = panel.unwrap_or(side_panel::Shown { area: Rect::default(), targets: Vec::new(), offset: 0 });
    Drawn {
        table_rows_area: table.rows_area,
        table_offset: table.offset,
        // The loop ticks faster while a countdown is on screen.
        // A replay's clock stands still (a followed stream's, once it ends or
        // waits); a countdown at zero waits for the engine.
        counting_down: glance.next_reconnect_ms.is_some_and(|ms| ms > 0) && app.clock_moves(),
        panel_area: panel.area,
        panel_targets: panel.targets,
        panel_offset: panel.offset,
        services_offset: services.as_ref().map_or(0, |listed| listed.offset),
        services: services.map(|listed| listed.groups).unwrap_or_default(),
    }
}

/// The first line to show of `rows`: the last frame's, moved just enough
/// to keep the cursor in view, and never past the end.
fn scrolled(offset: usize, cursor: Option<usize>, visible: usize, rows: usize) -> usize {
    let offset = match cursor {
        Some(cursor) if cursor < offset => cursor,
        Some(cursor) if visible > 0 && cursor >= offset + visible => cursor + 1 - visible,
        _ => offset,
    };
    offset.min(rows.saturating_sub(visible.max(1)))
}

/// A time of day for the screen, local unless the app shows UTC.
fn clock(at: Ts, app: &App, with_millis: bool) -> String {
    crate::format::clock(at, app.utc, with_millis)
}

/// A rectangle of at most `width` × `height` centred in `area`.
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height }
}
