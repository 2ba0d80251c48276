//! The side panel: protocol errors (1002) by cause with the endpoints hit,
//! restart waves with their services and problems, other closes by code,
//! and handshake failures by stage with the connections failing. One line per thing counted, so each
//! can be chosen (Tab to focus, j/k to move, Enter) to filter the table to
//! the connections it counts (`tui::target`); it scrolls when it is longer
//! than the screen.

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{clock, scrolled};
use crate::close::{Cause, Stage, facts, short_name};
use crate::event::{ConnId, Ts};
use crate::format::{duration_ms, percentiles};
use crate::model::{CloseKind, Model, Problem, Wave, WaveKind};
use crate::text::escape;
use crate::tui::app::{App, Focus};
use crate::tui::target::Target;

/// Connections named per cause or handshake stage; more are counted.
const NAMES_PER_LINE: usize = 3;
/// Past waves listed under the current one.
const PAST_WAVES: usize = 3;

/// One line of the panel, and what it counts (headings count nothing).
struct Entry {
    line: Line<'static>,
    target: Option<Target>,
}

fn entry(line: Line<'static>, target: Option<Target>) -> Entry {
    Entry { line, target }
}

/// What the panel showed: where, each line's target, the first line shown.
pub struct Shown {
    pub area: Rect,
    pub targets: Vec<Option<Target>>,
    pub offset: usize,
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, model: &Model, now: Ts) -> Shown {
    let theme = app.theme;
    let focused = app.focus == Focus::Panel;
    let border = if focused { theme.title() } else { theme.dim() };
    let block = Block::bordered().title(" Breakdown ").border_style(border);
    let inner = block.inner(area);
    let mut entries = protocol_errors(app, model);
    entries.push(entry(Line::raw(""), None));
    entries.extend(restarts(app, model, now));
    entries.push(entry(Line::raw(""), None));
    entries.extend(other_closes(app, model));
    let visible = usize::from(inner.height);
    let cursor = app.panel_cursor.min(entries.len().saturating_sub(1));
    let offset = scrolled(app.drawn.panel_offset, focused.then_some(cursor), visible, entries.len());
    let lines: Vec<Line<'static>> = entries
        .iter()
        .enumerate()
        .skip(offset)
        .take(visible)
        .map(
            |(i, entry)| {
                if focused && i == cursor { entry.line.clone().style(theme.selected()) } else { entry.line.clone() }
            },
        )
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
    Shown { area, targets: entries.into_iter().map(|entry| entry.target).collect(), offset }
}

fn heading(app: &App, text: &str, total: u64, kind: CloseKind) -> Entry {
    let line = Line::from(vec![
        Span::styled(text.to_string(), app.theme.title()),
        Span::styled(format!(" {total}"), app.theme.close_kind(kind)),
    ]);
    entry(line, None)
}

fn protocol_errors(app: &App, model: &Model) -> Vec<Entry> {
    let totals = model.totals();
    let mut by_cause: BTreeMap<Cause, Vec<(ConnId, u64)>> = BTreeMap::new();
    for ((cause, conn), count) in &totals.protocol_errors {
        by_cause.entry(*cause).or_default().push((*conn, *count));
    }
    let total: u64 = totals.by_cause.iter().sum();
    let mut entries = vec![heading(app, "Protocol errors (1002)", total, CloseKind::Protocol)];
    if total == 0 {
        entries.push(entry(Line::styled(" none", app.theme.dim()), None));
    }
    for (cause, conns) in by_cause {
        let count: u64 = conns.iter().map(|(_, count)| count).sum();
        let target = Some(Target::Cause(cause));
        entries.push(entry(Line::raw(format!(" {:<24}{count:>4}", cause.as_str())), target));
        entries.push(entry(Line::styled(format!("   {}", names(model, conns)), app.theme.dim()), target));
    }
    entries
}

/// The connections that count most, by name with their counts, and how
/// many more: "api-1×7, api-2×3, feed-1×1, +2".
fn names(model: &Model, mut conns: Vec<(ConnId, u64)>) -> String {
    conns.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    let mut names: Vec<String> = conns
        .iter()
        .take(NAMES_PER_LINE)
        .filter_map(|(id, count)| model.connection(*id).map(|conn| format!("{}×{count}", escape(&conn.name))))
        .collect();
    if conns.len() > NAMES_PER_LINE {
        names.push(format!("+{}", conns.len() - NAMES_PER_LINE));
    }
    names.join(", ")
}

