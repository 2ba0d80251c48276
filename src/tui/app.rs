//! The TUI's state: the model plus what the user is looking at (selection,
//! sort, filter, focus, popups). Keys and mouse become `Effect`s for the
//! engine; nothing here touches a socket or the terminal, so tests drive it
//! directly.

use ratatui::crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::input::LineInput;
use super::keys::{self, Action};
use super::theme::Theme;
use crate::engine::spec::{default_name, parse_target};
use crate::engine::{Command, ConnOptions, ConnSpec};
use crate::event::{ConnId, Event, EventKind, Ts};
use crate::model::{Model, State};
use crate::profile::Store;
use crate::report::Report;

/// The label of a set of connections that is not a saved profile.
pub const AD_HOC: &str = "ad hoc";

/// What the app asks of the engine.
#[derive(Debug, Clone)]
pub enum Effect {
    Command(ConnId, Command),
    Add(Box<ConnSpec>),
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    State,
    Closes,
    LastClose,
}

impl SortKey {
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::State => "state",
            SortKey::Closes => "closes",
            SortKey::LastClose => "last close",
        }
    }

    fn next(self) -> SortKey {
        match self {
            SortKey::Name => SortKey::State,
            SortKey::State => SortKey::Closes,
            SortKey::Closes => SortKey::LastClose,
            SortKey::LastClose => SortKey::Name,
        }
    }

    /// Whether an event can move a row under this order (with no filter).
    fn moved_by(self, kind: &EventKind) -> bool {
        match (self, kind) {
            (_, EventKind::Added { .. } | EventKind::Removed) => true,
            (_, kind) if kind.is_measurement() => false,
            (SortKey::Name, _) => false,
            (SortKey::State, _) => true,
            (SortKey::Closes | SortKey::LastClose, kind) => matches!(kind, EventKind::Closed(_)),
        }
    }
}

/// A status line message: what just happened, or what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

/// Which rows the table shows, in which order. Rebuilt only when an event
/// or the user changed it, never per frame.
#[derive(Debug, Clone)]
pub struct Rows {
    order: Vec<ConnId>,
    stale: bool,
    pub sort: SortKey,
    pub filter: String,
    pub selected: Option<ConnId>,
}

impl Rows {
    pub fn order(&self) -> &[ConnId] {
        &self.order
    }

    pub fn selected_index(&self) -> Option<usize> {
        let selected = self.selected?;
        self.order.iter().position(|id| *id == selected)
    }

    fn refresh(&mut self, model: &Model) {
        if !self.stale {
            return;
        }
        self.stale = false;
        let needle = self.filter.to_lowercase();
        let connections = model.connections();
        self.order.clear();
        self.order.extend((0..connections.len() as u32).map(ConnId).filter(|id| {
            let conn = &connections[id.index()];
            conn.state != State::Removed
                && (needle.is_empty()
                    || conn.name.to_lowercase().contains(&needle)
                    || conn.url.to_lowercase().contains(&needle)
                    || conn.shown().name().contains(&needle))
        }));
        let conn = |id: &ConnId| &connections[id.index()];
        match self.sort {
            SortKey::Name => self.order.sort_by(|a, b| conn(a).name.cmp(&conn(b).name)),
            SortKey::State => {
                let rank = |id: &ConnId| conn(id).shown().rank();
                self.order.sort_by(|a, b| rank(a).cmp(&rank(b)).then(conn(a).name.cmp(&conn(b).name)));
            }
            SortKey::Closes => {
                self.order.sort_by(|a, b| conn(b).closes.cmp(&conn(a).closes).then(conn(a).name.cmp(&conn(b).name)))
            }
            SortKey::LastClose => {
                let last = |id: &ConnId| conn(id).last_close().map(|entry| entry.at);
                self.order.sort_by(|a, b| last(b).cmp(&last(a)).then(conn(a).name.cmp(&conn(b).name)));
            }
        }
        if self.selected_index().is_none() {
            self.selected = self.order.first().copied();
        }
    }
}

