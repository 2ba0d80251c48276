//! Colours, in one place, and `NO_COLOR` (https://no-color.org): with it
//! set, the screen keeps its symbols and emphasis but uses no colour.

use ratatui::style::{Color, Modifier, Style};

use crate::model::{CloseKind, Shown};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colour unless `NO_COLOR` is set to anything non-empty.
    pub fn from_env() -> Theme {
        Theme { color: std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty()) }
    }

    fn fg(self, color: Color) -> Style {
        if self.color { Style::new().fg(color) } else { Style::new() }
    }

    pub fn state(self, shown: Shown) -> Style {
        match shown {
            Shown::Attention => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Shown::Silent => self.fg(Color::Magenta).add_modifier(Modifier::BOLD),
            Shown::Open => self.fg(Color::Green),
            Shown::Connecting => self.fg(Color::Cyan),
            Shown::Waiting | Shown::Closed => self.fg(Color::Yellow),
            Shown::Paused | Shown::Held | Shown::Removed => self.fg(Color::DarkGray),
        }
    }

    pub fn close_kind(self, kind: CloseKind) -> Style {
        match kind {
            CloseKind::Restart => self.fg(Color::Yellow),
            CloseKind::Protocol => self.fg(Color::Red),
            CloseKind::Dropped => self.fg(Color::Magenta),
            CloseKind::Other => self.fg(Color::Blue),
        }
    }

    pub fn title(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn dim(self) -> Style {
        if self.color { Style::new().fg(Color::DarkGray) } else { Style::new() }
    }

    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn banner(self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Yellow).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
}

/// The symbol beside a state, so it reads without colour too.
pub fn symbol(shown: Shown) -> char {
    match shown {
        Shown::Attention => '✖',
        Shown::Silent => '◇',
        Shown::Closed => '○',
        Shown::Open => '●',
        Shown::Connecting => '◐',
        Shown::Waiting => '◌',
        Shown::Paused => '‖',
        Shown::Held => '■',
        Shown::Removed => ' ',
    }
}
