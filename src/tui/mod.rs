//! The live TUI: `wsmon [URL | NAME=URL]...`, an output of a session. The
//! session's events are drained once a frame; the screen is redrawn when
//! something changed, at most ~30 times a second, and ticks on its own only
//! while something on screen moves (12 a second while a countdown runs, once
//! a second for uptimes and the clock). Input never waits on the network,
//! and the network never waits on the screen. A replay shows a log's model
//! with the clock stopped at its end; a followed stream (`replay -`,
//! `replay --follow FILE`) is drained like the engine, on its own clock.

pub mod app;
mod columns;
mod effects;
pub mod endings;
mod following;
pub mod input;
pub mod inspector;
pub mod keys;
mod rows;
pub mod target;
mod terminal;
pub mod theme;
pub mod view;

use std::path::PathBuf;
use std::time::Duration;

use futures_util::StreamExt;
use ratatui::crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::engine::inspect::Seen;
use crate::engine::{ConnOptions, ConnSpec, sleep_until_or_never};
use crate::event::ConnId;
use crate::gates::Gates;
use crate::model::WaveRules;
use crate::session::{ExitReport, MetricsSetup, Output, Session};
use app::{App, Drawn};
use effects::Surroundings;
use terminal::TerminalGuard;
use theme::Theme;

/// At most ~30 frames a second.
const FRAME: Duration = Duration::from_millis(33);
/// Redraw interval while a countdown is on screen: countdowns show tenths
/// of a second, and the screen stays above 10 frames a second (with room
/// for the draw itself) while connections are coming back.
const COUNTDOWN_TICK: Duration = Duration::from_millis(80);
/// Redraw interval for uptimes and the clock.
const CLOCK_TICK: Duration = Duration::from_secs(1);
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// What the screen shows.
pub enum Source {
    /// These connections, live; `log`: a session log capped at this many
    /// bytes; `waves`: when their waves end.
    Live { specs: Vec<ConnSpec>, log: Option<u64>, waves: WaveRules },
    /// A replayed log; `notes`: what it left out, said when the replay opens.
    Replay { session: Box<Session>, notes: Vec<String> },
    /// A stream followed as it is written (`Session::follow`).
    Follow { session: Box<Session> },
}

pub struct TuiOptions {
    pub source: Source,
    /// The profile's name, "ad hoc", "demo (seed 7)", a log's name.
    pub label: String,
    /// Options for connections added from the TUI.
    pub defaults: ConnOptions,
    /// Where `S` saves the current set.
    pub profiles: crate::profile::Store,
    /// Write a report here on exit (and on `R`).
    pub report: Option<PathBuf>,
    /// Serve metrics (`--metrics`) while the screen runs.
    pub metrics: Option<MetricsSetup>,
    /// The language of explanations and reports (`--lang`, the locale).
    pub lang: crate::lang::Lang,
}

/// What a session left on disk, to tell the user once the screen is gone.
#[derive(Debug, Default)]
pub struct Outcome {
    pub log: Option<PathBuf>,
}