fn restarts(app: &App, model: &Model, now: Ts) -> Vec<Entry> {
    let totals = model.totals();
    let restart_codes: Vec<(u16, u64)> =
        totals.by_code.iter().filter(|(code, _)| facts(**code).restart).map(|(code, n)| (*code, *n)).collect();
    let restarts = restart_codes.iter().map(|(_, n)| n).sum();
    // 1012 always; another restart code (1001) once one was seen.
    let mut codes: Vec<String> =
        restart_codes.iter().filter(|(code, _)| *code != 1012).map(|(c, _)| c.to_string()).collect();
    codes.insert(0, "1012".into());
    let title = format!("Service restarts ({})", codes.join(", "));
    let mut entries = vec![heading(app, &title, restarts, CloseKind::Restart)];
    let waves = model.waves();
    if waves.total() == 0 {
        entries.push(entry(Line::styled(" no waves", app.theme.dim()), None));
    }
    for wave in waves.recent().rev().take(PAST_WAVES + 1) {
        entries.extend(wave_entries(app, model, wave, now));
    }
    entries
}

fn wave_entries(app: &App, model: &Model, wave: &Wave, now: Ts) -> Vec<Entry> {
    let kind = match wave.kind {
        WaveKind::Restart => "",
        WaveKind::Abrupt => " abrupt",
    };
    let state = match wave.ended(now) {
        None => " · in progress".to_string(),
        Some(ended) => {
            let stragglers = if wave.still_down() > 0 { " (stragglers)" } else { "" };
            format!(
                " · {} · {}{stragglers}",
                clock(wave.started, app, false),
                duration_ms(ended.millis_since(wave.started))
            )
        }
    };
    let silent = if wave.silent > 0 { format!(" · {} silent", wave.silent) } else { String::new() };
    // "Who is still down" is one Enter away.
    let down = Some(Target::WaveDown(wave.number));
    let mut entries = vec![
        entry(Line::raw(format!(" wave {}{kind}{state}", wave.number)), down),
        entry(Line::raw(format!("  {} hit · {} back · {} down{silent}", wave.hit, wave.back, wave.still_down())), down),
    ];
    let figures = wave.recovery.figures();
    if figures.count > 0 {
        entries.push(entry(Line::raw(format!("  recovery {}", percentiles(&figures))), down));
    }
    // Per service, one line each, once there is more than one.
    let groups: Vec<(usize, &crate::model::GroupFigures)> =
        wave.groups.iter().enumerate().filter(|(_, figures)| figures.hit > 0).collect();
    if groups.len() > 1 {
        for (group, figures) in groups {
            let name = escape(model.groups().name(group as u32)).into_owned();
            // Padded by display width: a Japanese service name takes two cells a character.
            let text = format!("  {} {}/{} back", crate::text::pad(&name, 14), figures.back, figures.hit);
            entries.push(entry(Line::raw(text), Some(Target::Group(group as u32))));
        }
    }
    for problem in &wave.problems {
        let what = match problem.problem {
            Problem::Close(code) => format!("{code} {}", short_name(code)),
            Problem::Handshake(stage) => format!("{} failure", stage.as_str()),
        };
        let line = Line::styled(format!("  + {what} ×{}", problem.count), app.theme.error());
        entries.push(entry(line, Some(Target::Problem(wave.number, problem.problem))));
    }
    entries
}

fn other_closes(app: &App, model: &Model) -> Vec<Entry> {
    let totals = model.totals();
    let others: Vec<(u16, u64)> =
        totals.by_code.iter().filter(|(code, _)| !facts(**code).broken_down()).map(|(c, n)| (*c, *n)).collect();
    let count: u64 = others.iter().map(|(_, n)| n).sum();
    let mut entries = vec![heading(app, "Other closes", count, CloseKind::Other)];
    if others.is_empty() {
        entries.push(entry(Line::raw(" none"), None));
    }
    for (code, count) in others {
        let line = Line::raw(format!(" {code} {:<20}×{count}", short_name(code)));
        entries.push(entry(line, Some(Target::Code(code))));
    }
    if totals.handshake_failures > 0 {
        entries.push(heading(app, "Handshake failures", totals.handshake_failures, CloseKind::Other));
        let mut by_stage: BTreeMap<Stage, Vec<(ConnId, u64)>> = BTreeMap::new();
        for ((stage, conn), count) in &totals.failing {
            by_stage.entry(*stage).or_default().push((*conn, *count));
        }
        for (stage, conns) in by_stage {
            let target = Some(Target::Stage(stage));
            let line = Line::raw(format!(" {:<25}×{}", stage.as_str(), totals.by_stage[stage.index()]));
            entries.push(entry(line, target));
            entries.push(entry(Line::styled(format!("   {}", names(model, conns)), app.theme.dim()), target));
        }
    }
    entries
}
