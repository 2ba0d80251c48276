//! The live TUI: `wsmon [URL | NAME=URL]...`. The engine's events are
//! drained in batches and applied to the model; the screen is redrawn when
//! something changed, at most ~30 times a second, and ticks on its own only
//! while something on screen moves (4 a second while a countdown runs, once
//! a second for uptimes and the clock). Input never waits on the network,
//! and the network never waits on the screen.

pub mod app;
pub mod input;
pub mod keys;
mod terminal;
pub mod theme;
pub mod view;

use std::time::Duration;

use futures_util::StreamExt;
use ratatui::crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use tokio::time::Instant;

use crate::engine::{ConnOptions, ConnSpec, Engine, sleep_until_or_never};
use crate::event::Ts;
use crate::model::State;
use app::{App, Effect};
use terminal::TerminalGuard;
use theme::Theme;

/// At most ~30 frames a second.
const FRAME: Duration = Duration::from_millis(33);
/// Redraw interval while a countdown is on screen.
const COUNTDOWN_TICK: Duration = Duration::from_millis(250);
/// Redraw interval for uptimes and the clock.
const CLOCK_TICK: Duration = Duration::from_secs(1);
const BATCH: usize = 4096;
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

pub struct TuiOptions {
    pub specs: Vec<ConnSpec>,
    /// The profile's name, or "ad hoc".
    pub label: String,
    /// Options for connections added from the TUI.
    pub defaults: ConnOptions,
    /// Where `S` saves the current set.
    pub profiles: crate::profile::Store,
}

pub async fn run(options: TuiOptions) -> anyhow::Result<()> {
    let mut guard = TerminalGuard::enter()?;
    let (mut engine, mut events) = Engine::new();
    let mut app = App::new(&options.label, options.defaults, options.profiles, Theme::from_env());
    for spec in options.specs {
        app.register(engine.add(spec.clone()), spec);
    }
    let mut input = EventStream::new();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut batch = Vec::with_capacity(BATCH);
    let mut last_draw: Option<Instant> = None;
    let mut dirty = true;

    loop {
        let now = Instant::now();
        if dirty && last_draw.is_none_or(|at| now >= at + FRAME) {
            guard.terminal.draw(|frame| view::draw(frame, &mut app, Ts::now()))?;
            last_draw = Some(now);
            dirty = false;
        }
        let drawn = last_draw.unwrap_or(now);
        let wake = if dirty { Some(drawn + FRAME) } else { Some(drawn + tick(&app)) };
        tokio::select! {
            received = events.recv_many(&mut batch, BATCH) => {
                if received == 0 {
                    break;
                }
                batch.drain(..).for_each(|event| app.apply(&event));
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
            _ = terminate.recv() => break,
        }
        if app.should_quit() {
            break;
        }
    }
    drop(guard);
    engine.shutdown(SHUTDOWN_GRACE).await;
    Ok(())
}

/// How soon the screen changes by itself.
fn tick(app: &App) -> Duration {
    let counting_down = app.model.connections().iter().any(|conn| matches!(conn.state, State::Waiting { .. }));
    if counting_down { COUNTDOWN_TICK } else { CLOCK_TICK }
}
