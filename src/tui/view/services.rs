//! The table by service (`v`): one row per group of connections sharing an
//! endpoint, with how many are open, waiting or need attention, and how
//! the last wave that hit it went. j/k choose a service and Enter shows
//! its connections; the list scrolls.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Block, Row, Table};

use super::scrolled;
use crate::format::duration_ms;
use crate::model::{Model, Percentiles, Shown};
use crate::text::escape;
use crate::tui::app::{App, Focus};

#[derive(Default)]
struct Counts {
    total: u32,
    open: u32,
    waiting: u32,
    attention: u32,
}

/// What the view showed: where its rows are, the first one shown, and the
/// service of each row, in order (what j/k move over and Enter chooses).
pub struct Listed {
    pub rows_area: Rect,
    pub offset: usize,
    pub groups: Vec<u32>,
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, model: &Model) -> Listed {
    let theme = app.theme;
    let groups = model.groups();
    let mut counts: Vec<Counts> = (0..groups.len()).map(|_| Counts::default()).collect();
    for conn in model.connections() {
        let Some(counts) = counts.get_mut(conn.group as usize) else { continue };
        match conn.shown().counted_as() {
            None => continue,
            Some(Shown::Open) => counts.open += 1,
            Some(Shown::Attention | Shown::Silent) => counts.attention += 1,
            Some(Shown::Waiting | Shown::Connecting) => counts.waiting += 1,
            Some(_) => {}
        }
        counts.total += 1;
    }
    let listed: Vec<u32> = (0..counts.len() as u32).filter(|group| counts[*group as usize].total > 0).collect();
    let focused = app.focus == Focus::Table;
    let border = if focused { theme.title() } else { theme.dim() };
    let title = format!(" Services ({}) · Enter: its connections · v: all connections ", listed.len());
    let block = Block::bordered().title(title).border_style(border);
    let inner = block.inner(area);
    // Below the header line.
    let rows_area = Rect { y: inner.y + 1, height: inner.height.saturating_sub(1), ..inner };
    let visible = usize::from(rows_area.height);
    let cursor = app.service_cursor.min(listed.len().saturating_sub(1));
    let offset = scrolled(app.drawn.services_offset, focused.then_some(cursor), visible, listed.len());
    let rows = listed.iter().enumerate().skip(offset).take(visible).map(|(i, &group)| {
        let counts = &counts[group as usize];
        let row = Row::new([
            escape(groups.name(group)).into_owned(),
            counts.total.to_string(),
            counts.open.to_string(),
            counts.waiting.to_string(),
            counts.attention.to_string(),
            last_wave(model, group as usize),
        ]);
        if focused && i == cursor { row.style(theme.selected()) } else { row }
    });
    let widths = [
        Constraint::Min(16),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(8),
        Constraint::Length(10),
        Constraint::Length(30),
    ];
    let header = Row::new(["SERVICE", "CONNS", "OPEN", "WAITING", "ATTENTION", "LAST WAVE"]).style(theme.title());
    frame.render_widget(Table::new(rows, widths).header(header).column_spacing(1).block(block), area);
    Listed { rows_area, offset, groups: listed }
}

/// "wave 3: 8/8 back p95 3.1s", for the latest wave that hit the group.
fn last_wave(model: &Model, group: usize) -> String {
    let hit = model.waves().recent().rev().find_map(|wave| {
        wave.groups.get(group).filter(|figures| figures.hit > 0).map(|figures| (wave.number, figures))
    });
    let Some((number, figures)) = hit else { return "-".into() };
    let p95 = Percentiles::exact(&figures.recovery_ms).p95_ms.map(|ms| format!(" p95 {}", duration_ms(ms)));
    format!("wave {number}: {}/{} back{}", figures.back, figures.hit, p95.unwrap_or_default())
}