pub struct App {
    pub model: Model,
    /// The profile's name, or "ad hoc".
    pub label: String,
    pub theme: Theme,
    /// Times in UTC instead of the local zone (tests, and people who like it).
    pub utc: bool,
    pub rows: Rows,
    pub focus: Focus,
    /// Index into the selected connection's history, newest first.
    pub history_cursor: usize,
    pub overlay: Option<Overlay>,
    pub status: Option<Status>,
    /// Where the last frame drew the table's rows, and from which row on:
    /// for mouse clicks and paging.
    pub table_rows_area: Rect,
    pub table_offset: usize,
    /// Options for connections added with `a`.
    pub defaults: ConnOptions,
    /// Where `S` saves, and what it saves: the spec of every connection
    /// still in the set, by id.
    profiles: Store,
    specs: Vec<Option<ConnSpec>>,
    /// A replay: the clock stands at the log's end and nothing connects.
    frozen: Option<Ts>,
    /// The last frame showed a reconnect countdown (it ticks faster then).
    pub counting_down: bool,
    /// Where `R` writes a report; None: the data directory.
    pub report_to: Option<std::path::PathBuf>,
    quit: bool,
}

impl App {
    pub fn new(label: &str, defaults: ConnOptions, profiles: Store, theme: Theme) -> App {
        App {
            model: Model::default(),
            label: label.to_string(),
            theme,
            utc: false,
            rows: Rows { order: Vec::new(), stale: true, sort: SortKey::Name, filter: String::new(), selected: None },
            focus: Focus::Table,
            history_cursor: 0,
            overlay: None,
            status: None,
            table_rows_area: Rect::default(),
            table_offset: 0,
            defaults,
            profiles,
            specs: Vec::new(),
            frozen: None,
            counting_down: false,
            report_to: None,
            quit: false,
        }
    }

    /// Show a recorded session: `model` as it was at `end`.
    pub fn replaying(mut self, model: Model, end: Ts) -> App {
        self.model = model;
        self.frozen = Some(end);
        self.rows.stale = true;
        self
    }

    pub fn is_replay(&self) -> bool {
        self.frozen.is_some()
    }

    /// The time the screen shows: now, or the end of a replayed log.
    pub fn now(&self) -> Ts {
        self.frozen.unwrap_or_else(Ts::now)
    }

    /// The report as of now.
    pub fn report(&self) -> Report {
        let now = self.now();
        Report::new(&self.label, self.model.summary(now), now)
    }

    /// Write a report where `--report` said, else in the data directory.
    pub fn write_report(&mut self) -> Option<std::path::PathBuf> {
        let report = self.report();
        let path = match &self.report_to {
            Some(path) => path.clone(),
            None => {
                let Some(dir) = crate::paths::data_dir() else {
                    self.say("no data directory for reports: start wsmon with --report FILE.md".into(), true);
                    return None;
                };
                let stamp = crate::format::file_stamp(self.now());
                dir.join("reports").join(format!("{stamp}.md"))
            }
        };
        match report.write(&path) {
            Ok(()) => {
                self.say(format!("report written to {}", path.display()), false);
                Some(path)
            }
            Err(error) => {
                self.say(format!("could not write the report to {}: {error}", path.display()), true);
                None
            }
        }
    }

    /// Whether certificate checks are off for this connection.
    pub fn is_insecure(&self, id: ConnId) -> bool {
        self.specs.get(id.index()).and_then(Option::as_ref).is_some_and(|spec| spec.options.tls.insecure)
    }

