//! The activity strip: closes per second over the last minutes, one column
//! a second, coloured by the kind of close that dominated it, between the
//! time its first column stands for and "now".

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::event::Ts;
use crate::format::duration_ms;
use crate::model::Model;
use crate::tui::app::App;

const LABEL: &str = " closes/s ";
const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Room for the time scale: "-9m59s " on the left, " now" on the right.
const SCALE: usize = 7 + 4;

pub fn render(frame: &mut Frame, area: Rect, app: &App, model: &Model, now: Ts) {
    let theme = app.theme;
    let columns = usize::from(area.width).saturating_sub(LABEL.len() + SCALE + 8);
    let buckets: Vec<_> = model.activity().last(now, columns).collect();
    let peak = buckets.iter().map(|bucket| bucket.total()).max().unwrap_or(0);
    let since = format!("-{} ", duration_ms(buckets.len() as u64 * 1_000));
    let mut spans = vec![Span::styled(LABEL, theme.dim()), Span::styled(format!("{since:>7}"), theme.dim())];
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
    spans.push(Span::styled(format!(" now · max {peak}"), theme.dim()));
    frame.render_widget(Line::from(spans), area);
}
