//! The TUI's state: what the user is looking at (selection, sort, filter,
//! focus, popups) and what the last frame laid out. The model is the
//! session's; the app reads it. Keys and mouse become `Effect`s that the
//! loop carries out (engine commands, saving a profile, writing a report):
//! nothing here touches a socket, a file or the terminal, so tests drive
//! it directly.

use std::io;

use ratatui::crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::endings::{self, Ending, endings};
use super::input::LineInput;
use super::inspector::Inspector;
use super::keys::{self, Action};
use super::rows::Rows;
use super::target::Target;
use super::theme::Theme;
use crate::engine::inspect::Seen;
use crate::engine::{Command, ConnOptions, ConnSpec};
use crate::event::{ConnId, Event, Ts};
use crate::lang::Lang;
use crate::model::{Model, State, Summary};
use crate::session::{Output, StreamStatus};

/// The label of a set of connections that is not a saved profile.
pub const AD_HOC: &str = "ad hoc";

/// What the app asks the loop to do.
#[derive(Debug, Clone)]
pub enum Effect {
    Command(ConnId, Command),
    Add(Box<ConnSpec>),
    /// Save the set as profile `name`; `overwrite`: the user said yes to
    /// replacing the one that exists.
    SaveProfile {
        name: String,
        overwrite: bool,
    },
    /// Write a deployment report now.
    WriteReport,
    /// Copy this connection's messages to the inspector (None: stop).
    Inspect(Option<ConnId>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Table,
    History,
    Panel,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    Help,
    /// The catalogue's explanation of a close code.
    Explain(u16),
    /// A failed handshake explained (a connection that never opened):
    /// stage, status and detail.
    ExplainFailure(crate::close::Stage, Option<u16>, String),
    ConfirmRemove(ConnId),
    /// Save as this profile name, which exists already?
    ConfirmOverwrite(String),
    Prompt(PromptKind, LineInput),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Filter,
    Add,
    SaveAs,
    /// A text message for the inspected connection.
    Send,
}

/// What the screen shows: live connections, a recorded log, or a stream
/// as it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    Live,
    Replay,
    Follow(StreamStatus),
}

/// A status line message: what just happened, or what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

/// What the last frame learned about the layout: where the table's rows
/// are (for clicks and paging), which row is at their top, whether a
/// countdown is on screen (the screen then ticks faster), and the side
/// panel's lines (what each counts), where it is and its first line shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drawn {
    pub table_rows_area: Rect,
    pub table_offset: usize,
    pub counting_down: bool,
    pub panel_area: Rect,
    pub panel_targets: Vec<Option<Target>>,
    pub panel_offset: usize,
    /// The services view's rows (each one's group) and its first shown.
    pub services: Vec<u32>,
    pub services_offset: usize,
}

pub struct App {
    /// The profile's name, or "ad hoc".
    pub label: String,
    pub theme: Theme,
    /// Times in UTC instead of the local zone (tests, and people who like it).
    pub utc: bool,
    /// The language of explanations (the explain popup) and of the reports
    /// `R` writes; the rest of the screen is English.
    pub lang: Lang,
    pub rows: Rows,
    pub focus: Focus,
    /// Index into the selected connection's history, newest first.
    pub history_cursor: usize,
    /// The side panel's line under the cursor.
    pub panel_cursor: usize,
    /// The table shows one row per service instead of per connection.
    pub by_service: bool,
    /// The services view's row under the cursor.
    pub service_cursor: usize,
    pub overlay: Option<Overlay>,
    /// The connection whose live messages are shown (`i`), and them.
    pub inspector: Option<Inspector>,
    pub status: Option<Status>,
    pub drawn: Drawn,
    /// Options for connections added with `a`.
    pub defaults: ConnOptions,
    /// Connections whose certificates are not checked, shown in red.
    insecure: Vec<ConnId>,
    /// A replay or a followed stream: nothing connects.
    mode: Mode,
    quit: bool,
}

impl App {
    pub fn new(label: &str, defaults: ConnOptions, theme: Theme) -> App {
        App {
            label: label.to_string(),
            theme,
            utc: false,
            lang: Lang::En,
            rows: Rows::default(),
            focus: Focus::Table,
            history_cursor: 0,
            panel_cursor: 0,
            by_service: false,
            service_cursor: 0,
            overlay: None,
            inspector: None,
            status: None,
            drawn: Drawn::default(),
            defaults,
            insecure: Vec::new(),
            mode: Mode::Live,
            quit: false,
        }
    }

    /// Show a recorded session: keys that would connect say why they do not.
    pub fn replaying(self) -> App {
        App { mode: Mode::Replay, ..self }
    }