    /// The engine started `spec` as `id`: remember it for saving.
    pub fn register(&mut self, id: ConnId, spec: ConnSpec) {
        if self.specs.len() <= id.index() {
            self.specs.resize(id.index() + 1, None);
        }
        self.specs[id.index()] = Some(spec);
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    pub fn apply(&mut self, event: &Event) {
        self.model.apply(event);
        if event.kind == EventKind::Removed
            && let Some(spec) = self.specs.get_mut(event.conn.index())
        {
            *spec = None;
        }
        let filtered = !self.rows.filter.is_empty();
        if self.rows.sort.moved_by(&event.kind) || (filtered && !event.kind.is_measurement()) {
            self.rows.stale = true;
        }
    }

    /// Bring the row order up to date; call before drawing.
    pub fn refresh(&mut self) {
        self.rows.refresh(&self.model);
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if keys::is_interrupt(key) {
            self.quit = true;
            return Vec::new();
        }
        match self.overlay.take() {
            Some(Overlay::Prompt(kind, input)) => self.on_prompt_key(kind, input, key),
            Some(Overlay::ConfirmOverwrite(name)) => {
                if matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                    self.save_profile(&name);
                }
                Vec::new()
            }
            Some(Overlay::ConfirmRemove(id)) => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    self.say(format!("removed {}", self.name(id)), false);
                    vec![Effect::Command(id, Command::Remove)]
                }
                _ => Vec::new(),
            },
            Some(overlay @ (Overlay::Help | Overlay::Explain(_))) => {
                let closes =
                    matches!(keys::action_for(key), Some(Action::Back | Action::Help | Action::Quit | Action::Open));
                if !closes {
                    self.overlay = Some(overlay);
                }
                Vec::new()
            }
            None => keys::action_for(key).map(|action| self.on_action(action)).unwrap_or_default(),
        }
    }

    pub fn on_mouse(&mut self, mouse: MouseEvent) {
        match mouse.kind {
            MouseEventKind::ScrollDown => self.move_by(3),
            MouseEventKind::ScrollUp => self.move_by(-3),
            MouseEventKind::Down(MouseButton::Left) => {
                let area = self.table_rows_area;
                if area.contains(Position::new(mouse.column, mouse.row)) {
                    let index = self.table_offset + usize::from(mouse.row - area.y);
                    if let Some(id) = self.rows.order.get(index) {
                        self.select(*id);
                        self.focus = Focus::Table;
                    }
                }
            }
            _ => {}
        }
    }

    fn on_action(&mut self, action: Action) -> Vec<Effect> {
        let live_only = matches!(
            action,
            Action::Add | Action::Reconnect | Action::PauseResume | Action::Remove | Action::SaveProfile
        );
        if live_only && self.is_replay() {
            self.say("this is a replay of a log: it shows what happened and connects nothing".into(), true);
            return Vec::new();
        }
        let page = (self.table_rows_area.height as isize).max(1);
        match action {
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-page),
            Action::PageDown => self.move_by(page),
            Action::Top => self.move_by(isize::MIN / 2),
            Action::Bottom => self.move_by(isize::MAX / 2),
            Action::NextFocus => {
                self.focus = match self.focus {
                    Focus::Table => Focus::History,
                    Focus::History => Focus::Panel,
                    Focus::Panel => Focus::Table,
                }
            }
            Action::Open => match self.focus {
                Focus::Table => {
                    self.focus = Focus::History;
                    self.history_cursor = 0;
                }
                Focus::History => {
                    if let Some(code) = self.selected_history_code() {
                        self.overlay = Some(Overlay::Explain(code));
                    }
                }
                Focus::Panel => {}
            },
            Action::Back => {
                if self.focus != Focus::Table {
                    self.focus = Focus::Table;
                } else if !self.rows.filter.is_empty() {
                    self.set_filter(String::new());
                }
            }
            Action::Help => self.overlay = Some(Overlay::Help),
            Action::Filter => {
                self.overlay = Some(Overlay::Prompt(PromptKind::Filter, LineInput::with_text(&self.rows.filter)))
            }
            Action::Add => self.overlay = Some(Overlay::Prompt(PromptKind::Add, LineInput::default())),
            Action::Sort => {
                self.rows.sort = self.rows.sort.next();
                self.rows.stale = true;
                self.say(format!("sorted by {}", self.rows.sort.label()), false);
            }
            Action::Reconnect => {
                if let Some(id) = self.rows.selected {
                    self.say(format!("reconnecting {}", self.name(id)), false);
                    return vec![Effect::Command(id, Command::ReconnectNow)];
                }
            }
            Action::PauseResume => {
                if let Some(id) = self.rows.selected {
                    let paused = self.model.connection(id).is_some_and(|conn| conn.state == State::Paused);
                    let (command, verb) =
                        if paused { (Command::Resume, "resuming") } else { (Command::Pause, "pausing") };
                    self.say(format!("{verb} {}", self.name(id)), false);
                    return vec![Effect::Command(id, command)];
                }
            }
            Action::Remove => {
                if let Some(id) = self.rows.selected {
                    self.overlay = Some(Overlay::ConfirmRemove(id));
                }
            }
            Action::SaveProfile => {
                let name = if self.label == AD_HOC { "" } else { self.label.as_str() };
                self.overlay = Some(Overlay::Prompt(PromptKind::SaveAs, LineInput::with_text(name)));
            }
            Action::Report => {
                self.write_report();
            }
            Action::Quit => self.quit = true,
        }
        Vec::new()
    }

    /// Save the connections still in the set as profile `name`.
    fn save_profile(&mut self, name: &str) {
        let specs: Vec<ConnSpec> = self.specs.iter().flatten().cloned().collect();
        match self.profiles.save_specs(name, &specs) {
            Ok(path) => {
                self.label = name.to_string();
                self.say(format!("saved {} connections to {}", specs.len(), path.display()), false);
            }
            Err(error) => self.say(error.to_string(), true),
        }
    }

    fn on_prompt_key(&mut self, kind: PromptKind, mut input: LineInput, key: KeyEvent) -> Vec<Effect> {
        match key.code {
            KeyCode::Esc => {
                if kind == PromptKind::Filter {
                    self.set_filter(String::new());
                }
                return Vec::new();
            }
            KeyCode::Enter => return self.submit(kind, input.text()),
            KeyCode::Char(c) => input.insert(c),
            KeyCode::Backspace => input.backspace(),
            KeyCode::Delete => input.delete(),
            KeyCode::Left => input.left(),
            KeyCode::Right => input.right(),
            KeyCode::Home => input.home(),
            KeyCode::End => input.end(),
            _ => {}
        }
        if kind == PromptKind::Filter {
            // The table follows the filter as it is typed.
            self.set_filter(input.text().to_string());
        }
        self.overlay = Some(Overlay::Prompt(kind, input));
        Vec::new()
    }

    fn submit(&mut self, kind: PromptKind, text: &str) -> Vec<Effect> {
        match kind {
            PromptKind::Filter => {
                self.set_filter(text.trim().to_string());
                Vec::new()
            }
            PromptKind::SaveAs => {
                let name = text.trim();
                match self.profiles.exists(name) {
                    Ok(true) => self.overlay = Some(Overlay::ConfirmOverwrite(name.to_string())),
                    Ok(false) => self.save_profile(name),
                    Err(error) => {
                        self.say(error.to_string(), true);
                        self.overlay = Some(Overlay::Prompt(PromptKind::SaveAs, LineInput::with_text(text)));
                    }
                }
                Vec::new()
            }
            PromptKind::Add => match parse_target(text.trim()) {
                Ok((name, url)) => {
                    let name = name.unwrap_or_else(|| default_name(&url));
                    self.say(format!("added {name}"), false);
                    vec![Effect::Add(Box::new(ConnSpec { name, url, options: self.defaults.clone() }))]
                }
                Err(error) => {
                    self.say(error, true);
                    self.overlay = Some(Overlay::Prompt(PromptKind::Add, LineInput::with_text(text)));
                    Vec::new()
                }
            },
        }
    }

    fn set_filter(&mut self, filter: String) {
        if self.rows.filter != filter {
            self.rows.filter = filter;
            self.rows.stale = true;
        }
    }

    fn move_by(&mut self, delta: isize) {
        if self.focus == Focus::History {
            let len = self.selected_history_len();
            self.history_cursor = step(self.history_cursor, delta, len);
            return;
        }
        self.refresh();
        let len = self.rows.order.len();
        if len == 0 {
            return;
        }
        let index = step(self.rows.selected_index().unwrap_or(0), delta, len);
        self.select(self.rows.order[index]);
    }

    fn select(&mut self, id: ConnId) {
        if self.rows.selected != Some(id) {
            self.rows.selected = Some(id);
            self.history_cursor = 0;
        }
    }

    fn selected_history_len(&self) -> usize {
        self.rows.selected.and_then(|id| self.model.connection(id)).map_or(0, |conn| conn.history.len())
    }

    /// The code of the close under the history cursor (newest first).
    fn selected_history_code(&self) -> Option<u16> {
        let conn = self.model.connection(self.rows.selected?)?;
        conn.history.iter().rev().nth(self.history_cursor).map(|entry| entry.record.code)
    }

    fn name(&self, id: ConnId) -> String {
        self.model.connection(id).map(|conn| conn.name.clone()).unwrap_or_default()
    }

    pub fn say(&mut self, text: String, error: bool) {
        self.status = Some(Status { text, error });
    }
}

