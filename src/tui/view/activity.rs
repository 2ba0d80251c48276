//! The activity strip: closes per second over the last minutes, one column
//! a second, coloured by the kind of close that dominated it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::event::Ts;
use crate::model::Model;
use crate::tui::app::App;

const LABEL: &str = " closes/s ";
const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

pub fn render(frame: &mut Frame, area: Rect, app: &App, model: &Model, now: Ts) {
    let theme = app.theme;
    let columns = usize::from(area.width).saturating_sub(LABEL.len() + 8);
    let buckets: Vec<_> = model.activity().last(now, columns).collect();
    let peak = buckets.iter().map(|bucket| bucket.total()).max().unwrap_or(0);
    let mut spans = vec![Span::styled(LABEL, theme.dim())];
    for bucket in &buckets {
        let total = bucket.total();
        match bucket.dominant() {
            Some(kind) if peak > 0 => {
                let level = ((total as usize * LEVELS.len()).div_ceil(peak as usize)).clamp(1, LEVELS.len()) - 1;
                spans.push(Span::styled(LEVELS[level].to_string(), theme.close_kind(kind)));
            }
            _ => spans.push(Span::raw(" ")),
        }
    }
    spans.push(Span::styled(format!(" max {peak}"), theme.dim()));
    frame.render_widget(Line::from(spans), area);
}
