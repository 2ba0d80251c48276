//! Popups over the screen: the help (every key, from the keymap), a close
//! code explained from the catalogue, and the removal confirmation.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::centered;
use crate::catalogue;
use crate::model::Model;
use crate::text::escape;
use crate::tui::app::{App, Overlay};
use crate::tui::keys::BINDINGS;

pub fn render(frame: &mut Frame, area: Rect, app: &App, model: &Model) {
    match &app.overlay {
        Some(Overlay::Help) => help(frame, area, app),
        Some(Overlay::Explain(code)) => explain(frame, area, app, *code),
        Some(Overlay::ExplainFailure(stage, status, detail)) => {
            explain_failure(frame, area, app, *stage, *status, detail)
        }
        Some(Overlay::ConfirmRemove(id)) => {
            let name = model.connection(*id).map(|conn| escape(&conn.name).into_owned()).unwrap_or_default();
            let text = vec![
                Line::raw(format!("Remove {name}?")),
                Line::raw("Its connection closes; its totals stay in the breakdown."),
                Line::from(vec![Span::styled("y", app.theme.key()), Span::raw(" remove · any other key keeps it")]),
            ];
            show(frame, centered(area, 64, 5), " Remove ", text);
        }
        Some(Overlay::ConfirmOverwrite(name)) => {
            let text = vec![
                Line::raw(format!("Profile {} exists.", escape(name))),
                Line::raw("Overwrite it? Its current version is kept as .bak."),
                Line::from(vec![Span::styled("y", app.theme.key()), Span::raw(" overwrite · any other key cancels")]),
            ];
            show(frame, centered(area, 64, 5), " Save ", text);
        }
        Some(Overlay::Prompt(..)) | None => {}
    }
}

fn help(frame: &mut Frame, area: Rect, app: &App) {
    let mut lines: Vec<Line> = BINDINGS
        .iter()
        .map(|binding| {
            Line::from(vec![Span::styled(format!(" {:<10}", binding.label), app.theme.key()), Span::raw(binding.help)])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::raw(" Mouse: click selects a row, the wheel scrolls."));
    lines.push(Line::styled(" Esc or ? closes this help.", app.theme.dim()));
    let height = lines.len() as u16 + 2;
    show(frame, centered(area, 78, height), " Keys ", lines);
}

fn explain(frame: &mut Frame, area: Rect, app: &App, code: u16) {
    let explanation = catalogue::explain(code);
    let facts = &explanation.facts;
    let section = |label: &'static str, text: String| {
        vec![Line::styled(label, app.theme.title()), Line::raw(format!("  {text}")), Line::raw("")]
    };
    let mut lines =
        vec![Line::raw(format!("class {} · sent by {}", explanation.class.as_str(), facts.sent_by)), Line::raw("")];
    lines.extend(section("What it means", facts.meaning.clone()));
    lines.extend(section("When you see it", facts.when.clone()));
    lines.extend(section("What to do", facts.action.clone()));
    lines.extend(section("What wsmon does", crate::codes::policy_line(&explanation)));
    lines.push(Line::styled("Esc closes", app.theme.dim()));
    let title = format!(" {code} {} ", facts.name);
    show(frame, centered(area, 76, 22), &title, lines);
}

fn explain_failure(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    stage: crate::close::Stage,
    status: Option<u16>,
    detail: &str,
) {
    let explanation = crate::failures::explain(stage, status, detail);
    let section = |label: &'static str, text: String| {
        vec![Line::styled(label, app.theme.title()), Line::raw(format!("  {text}")), Line::raw("")]
    };
    let mut lines = vec![Line::raw(format!("the opening handshake failed at stage {}", stage.as_str())), Line::raw("")];
    lines.extend(section("What it means", explanation.meaning.to_string()));
    lines.extend(section("What to do", explanation.action.to_string()));
    lines.extend(section("What wsmon does", crate::codes::failure_policy_line(stage, status)));
    lines.push(Line::styled("Esc closes", app.theme.dim()));
    show(frame, centered(area, 76, 18), &format!(" {} ", explanation.title), lines);
}

fn show(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line>) {
    frame.render_widget(Clear, area);
    let block = Block::bordered().title(title.to_string());
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: true }), area);
}
