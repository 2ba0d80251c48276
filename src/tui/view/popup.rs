//! Popups over the screen: the help (every key, from the keymap), a close
//! code explained from the catalogue, and the removal confirmation.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::centered;
use crate::catalogue;
use crate::lang::Lang;
use crate::model::Model;
use crate::text::{escape, wrap};
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

/// The explanations' width, borders included.
const WIDTH: u16 = 76;

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
    let lang = app.lang;
    let explanation = catalogue::explain(code, lang);
    let facts = &explanation.facts;
    let class = explanation.class.as_str();
    let first = match lang {
        Lang::En => format!("class {class} · sent by {}", facts.sent_by),
        Lang::Ja => format!("クラス {class}、送信元 {}", facts.sent_by),
    };
    let [meaning, when, action, policy] = lang.pick(
        ["What it means", "When you see it", "What to do", "What wsmon does"],
        ["説明", "このコードが表示される場合", "解決方法", "wsmon の動作"],
    );
    let sections = [
        (meaning, facts.meaning.clone()),
        (when, facts.when.clone()),
        (action, facts.action.clone()),
        (policy, crate::codes::policy_line(&explanation, lang)),
    ];
    let title = format!(" {code} {} ", facts.name);
    explanation_popup(frame, area, app, &title, &first, &sections, 22);
}

fn explain_failure(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    stage: crate::close::Stage,
    status: Option<u16>,
    detail: &str,
) {
    let lang = app.lang;
    let explanation = crate::failures::explain(stage, status, detail, lang);
    let first = match lang {
        Lang::En => format!("the opening handshake failed at stage {}", stage.as_str()),
        Lang::Ja => format!("オープニングハンドシェイクが {} の段階で失敗しました", stage.as_str()),
    };
    let [meaning, action, policy] =
        lang.pick(["What it means", "What to do", "What wsmon does"], ["説明", "解決方法", "wsmon の動作"]);
    let sections = [
        (meaning, explanation.meaning.to_string()),
        (action, explanation.action.to_string()),
        (policy, crate::codes::failure_policy_line(stage, status, lang)),
    ];
    explanation_popup(frame, area, app, &format!(" {} ", explanation.title), &first, &sections, 18);
}

/// A close code or a failure explained: a first line, then each section's
/// label and its text indented. Wrapped here by display width (CJK takes
/// two cells; docs/ARCHITECTURE.md, "Languages"), so Japanese breaks
/// between characters and never before 。; as tall as the text needs, at
/// least `height`. When the screen is too short, the blank lines between
/// sections go first.
#[allow(clippy::too_many_arguments)]
fn explanation_popup(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    title: &str,
    first: &str,
    sections: &[(&str, String)],
    height: u16,
) {
    let width = WIDTH.min(area.width);
    let inner = usize::from(width.saturating_sub(2));
    let text = |lines: &mut Vec<Line<'static>>, text: &str, indent: &str| {
        let cells = inner.saturating_sub(indent.len());
        lines.extend(wrap(text, cells).into_iter().map(|line| Line::raw(format!("{indent}{line}"))));
    };
    let layout = |spaced: bool| {
        let mut lines = Vec::new();
        text(&mut lines, first, "");
        for (i, (label, body)) in sections.iter().enumerate() {
            if spaced || i == 0 {
                lines.push(Line::raw(""));
            }
            lines.push(Line::styled(label.to_string(), app.theme.title()));
            text(&mut lines, body, "  ");
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(app.lang.pick("Esc closes", "Esc で閉じる"), app.theme.dim()));
        lines
    };
    let mut lines = layout(true);
    if lines.len() + 2 > usize::from(area.height) {
        lines = layout(false);
    }
    let height = height.max(lines.len() as u16 + 2);
    frame.render_widget(Clear, centered(area, width, height));
    let block = Block::bordered().title(title.to_string());
    frame.render_widget(Paragraph::new(lines).block(block), centered(area, width, height));
}

fn show(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line>) {
    frame.render_widget(Clear, area);
    let block = Block::bordered().title(title.to_string());
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: true }), area);
}
