//! The live TUI: `wsmon [URL | NAME=URL]...`. The engine's events are
//! drained in batches and applied to the model; the screen is redrawn when
//! something changed, at most ~30 times a second, and ticks on its own only
//! while something on screen moves (12 a second while a countdown runs, once
//! a second for uptimes and the clock). Input never waits on the network,
//! and the network never waits on the screen. A live session is logged
//! (`recording`); a replay shows a log's model with the clock stopped at
//! its end.

pub mod app;
pub mod input;
pub mod keys;
mod terminal;
pub mod theme;
pub mod view;

use std::path::PathBuf;
use std::time::Duration;

use futures_util::StreamExt;
use ratatui::crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use tokio::time::Instant;

use crate::engine::{ConnOptions, ConnSpec, Engine, sleep_until_or_never};
use crate::event::Ts;
use crate::model::Model;
use crate::recording::Recorder;
use app::{App, Effect};
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
const BATCH: usize = 4096;
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// What the screen shows.
pub enum Source {
    /// These connections, live.
    /// `log`: a session log capped at this many bytes.
    Live { specs: Vec<ConnSpec>, log: Option<u64> },
    /// A recorded session's model, as it was at `end`.
    /// `notes`: what the log left out, said when the replay opens.
    Replay { model: Box<Model>, end: Ts, notes: Vec<String> },
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
}

/// What a session left on disk, to tell the user once the screen is gone.
#[derive(Debug, Default)]
pub struct Outcome {
    pub log: Option<PathBuf>,
    pub report: Option<PathBuf>,
}

pub async fn run(options: TuiOptions) -> anyhow::Result<Outcome> {
    let mut guard = TerminalGuard::enter()?;
    let (mut engine, mut events) = Engine::new();
    let mut app = App::new(&options.label, options.defaults, options.profiles, Theme::from_env());
    app.report_to = options.report.clone();
    let mut recorder = None;
    match options.source {
        Source::Live { specs, log } => {
            for spec in specs {
                app.register(engine.add(spec.clone()), spec);
            }
            if let Some(cap) = log {
                recorder = Recorder::start(&app.label, cap)
                    .inspect_err(|error| app.say(format!("not logging this session: {error}"), true))
                    .ok();
            }
        }
        Source::Replay { model, end, notes } => {
            app = app.replaying(*model, end);
            if !notes.is_empty() {
                app.say(format!("note: {}", notes.join("; ")), false);
            }
        }
    }
    let mut input = EventStream::new();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut batch = Vec::with_capacity(BATCH);
    let mut last_draw: Option<Instant> = None;
    let mut dirty = true;
    let mut next_drain = Instant::now();

    loop {
        let now = Instant::now();
        if dirty && last_draw.is_none_or(|at| now >= at + FRAME) {
            let shown = app.now();
            guard.terminal.draw(|frame| view::draw(frame, &mut app, shown))?;
            last_draw = Some(now);
            dirty = false;
        }
        let drawn = last_draw.unwrap_or(now);
        let wake = if dirty { Some(drawn + FRAME) } else { Some(drawn + tick(&app)) };
        tokio::select! {
            // At most one drain a frame: waking for every event costs more
            // CPU at 10,000 connections than the rest of wsmon's work.
            received = events.recv_many(&mut batch, BATCH), if now >= next_drain => {
                if received == 0 {
                    break;
                }
                next_drain = Instant::now() + FRAME;
                for event in batch.drain(..) {
                    app.apply(&event);
                    record(&mut recorder, &mut app, |log, app| log.record(&app.model, &event, None));
                }
                record(&mut recorder, &mut app, |log, app| log.flush(&app.model, Ts::now()));
                dirty = true;
            }
            input_event = input.next() => {
                match input_event {
                    Some(Ok(TermEvent::Key(key))) if key.kind == KeyEventKind::Press => {
                        for effect in app.on_key(key) {
                            match effect {
                                Effect::Command(id, command) => engine.command(id, command),
                                Effect::Add(spec) => app.register(engine.add((*spec).clone()), *spec),
                            }
                        }
                    }
                    Some(Ok(TermEvent::Mouse(mouse))) => app.on_mouse(mouse),
                    Some(Ok(_)) => {}
                    // The terminal is gone: nothing left to show.
                    Some(Err(_)) | None => break,
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
    let mut outcome = Outcome::default();
    if options.report.is_some() {
        outcome.report = app.write_report();
    }
    drop(guard);
    if let Some(log) = recorder {
        let now = app.now();
        let summary = app.model.summary(now);
        outcome.log = log.finish(&app.model, &summary, now).inspect_err(|error| tracing::warn!(%error)).ok();
    }
    if options.report.is_some()
        && outcome.report.is_none()
        && let Some(status) = &app.status
    {
        eprintln!("wsmon: {}", status.text);
    }
    engine.shutdown(SHUTDOWN_GRACE).await;
    Ok(outcome)
}

/// Run a log write; after a failure (disk full) the session goes on
/// unlogged, and says so.
fn record(
    recorder: &mut Option<Recorder>,
    app: &mut App,
    write: impl FnOnce(&mut Recorder, &App) -> std::io::Result<()>,
) {
    if let Some(log) = recorder
        && let Err(error) = write(log, app)
    {
        app.say(format!("stopped logging this session to {}: {error}", log.path().display()), true);
        *recorder = None;
    }
}

/// How soon the screen changes by itself.
fn tick(app: &App) -> Duration {
    if app.counting_down { COUNTDOWN_TICK } else { CLOCK_TICK }
}