/// Move an index by `delta` within `0..len`, clamped.
fn step(index: usize, delta: isize, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    index.saturating_add_signed(delta).min(len - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Ts;
    use ratatui::crossterm::event::KeyModifiers;

    fn app_with(names: &[&str]) -> App {
        let store = Store::at(std::env::temp_dir().join("wsmon-app-tests-never-written"));
        let mut app = App::new("test", ConnOptions::default(), store, Theme { color: false });
        for (i, name) in names.iter().enumerate() {
            let kind = EventKind::Added { name: name.to_string(), url: format!("ws://127.0.0.1:{}/", 9000 + i) };
            app.apply(&Event { at: Ts(0), conn: ConnId(i as u32), kind });
            let open = EventKind::Open { handshake_ms: 1, subprotocol: None };
            app.apply(&Event { at: Ts(1), conn: ConnId(i as u32), kind: open });
        }
        app.refresh();
        app
    }

    fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
        app.on_key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn type_text(app: &mut App, text: &str) {
        for c in text.chars() {
            press(app, KeyCode::Char(c));
        }
    }

    #[test]
    fn add_starts_a_connection_or_explains_a_bad_url() {
        let mut app = app_with(&[]);
        press(&mut app, KeyCode::Char('a'));
        type_text(&mut app, "http://x");
        assert!(press(&mut app, KeyCode::Enter).is_empty());
        let status = app.status.clone().unwrap();
        assert!(status.error && status.text.contains("did you mean ws://x"), "{status:?}");
        assert!(matches!(app.overlay, Some(Overlay::Prompt(PromptKind::Add, _))), "the prompt stays open to fix it");

        for _ in 0.."http://x".len() {
            press(&mut app, KeyCode::Backspace);
        }
        type_text(&mut app, "feed=ws://127.0.0.1:9/");
        let effects = press(&mut app, KeyCode::Enter);
        let [Effect::Add(spec)] = effects.as_slice() else { panic!("one add: {effects:?}") };
        assert_eq!((spec.name.as_str(), spec.url.as_str()), ("feed", "ws://127.0.0.1:9/"));
        assert_eq!(app.overlay, None);
    }

    #[test]
    fn remove_asks_first_and_pause_toggles() {
        let mut app = app_with(&["a", "b"]);
        press(&mut app, KeyCode::Down);
        assert!(press(&mut app, KeyCode::Char('d')).is_empty());
        assert_eq!(app.overlay, Some(Overlay::ConfirmRemove(ConnId(1))));
        assert!(press(&mut app, KeyCode::Char('n')).is_empty(), "any other key keeps it");
        press(&mut app, KeyCode::Char('d'));
        let effects = press(&mut app, KeyCode::Char('y'));
        assert!(matches!(effects.as_slice(), [Effect::Command(ConnId(1), Command::Remove)]));

        let effects = press(&mut app, KeyCode::Char('p'));
        assert!(matches!(effects.as_slice(), [Effect::Command(ConnId(1), Command::Pause)]));
        app.apply(&Event { at: Ts(5), conn: ConnId(1), kind: EventKind::Paused });
        let effects = press(&mut app, KeyCode::Char('p'));
        assert!(matches!(effects.as_slice(), [Effect::Command(ConnId(1), Command::Resume)]));
        let effects = press(&mut app, KeyCode::Char('r'));
        assert!(matches!(effects.as_slice(), [Effect::Command(ConnId(1), Command::ReconnectNow)]));
    }

    #[test]
    fn sort_and_filter_reorder_the_rows() {
        let mut app = app_with(&["c", "a", "b"]);
        assert_eq!(app.rows.order(), [ConnId(1), ConnId(2), ConnId(0)], "by name");
        let closed = crate::event::CloseRecord {
            code: 1012,
            reason: String::new(),
            initiator: crate::close::Initiator::Server,
            class: crate::close::Class::ServiceRestart,
            cause: None,
            detail: None,
            connected_ms: 5,
        };
        app.apply(&Event { at: Ts(9), conn: ConnId(0), kind: EventKind::Closed(closed) });
        press(&mut app, KeyCode::Char('s'));
        app.refresh();
        assert_eq!(app.rows.order()[0], ConnId(0), "by state: trouble first");
        press(&mut app, KeyCode::Char('/'));
        type_text(&mut app, "9001");
        app.refresh();
        assert_eq!(app.rows.order(), [ConnId(1)], "the filter matches URLs as it is typed");
        press(&mut app, KeyCode::Esc);
        app.refresh();
        assert_eq!(app.rows.order().len(), 3, "Esc clears it");
    }

    #[test]
    fn a_connection_needing_attention_is_shown_so_while_it_retries() {
        let mut app = app_with(&["api", "proxy"]);
        let violation = crate::event::CloseRecord {
            code: 1002,
            reason: String::new(),
            initiator: crate::close::Initiator::Client,
            class: crate::close::Class::ProtocolError,
            cause: Some(crate::close::Cause::MaskedFrame),
            detail: None,
            connected_ms: 5,
        };
        app.apply(&Event { at: Ts(9), conn: ConnId(1), kind: EventKind::Closed(violation) });
        app.apply(&Event { at: Ts(19), conn: ConnId(1), kind: EventKind::Connecting { attempt: 1 } });
        let conn = app.model.connection(ConnId(1)).unwrap();
        assert_eq!(conn.shown().name(), "attention", "not 'connecting'");
        assert_eq!(crate::tui::view::table::symbol(conn.shown()), '✖');
        press(&mut app, KeyCode::Char('/'));
        type_text(&mut app, "attention");
        app.refresh();
        assert_eq!(app.rows.order(), [ConnId(1)], "the filter finds what the header counts");
    }

    #[test]
    fn a_click_selects_the_row_under_it_and_the_wheel_scrolls() {
        let mut app = app_with(&["a", "b", "c", "d"]);
        app.table_rows_area = Rect { x: 1, y: 5, width: 50, height: 3 };
        let click = |row| MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 10,
            row,
            modifiers: KeyModifiers::NONE,
        };
        app.on_mouse(click(7));
        assert_eq!(app.rows.selected, Some(ConnId(2)));
        app.on_mouse(click(20));
        assert_eq!(app.rows.selected, Some(ConnId(2)), "outside the table: nothing");
        app.on_mouse(MouseEvent { kind: MouseEventKind::ScrollUp, ..click(0) });
        assert_eq!(app.rows.selected, Some(ConnId(0)));
    }

    #[test]
    fn shift_s_saves_the_set_and_asks_before_overwriting() {
        let dir = tempfile::tempdir().unwrap();
        let mut app = app_with(&[]);
        app.profiles = Store::at(dir.path().to_path_buf());
        app.label = AD_HOC.into();
        for (i, name) in ["a", "b"].into_iter().enumerate() {
            let url = crate::engine::spec::parse_ws_url(&format!("ws://127.0.0.1:{}/", 9000 + i)).unwrap();
            app.register(ConnId(i as u32), ConnSpec { name: name.into(), url, options: ConnOptions::default() });
        }
        press(&mut app, KeyCode::Char('S'));
        type_text(&mut app, "prod");
        press(&mut app, KeyCode::Enter);
        let path = dir.path().join("prod.toml");
        let saved = crate::profile::parse(&path, &std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(saved.connections.len(), 2);
        assert_eq!(app.label, "prod");

        app.apply(&Event { at: Ts(9), conn: ConnId(1), kind: EventKind::Removed });
        press(&mut app, KeyCode::Char('S'));
        press(&mut app, KeyCode::Enter); // the prompt offers the profile's own name
        assert_eq!(app.overlay, Some(Overlay::ConfirmOverwrite("prod".into())));
        press(&mut app, KeyCode::Char('y'));
        let saved = crate::profile::parse(&path, &std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(saved.connections.len(), 1, "the removed connection is not saved");
        assert!(dir.path().join("prod.toml.bak").exists());

        std::fs::write(&path, "broken = [").unwrap();
        press(&mut app, KeyCode::Char('S'));
        press(&mut app, KeyCode::Enter);
        press(&mut app, KeyCode::Char('y'));
        assert!(app.status.as_ref().unwrap().error, "{:?}", app.status);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "broken = [", "never overwritten");
    }

    #[test]
    fn ctrl_c_quits_even_from_a_prompt() {
        let mut app = app_with(&["a"]);
        press(&mut app, KeyCode::Char('/'));
        app.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
        assert!(app.should_quit());
    }
}
