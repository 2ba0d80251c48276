//! The top line (wsmon, the profile, totals by state, the clock) and the
//! banner shown while a restart wave is in progress.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::clock;
use crate::event::Ts;
use crate::format::duration_ms;
use crate::model::{Model, Shown, State, WaveKind};
use crate::text::escape;
use crate::tui::app::App;

/// From this width on, the header shows every state, zeros included.
const WIDE_HEADER: u16 = 100;

/// Connections per state, as the header counts them.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub open: usize,
    pub silent: usize,
    pub connecting: usize,
    pub waiting: usize,
    pub paused: usize,
    pub attention: usize,
}

/// What the header and banner show, from one pass over the connections.
pub struct Glance {
    pub totals: Totals,
    /// The soonest reconnect countdown, from now.
    pub next_reconnect_ms: Option<u64>,
    /// The soonest countdown of a connection the current wave has down.
    pub wave_next_ms: Option<u64>,
}

pub fn glance(model: &Model, now: Ts) -> Glance {
    let mut totals = Totals::default();
    let (mut next_reconnect_ms, mut wave_next_ms): (Option<u64>, Option<u64>) = (None, None);
    let wave = model.waves().current(now).map(|wave| wave.number);
    let sooner = |next: &mut Option<u64>, left: u64| *next = Some(next.map_or(left, |next| next.min(left)));
    for (index, conn) in model.connections().iter().enumerate() {
        if let State::Waiting { until } = conn.state {
            let left = until.millis_since(now);
            sooner(&mut next_reconnect_ms, left);
            if wave.is_some() && model.waves().down_in(crate::event::ConnId(index as u32)) == wave {
                sooner(&mut wave_next_ms, left);
            }
        }
        match conn.shown().counted_as() {
            Some(Shown::Attention) => totals.attention += 1,
            Some(Shown::Open) => totals.open += 1,
            Some(Shown::Silent) => totals.silent += 1,
            Some(Shown::Connecting) => totals.connecting += 1,
            Some(Shown::Waiting) => totals.waiting += 1,
            Some(Shown::Paused) => totals.paused += 1,
            _ => {}
        }
    }
    Glance { totals, next_reconnect_ms, wave_next_ms }
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, t: &Totals, now: Ts) {
    let theme = app.theme;
    let all = t.open + t.silent + t.connecting + t.waiting + t.paused + t.attention;
    let count =
        |n: usize, label: &'static str, style| vec![Span::styled(n.to_string(), style), Span::raw(format!(" {label}"))];
    let mut spans =
        vec![Span::styled(" wsmon", theme.title()), Span::raw(format!(" · {} · {all} conns: ", escape(&app.title())))];
    let parts = [
        count(t.open, "open", theme.state(Shown::Open)),
        count(t.silent, "silent", theme.state(Shown::Silent)),
        count(t.connecting, "connecting", theme.state(Shown::Connecting)),
        count(t.waiting, "waiting", theme.state(Shown::Waiting)),
        count(t.paused, "paused", theme.state(Shown::Paused)),
        count(t.attention, "attention", theme.state(Shown::Attention)),
    ];
    // A narrow screen leaves out the states nobody is in (open always
    // shows); silence, which only some profiles watch for, shows when there is some.
    let counts = [t.open, t.silent, t.connecting, t.waiting, t.paused, t.attention];
    let shown = parts
        .into_iter()
        .zip(counts)
        .enumerate()
        .filter(|(i, (_, n))| *i == 0 || *n > 0 || (area.width >= WIDE_HEADER && *i != 1));
    for (i, (part, _)) in shown {
        if i > 0 {
            spans.push(Span::raw(" · "));
        }
        spans.extend(part);
    }
    spans.push(Span::raw(format!(" · {}", clock(now, app, false))));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// "Restart wave 2: 18 / 24 back · 6 down · of 40 connections · next
/// reconnect in 2.1s", while a wave runs: its countdown is the wave's own.
pub fn banner_text(model: &Model, now: Ts, glance: &Glance) -> Option<String> {
    let wave = model.waves().current(now)?;
    let kind = match wave.kind {
        WaveKind::Restart => "Restart wave",
        WaveKind::Abrupt => "Abrupt wave (connections dropped)",
    };
    let t = &glance.totals;
    let fleet = t.open + t.connecting + t.waiting + t.paused + t.attention;
    let mut text = format!(
        " {kind} {}: {} / {} back · {} down · of {fleet} connections",
        wave.number,
        wave.back,
        wave.hit,
        wave.still_down()
    );
    if let Some(next) = glance.wave_next_ms {
        text.push_str(&format!(" · next reconnect in {}", duration_ms(next)));
    }
    Some(text)
}

pub fn render_banner(frame: &mut Frame, area: Rect, app: &App, text: String) {
    frame.render_widget(Paragraph::new(text).style(app.theme.banner()), area);
}
