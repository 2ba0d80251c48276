//! The bottom line: key hints from the keymap and the latest status, or an
//! open prompt with why its input was refused.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::text::escape;
use crate::tui::app::{App, Overlay, PromptKind};
use crate::tui::keys::BINDINGS;

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    if let Some(Overlay::Prompt(kind, input)) = &app.overlay {
        let label = match kind {
            PromptKind::Filter => " filter: ",
            PromptKind::Add => " add (URL or NAME=URL): ",
            PromptKind::SaveAs => " save as profile: ",
            PromptKind::Send => " send (text): ",
        };
        let mut spans = vec![Span::styled(label, theme.key()), Span::raw(escape(input.text()).into_owned())];
        // Why the input was refused, beside it: the prompt stays open to fix it.
        if let Some(status) = app.status.as_ref().filter(|status| status.error) {
            spans.push(Span::styled(format!("  ✖ {}", escape(&status.text)), theme.error()));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
        let cursor_x = area.x + label.len() as u16 + input.cursor_cells() as u16;
        frame.set_cursor_position((cursor_x.min(area.right().saturating_sub(1)), area.y));
        return;
    }
    let mut spans = Vec::new();
    // What just happened comes first: it is what the user is looking for.
    if let Some(status) = &app.status {
        let style = if status.error { theme.error() } else { theme.title() };
        spans.push(Span::styled(format!(" {} ·", escape(&status.text)), style));
    }
    // A replay connects nothing: its footer offers only what works there.
    let offered = BINDINGS.iter().filter(|binding| !(app.is_replay() && binding.action.is_live_only()));
    for binding in offered {
        let Some(word) = binding.footer else { continue };
        let key = binding.label.split(' ').next().unwrap_or(binding.label);
        spans.push(Span::styled(format!(" {key}"), theme.key()));
        spans.push(Span::raw(format!(" {word} ")));
    }
    if !app.rows.filter.is_empty() {
        spans.push(Span::styled(format!(" filter: {} ", escape(&app.rows.filter)), theme.title()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
