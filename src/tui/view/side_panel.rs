//! The side panel: protocol errors (1002) by cause with the endpoints hit,
//! service restarts (1012) by wave with recovery figures, other closes by
//! code, and handshake failures by stage.

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::clock;
use crate::close::{Cause, Stage, facts, short_name};
use crate::event::{ConnId, Ts};
use crate::format::{duration_ms, percentiles};
use crate::model::{CloseKind, Model, Problem, Wave, WaveKind};
use crate::text::escape;
use crate::tui::app::{App, Focus};

/// Endpoints named per cause; more are counted.
const NAMES_PER_CAUSE: usize = 3;
/// Past waves listed under the current one.
const PAST_WAVES: usize = 3;

pub fn render(frame: &mut Frame, area: Rect, app: &App, model: &Model, now: Ts) {
    let theme = app.theme;
    let border = if app.focus == Focus::Panel { theme.title() } else { theme.dim() };
    let block = Block::bordered().title(" Breakdown ").border_style(border);
    let mut lines = protocol_errors(app, model);
    lines.push(Line::raw(""));
    lines.extend(restarts(app, model, now));
    lines.push(Line::raw(""));
    lines.extend(other_closes(app, model));
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), area);
}

fn heading(app: &App, text: &str, total: u64, kind: CloseKind) -> Line<'static> {
    Line::from(vec![
        Span::styled(text.to_string(), app.theme.title()),
        Span::styled(format!(" {total}"), app.theme.close_kind(kind)),
    ])
}

fn protocol_errors(app: &App, model: &Model) -> Vec<Line<'static>> {
    let totals = model.totals();
    let mut by_cause: BTreeMap<Cause, Vec<(ConnId, u64)>> = BTreeMap::new();
    for ((cause, conn), count) in &totals.protocol_errors {
        by_cause.entry(*cause).or_default().push((*conn, *count));
    }
    let total: u64 = totals.by_cause.iter().sum();
    let mut lines = vec![heading(app, "Protocol errors (1002)", total, CloseKind::Protocol)];
    if total == 0 {
        lines.push(Line::styled(" none", app.theme.dim()));
    }
    for (cause, mut conns) in by_cause {
        conns.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
        let count: u64 = conns.iter().map(|(_, count)| count).sum();
        let mut names: Vec<String> = conns
            .iter()
            .take(NAMES_PER_CAUSE)
            .filter_map(|(id, count)| model.connection(*id).map(|conn| format!("{}×{count}", escape(&conn.name))))
            .collect();
        if conns.len() > NAMES_PER_CAUSE {
            names.push(format!("+{}", conns.len() - NAMES_PER_CAUSE));
        }
        lines.push(Line::raw(format!(" {:<24}{count:>4}", cause.as_str())));
        lines.push(Line::styled(format!("   {}", names.join(", ")), app.theme.dim()));
    }
    lines
}

fn restarts(app: &App, model: &Model, now: Ts) -> Vec<Line<'static>> {
    let totals = model.totals();
    let restart_codes: Vec<(u16, u64)> =
        totals.by_code.iter().filter(|(code, _)| facts(**code).restart).map(|(code, n)| (*code, *n)).collect();
    let restarts = restart_codes.iter().map(|(_, n)| n).sum();
    // 1012 always; another restart code (1001) once one was seen.
    let mut codes: Vec<String> =
        restart_codes.iter().filter(|(code, _)| *code != 1012).map(|(c, _)| c.to_string()).collect();
    codes.insert(0, "1012".into());
    let title = format!("Service restarts ({})", codes.join(", "));
    let mut lines = vec![heading(app, &title, restarts, CloseKind::Restart)];
    let waves = model.waves();
    if waves.total() == 0 {
        lines.push(Line::styled(" no waves", app.theme.dim()));
    }
    for wave in waves.recent().rev().take(PAST_WAVES + 1) {
        lines.extend(wave_lines(app, model, wave, now));
    }
    lines
}

fn wave_lines(app: &App, model: &Model, wave: &Wave, now: Ts) -> Vec<Line<'static>> {
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
    let mut lines = vec![
        Line::raw(format!(" wave {}{kind}{state}", wave.number)),
        Line::raw(format!("  {} hit · {} back · {} down", wave.hit, wave.back, wave.still_down())),
    ];
    let figures = wave.recovery.figures();
    if figures.count > 0 {
        lines.push(Line::raw(format!("  recovery {}", percentiles(&figures))));
    }
    // Per service: "api 8/8 · chat 8/8 · feed 7/8".
    let groups: Vec<String> = wave
        .groups
        .iter()
        .enumerate()
        .filter(|(_, figures)| figures.hit > 0)
        .map(|(group, figures)| {
            format!("{} {}/{}", escape(model.groups().name(group as u32)), figures.back, figures.hit)
        })
        .collect();
    if groups.len() > 1 {
        lines.push(Line::raw(format!("  {}", groups.join(" · "))));
    }
    for problem in &wave.problems {
        let what = match problem.problem {
            Problem::Close(code) => format!("{code} {}", short_name(code)),
            Problem::Handshake(stage) => format!("{} failure", stage.as_str()),
        };
        lines.push(Line::styled(format!("  + {what} ×{}", problem.count), app.theme.error()));
    }
    lines
}

fn other_closes(app: &App, model: &Model) -> Vec<Line<'static>> {
    let totals = model.totals();
    let others: Vec<(&u16, &u64)> = totals.by_code.iter().filter(|(code, _)| !facts(**code).broken_down()).collect();
    let count: u64 = others.iter().map(|(_, n)| **n).sum();
    let others: Vec<String> = others.iter().map(|(code, count)| format!("{code}×{count}")).collect();
    let mut lines = vec![heading(app, "Other closes", count, CloseKind::Other)];
    lines.push(Line::raw(if others.is_empty() { " none".into() } else { format!(" {}", others.join(" ")) }));
    if totals.handshake_failures > 0 {
        let stages: Vec<String> = Stage::ALL
            .iter()
            .filter(|stage| totals.by_stage[stage.index()] > 0)
            .map(|stage| format!("{}×{}", stage.as_str(), totals.by_stage[stage.index()]))
            .collect();
        lines.push(heading(app, "Handshake failures", totals.handshake_failures, CloseKind::Other));
        lines.push(Line::raw(format!(" {}", stages.join(" "))));
    }
    lines
}