pub async fn run(options: TuiOptions) -> anyhow::Result<Outcome> {
    let mut guard = TerminalGuard::enter()?;
    let mut app = App::new(&options.label, options.defaults, Theme::from_env());
    app.lang = options.lang;
    let mut session = match options.source {
        Source::Live { specs, log, waves } => {
            let insecure: Vec<bool> = specs.iter().map(|spec| spec.options.tls.insecure).collect();
            let session = Session::live(&options.label, specs, log, waves, None);
            // The engine numbers connections in the order they are added.
            for (index, insecure) in insecure.into_iter().enumerate() {
                app.added(crate::event::ConnId(index as u32), insecure);
            }
            session
        }
        Source::Replay { session, notes } => {
            app = app.replaying();
            if !notes.is_empty() {
                app.say(format!("note: {}", notes.join("; ")), false);
            }
            *session
        }
        Source::Follow { session } => {
            if let Some(status) = session.stream_status() {
                app = app.following(status);
            }
            *session
        }
    };
    // Where it listens is said on the status line: stderr is the screen's.
    let (mut metrics, _serving) = match options.metrics.map(MetricsSetup::start).transpose()? {
        Some((output, serving)) => {
            let notices = crate::metrics::notices(serving.addr());
            tracing::info!("{}", notices.join("; "));
            app.say(notices.join(" — "), notices.len() > 1);
            (Some(output), Some(serving))
        }
        None => (None, None),
    };
    let mut surroundings =
        Surroundings { profiles: options.profiles, report_to: options.report.clone(), inspected: None };
    let mut input = EventStream::new();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut last_draw: Option<Instant> = None;
    let mut dirty = true;
    let mut next_drain = Instant::now();

    loop {
        for notice in session.take_notices() {
            app.say(notice, true);
        }
        if let Some(status) = session.stream_status() {
            dirty |= app.stream_moved(status);
        }
        let now = Instant::now();
        if dirty && last_draw.is_none_or(|at| now >= at + FRAME) {
            let shown = session.now();
            app.refresh(session.model());
            let mut drawn = Drawn::default();
            guard.terminal.draw(|frame| drawn = view::draw(frame, &app, session.model(), shown))?;
            app.laid_out(drawn);
            last_draw = Some(now);
            dirty = false;
        }
        let drawn = last_draw.unwrap_or(now);
        let wake = if dirty { Some(drawn + FRAME) } else { Some(drawn + tick(&app)) };
        tokio::select! {
            // At most one drain a frame: waking for every event costs more
            // CPU at 10,000 connections than the rest of wsmon's work.
            received = session.receive(), if now >= next_drain => {
                if !received {
                    break;
                }
                next_drain = Instant::now() + FRAME;
                session.apply(&mut [&mut metrics, &mut app])?;
                dirty = true;
            }
            input_event = input.next() => {
                match input_event {
                    Some(Ok(TermEvent::Key(key))) if key.kind == KeyEventKind::Press => {
                        for effect in app.on_key(key, session.model()) {
                            effects::carry_out(effect, &mut app, &mut session, &mut surroundings);
                        }
                    }
                    Some(Ok(TermEvent::Mouse(mouse))) => app.on_mouse(mouse, session.model()),
                    Some(Ok(_)) => {}
                    // The terminal is gone: nothing left to show.
                    Some(Err(_)) | None => break,
                }
                dirty = true;
            }
            seen = next_seen(&mut surroundings.inspected) => {
                match seen {
                    Some(seen) => app.on_seen(seen),
                    // The connection is gone (removed): nothing more will come.
                    None => surroundings.inspected = None,
                }
                dirty = true;
            }
            () = sleep_until_or_never(wake) => dirty = true,
            () = tokio::time::sleep_until(next_drain), if now < next_drain => {}
            _ = terminate.recv() => break,
        }
        if app.should_quit() {
            break;
        }
    }
    drop(guard);
    let mut report = options.report.map(|path| ExitReport::new(&app.label, path, app.lang));
    let mut outputs: Vec<&mut dyn Output> = report.iter_mut().map(|report| report as &mut dyn Output).collect();
    let ended = session.finish(&mut outputs, &Gates::default(), SHUTDOWN_GRACE).await?;
    for notice in ended.notices {
        crate::tell!("wsmon: {notice}");
    }
    Ok(Outcome { log: ended.log })
}

/// The next copy from the inspected connection; never, when none is.
async fn next_seen(inspected: &mut Option<(ConnId, mpsc::Receiver<Seen>)>) -> Option<Seen> {
    match inspected {
        Some((_, copies)) => copies.recv().await,
        None => std::future::pending().await,
    }
}

/// How soon the screen changes by itself.
fn tick(app: &App) -> Duration {
    if app.drawn.counting_down { COUNTDOWN_TICK } else { CLOCK_TICK }
}
