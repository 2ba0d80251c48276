//! One keymap: a key press becomes an `Action`, and the same table feeds
//! the footer hints and the help overlay, so the hints never lie.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Move focus: table → history → side panel.
    NextFocus,
    /// Enter: from a connection to its history; on a close, explain its code;
    /// on a side-panel line, show the connections it counts.
    Open,
    /// Esc: close what is open, clear the filter, focus the table.
    Back,
    Help,
    Filter,
    Sort,
    Add,
    Reconnect,
    PauseResume,
    Remove,
    SaveProfile,
    /// Write a deployment report now.
    Report,
    /// One row per service instead of one per connection, and back.
    Services,
    /// The selected connection's live messages.
    Inspect,
    Quit,
}

impl Action {
    /// Acts on live connections: refused in a replay, and not offered there.
    pub fn is_live_only(self) -> bool {
        matches!(
            self,
            Action::Add
                | Action::Reconnect
                | Action::PauseResume
                | Action::Remove
                | Action::SaveProfile
                | Action::Inspect
        )
    }
}

pub struct Binding {
    pub keys: &'static [KeyCode],
    /// How the keys are written in the help.
    pub label: &'static str,
    pub action: Action,
    pub help: &'static str,
    /// The word in the footer; None keeps the binding out of it.
    pub footer: Option<&'static str>,
}

pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[KeyCode::Char('?')],
        label: "?",
        action: Action::Help,
        help: "show or hide this help",
        footer: Some("help"),
    },
    Binding {
        keys: &[KeyCode::Char('q')],
        label: "q Ctrl-C",
        action: Action::Quit,
        help: "quit",
        footer: Some("quit"),
    },
    Binding {
        keys: &[KeyCode::Up, KeyCode::Char('k')],
        label: "↑ k",
        action: Action::Up,
        help: "move up",
        footer: None,
    },
    Binding {
        keys: &[KeyCode::Down, KeyCode::Char('j')],
        label: "↓ j",
        action: Action::Down,
        help: "move down",
        footer: None,
    },
    Binding { keys: &[KeyCode::PageUp], label: "PgUp", action: Action::PageUp, help: "page up", footer: None },
    Binding { keys: &[KeyCode::PageDown], label: "PgDn", action: Action::PageDown, help: "page down", footer: None },
    Binding {
        keys: &[KeyCode::Home, KeyCode::Char('g')],
        label: "Home g",
        action: Action::Top,
        help: "first row",
        footer: None,
    },
    Binding {
        keys: &[KeyCode::End, KeyCode::Char('G')],
        label: "End G",
        action: Action::Bottom,
        help: "last row",
        footer: None,
    },
    Binding {
        keys: &[KeyCode::Tab],
        label: "Tab",
        action: Action::NextFocus,
        help: "focus the next pane: connections, close history, side panel",
        footer: Some("pane"),
    },
    Binding {
        keys: &[KeyCode::Enter],
        label: "Enter",
        action: Action::Open,
        help: "history; explain a close; show whom a panel line counts",
        footer: Some("explain"),
    },
    Binding {
        keys: &[KeyCode::Esc],
        label: "Esc",
        action: Action::Back,
        help: "close a popup, clear the filter or panel choice, back to the table",
        footer: None,
    },
    Binding {
        keys: &[KeyCode::Char('/')],
        label: "/",
        action: Action::Filter,
        help: "filter by name, URL or state",
        footer: Some("filter"),
    },
    Binding {
        keys: &[KeyCode::Char('s')],
        label: "s",
        action: Action::Sort,
        help: "sort by name, state, closes, last close",
        footer: Some("sort"),
    },
    Binding {
        keys: &[KeyCode::Char('v')],
        label: "v",
        action: Action::Services,
        help: "services (one row each; Enter shows its connections), or back",
        footer: None,
    },
    Binding {
        keys: &[KeyCode::Char('i')],
        label: "i",
        action: Action::Inspect,
        help: "inspect the selected connection's live messages (m sends one)",
        footer: Some("inspect"),
    },
    Binding {
        keys: &[KeyCode::Char('a')],
        label: "a",
        action: Action::Add,
        help: "add a connection (URL or NAME=URL); it starts at once",
        footer: Some("add"),
    },
    Binding {
        keys: &[KeyCode::Char('S')],
        label: "S",
        action: Action::SaveProfile,
        help: "save these connections as a profile (asks before overwriting)",
        footer: Some("save"),
    },
    Binding {
        keys: &[KeyCode::Char('r')],
        label: "r",
        action: Action::Reconnect,
        help: "reconnect the selected connection now",
        footer: Some("reconnect"),
    },
    Binding {
        keys: &[KeyCode::Char('p')],
        label: "p",
        action: Action::PauseResume,
        help: "pause or resume the selected connection",
        footer: Some("pause"),
    },
    Binding {
        keys: &[KeyCode::Char('d'), KeyCode::Delete],
        label: "d Del",
        action: Action::Remove,
        help: "remove the selected connection (asks first)",
        footer: Some("remove"),
    },
    Binding {
        keys: &[KeyCode::Char('R')],
        label: "R",
        action: Action::Report,
        help: "write a deployment report now (Markdown; says where)",
        footer: Some("report"),
    },
];

/// The action of a key press outside prompts and popups (Ctrl-C comes
/// first, in `App::on_key`: see `is_interrupt`).
pub fn action_for(key: KeyEvent) -> Option<Action> {
    if key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
        return None;
    }
    BINDINGS.iter().find(|binding| binding.keys.contains(&key.code)).map(|binding| binding.action)
}

/// Ctrl-C quits from anywhere, prompts included.
pub fn is_interrupt(key: KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn terminal_habits_map_to_actions() {
        assert_eq!(action_for(press(KeyCode::Char('j'))), Some(Action::Down));
        assert_eq!(action_for(press(KeyCode::Down)), Some(Action::Down));
        assert_eq!(action_for(press(KeyCode::Char('q'))), Some(Action::Quit));
        assert!(is_interrupt(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)));
        assert_eq!(action_for(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL)), None);
        assert_eq!(action_for(press(KeyCode::Char('x'))), None);
    }

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = Vec::new();
        for binding in BINDINGS {
            for key in binding.keys {
                assert!(!seen.contains(key), "{key:?} bound twice");
                seen.push(*key);
            }
        }
    }
}