    /// Show a stream as it is written: nothing connects either.
    pub fn following(self, status: StreamStatus) -> App {
        App { mode: Mode::Follow(status), ..self }
    }

    pub fn is_replay(&self) -> bool {
        self.mode != Mode::Live
    }

    /// Whether the clock moves (countdowns tick): live, or a stream that runs.
    pub fn clock_moves(&self) -> bool {
        match &self.mode {
            Mode::Live => true,
            Mode::Replay => false,
            Mode::Follow(status) => status.phase == crate::session::Phase::Running,
        }
    }

    /// Where the followed stream stands now; its end is said once. True
    /// when the screen changes.
    pub fn stream_moved(&mut self, status: StreamStatus) -> bool {
        let Mode::Follow(before) = &self.mode else { return false };
        if *before == status {
            return false;
        }
        if let Some(news) = super::following::news(&before.phase, &status) {
            self.status = Some(Status { text: news, error: false });
        }
        // Reports are named after the session that wrote the stream, once known.
        if let Some(label) = &status.label {
            self.label = format!("{label} (followed)");
        }
        self.mode = Mode::Follow(status);
        true
    }

    /// The header's title: the profile's name, or what is followed.
    pub fn title(&self) -> std::borrow::Cow<'_, str> {
        match &self.mode {
            Mode::Follow(status) => super::following::title(status).into(),
            _ => self.label.as_str().into(),
        }
    }

    /// The session started a connection as `id`; `insecure`: without
    /// certificate checks.
    pub fn added(&mut self, id: ConnId, insecure: bool) {
        if insecure {
            self.insecure.push(id);
        }
    }

    /// Whether certificate checks are off for this connection.
    pub fn is_insecure(&self, id: ConnId) -> bool {
        self.insecure.contains(&id)
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Bring the row order up to date; call before drawing. When the
    /// selected connection left the rows, the history starts at its newest.
    pub fn refresh(&mut self, model: &Model) {
        let before = self.rows.selected;
        self.rows.refresh(model);
        if self.rows.selected != before {
            self.history_cursor = 0;
        }
    }

    /// What the frame just drawn learned.
    pub fn laid_out(&mut self, drawn: Drawn) {
        self.drawn = drawn;
    }

    /// The profile was saved: the set is that profile now.
    pub fn saved(&mut self, name: &str, message: String) {
        self.label = name.to_string();
        self.say(message, false);
    }

    /// Profile `name` exists: ask before replacing it.
    pub fn confirm_overwrite(&mut self, name: &str) {
        self.overlay = Some(Overlay::ConfirmOverwrite(name.to_string()));
    }

    /// `name` is not a profile name: say why, with the prompt open to fix it.
    pub fn refuse_profile_name(&mut self, name: &str, why: String) {
        self.say(why, true);
        self.overlay = Some(Overlay::Prompt(PromptKind::SaveAs, LineInput::with_text(name)));
    }

    pub fn on_key(&mut self, key: KeyEvent, model: &Model) -> Vec<Effect> {
        if keys::is_interrupt(key) {
            self.quit = true;
            return Vec::new();
        }
        match self.overlay.take() {
            Some(Overlay::Prompt(kind, input)) => self.on_prompt_key(kind, input, key),
            Some(Overlay::ConfirmOverwrite(name)) => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => vec![Effect::SaveProfile { name, overwrite: true }],
                _ => Vec::new(),
            },
            Some(Overlay::ConfirmRemove(id)) => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    self.say(format!("removed {}", name(model, id)), false);
                    vec![Effect::Command(id, Command::Remove)]
                }
                _ => Vec::new(),
            },
            Some(overlay @ (Overlay::Help | Overlay::Explain(_) | Overlay::ExplainFailure(..))) => {
                let closes =
                    matches!(keys::action_for(key), Some(Action::Back | Action::Help | Action::Quit | Action::Open));
                if !closes {
                    self.overlay = Some(overlay);
                }
                Vec::new()
            }
            None if self.inspector.is_some() => self.on_inspector_key(key),
            None => keys::action_for(key).map(|action| self.on_action(action, model)).unwrap_or_default(),
        }
    }

    /// The inspector is open: scroll, send, or close it.
    fn on_inspector_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(inspector) = self.inspector.as_mut() else { return Vec::new() };
        match keys::action_for(key) {
            Some(Action::Down) => inspector.scroll_by(1),
            Some(Action::Up) => inspector.scroll_by(-1),
            Some(Action::PageDown) => inspector.scroll_by(10),
            Some(Action::PageUp) => inspector.scroll_by(-10),
            Some(Action::Top) => inspector.scroll_by(isize::MIN / 2),
            Some(Action::Back | Action::Inspect | Action::Quit) => {
                self.inspector = None;
                return vec![Effect::Inspect(None)];
            }
            _ if key.code == KeyCode::Char('m') => {
                self.status = None;
                self.overlay = Some(Overlay::Prompt(PromptKind::Send, LineInput::default()));
            }
            _ => {}
        }
        Vec::new()
    }

    /// A message the inspected connection received.
    pub fn on_seen(&mut self, seen: Seen) {
        if let Some(inspector) = self.inspector.as_mut() {
            inspector.push(seen);
        }
    }

    pub fn on_mouse(&mut self, mouse: MouseEvent, model: &Model) {
        match mouse.kind {
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let delta = if mouse.kind == MouseEventKind::ScrollDown { 3 } else { -3 };
                // The wheel scrolls what is under the pointer.
                let pointer = Position::new(mouse.column, mouse.row);
                if self.drawn.panel_area.contains(pointer) {
                    self.focus = Focus::Panel;
                } else if self.drawn.table_rows_area.contains(pointer) {
                    self.focus = Focus::Table;
                }
                self.move_by(delta, model);
            }
            MouseEventKind::Down(MouseButton::Left) => {
                let area = self.drawn.table_rows_area;
                if area.contains(Position::new(mouse.column, mouse.row)) {
                    let row = usize::from(mouse.row - area.y);
                    if self.by_service {
                        self.service_cursor = self.drawn.services_offset + row;
                        self.focus = Focus::Table;
                        return;
                    }
                    let index = self.drawn.table_offset + row;
                    if let Some(id) = self.rows.order().get(index) {
                        self.select(*id);
                        self.focus = Focus::Table;
                    }
                }
            }
            _ => {}
        }
    }

    fn on_action(&mut self, action: Action, model: &Model) -> Vec<Effect> {
        if action.is_live_only() && self.is_replay() {
            let why = match self.mode {
                Mode::Follow(_) => "this is a replay of a stream: it shows what happens and connects nothing",
                _ => "this is a replay of a log: it shows what happened and connects nothing",
            };
            self.say(why.into(), true);
            return Vec::new();
        }
        let page = (self.drawn.table_rows_area.height as isize).max(1);
        match action {
            Action::Up => self.move_by(-1, model),
            Action::Down => self.move_by(1, model),
            Action::PageUp => self.move_by(-page, model),
            Action::PageDown => self.move_by(page, model),
            Action::Top => self.move_by(isize::MIN / 2, model),
            Action::Bottom => self.move_by(isize::MAX / 2, model),
            Action::NextFocus => {
                self.focus = match self.focus {
                    Focus::Table => Focus::History,
                    Focus::History => Focus::Panel,
                    Focus::Panel => Focus::Table,
                }
            }
            Action::Open => match self.focus {
                Focus::Table if self.by_service => self.choose_service(model),
                Focus::Table => {
                    self.focus = Focus::History;
                    self.history_cursor = 0;
                }
                Focus::History => {
                    let selected = self.rows.selected.and_then(|id| model.connection(id));
                    self.overlay = match selected.and_then(|conn| endings(conn).nth(self.history_cursor)) {
                        Some(Ending::Close(entry)) => Some(Overlay::Explain(entry.record.code)),
                        Some(Ending::Failure(_, failure)) => {
                            Some(Overlay::ExplainFailure(failure.stage, failure.http_status, failure.detail.clone()))
                        }
                        None => None,
                    };
                }
                Focus::Panel => self.choose_panel_line(model),
            },
            Action::Back => {
                if self.focus != Focus::Table {
                    self.focus = Focus::Table;
                } else if self.rows.target.is_some() {
                    self.rows.set_target(None);
                } else if !self.rows.filter.is_empty() {
                    self.rows.set_filter(String::new());
                }
            }
            Action::Help => self.overlay = Some(Overlay::Help),
            Action::Filter => {
                self.status = None;
                self.overlay = Some(Overlay::Prompt(PromptKind::Filter, LineInput::with_text(&self.rows.filter)))
            }
            Action::Add => {
                self.status = None;
                self.overlay = Some(Overlay::Prompt(PromptKind::Add, LineInput::default()));
            }
            Action::Sort => {
                self.rows.sort_by(self.rows.sort.next_sort());
                self.say(format!("sorted by {}", self.rows.sort.name()), false);
            }
            Action::Reconnect => {
                if let Some(id) = self.rows.selected {
                    self.say(format!("reconnecting {}", name(model, id)), false);
                    return vec![Effect::Command(id, Command::ReconnectNow)];
                }
            }
            Action::PauseResume => {
                if let Some(id) = self.rows.selected {
                    let paused = model.connection(id).is_some_and(|conn| conn.state == State::Paused);
                    let (command, verb) =
                        if paused { (Command::Resume, "resuming") } else { (Command::Pause, "pausing") };
                    self.say(format!("{verb} {}", name(model, id)), false);
                    return vec![Effect::Command(id, command)];
                }
            }
            Action::Remove => {
                if let Some(id) = self.rows.selected {
                    self.overlay = Some(Overlay::ConfirmRemove(id));
                }
            }
            Action::SaveProfile => {
                self.status = None;
                let name = if self.label == AD_HOC { "" } else { self.label.as_str() };
                self.overlay = Some(Overlay::Prompt(PromptKind::SaveAs, LineInput::with_text(name)));
            }
            Action::Report => return vec![Effect::WriteReport],
            Action::Services => self.by_service = !self.by_service,
            Action::Inspect => {
                let Some(id) = self.rows.selected else { return Vec::new() };
                self.inspector = Some(Inspector::new(id));
                return vec![Effect::Inspect(Some(id))];
            }
            Action::Quit => self.quit = true,
        }
        Vec::new()
    }

    /// Enter on a side-panel line: the table shows what it counts.
    fn choose_panel_line(&mut self, model: &Model) {
        // The panel may have shrunk under the cursor since it was moved.
        self.panel_cursor = self.panel_cursor.min(self.drawn.panel_targets.len().saturating_sub(1));
        let Some(target) = self.drawn.panel_targets.get(self.panel_cursor).copied().flatten() else { return };
        self.rows.set_target(Some(target));
        self.focus = Focus::Table;
        self.say(format!("showing {} (Esc shows all)", target.describe(model)), false);
    }

    /// Enter in the services view: the connections of the service chosen.
    fn choose_service(&mut self, model: &Model) {
        self.service_cursor = self.service_cursor.min(self.drawn.services.len().saturating_sub(1));
        let Some(&group) = self.drawn.services.get(self.service_cursor) else { return };
        let target = Target::Group(group);
        self.rows.set_target(Some(target));
        self.by_service = false;
        self.say(format!("showing {} (Esc shows all)", target.describe(model)), false);
    }

    fn move_by(&mut self, delta: isize, model: &Model) {
        if self.by_service && self.focus == Focus::Table {
            self.service_cursor = step(self.service_cursor, delta, self.drawn.services.len());
            return;
        }
        if self.focus == Focus::Panel {
            self.panel_cursor = step(self.panel_cursor, delta, self.drawn.panel_targets.len());
            return;
        }
        if self.focus == Focus::History {
            let len = self.selected_history_len(model);
            self.history_cursor = step(self.history_cursor, delta, len);
            return;
        }
        self.refresh(model);
        let len = self.rows.order().len();
        if len == 0 {
            return;
        }
        let index = step(self.rows.selected_index().unwrap_or(0), delta, len);
        self.select(self.rows.order()[index]);
    }

    fn select(&mut self, id: ConnId) {
        if self.rows.selected != Some(id) {
            self.rows.selected = Some(id);
            self.history_cursor = 0;
        }
    }

    fn selected_history_len(&self, model: &Model) -> usize {
        self.rows.selected.and_then(|id| model.connection(id)).map_or(0, endings::count)
    }

    pub fn say(&mut self, text: String, error: bool) {
        self.status = Some(Status { text, error });
    }
}

/// The app sees every batch the session applied: the rows follow.
impl Output for App {
    fn on_events(&mut self, _: &Model, events: &[Event]) -> io::Result<()> {
        for event in events {
            self.rows.note(event);
        }
        Ok(())
    }

    fn on_end(&mut self, _: &Model, _: &Summary, _: Ts) -> io::Result<()> {
        Ok(())
    }

    /// A followed stream started over: its connections and services are
    /// new, so no row, line or service stays chosen.
    fn on_reset(&mut self, _: &Model) {
        self.rows.selected = None;
        self.rows.set_target(None);
        self.rows.invalidate();
        self.insecure.clear();
        (self.history_cursor, self.panel_cursor, self.service_cursor) = (0, 0, 0);
    }
}

fn name(model: &Model, id: ConnId) -> String {
    model.connection(id).map(|conn| conn.name.clone()).unwrap_or_default()
}

/// Move an index by `delta` within `0..len`, clamped.
fn step(index: usize, delta: isize, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    index.saturating_add_signed(delta).min(len - 1)
}

mod prompt;
#[cfg(test)]
mod tests;
