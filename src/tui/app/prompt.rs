//! The prompts' keys (`a` add, `S` save as, `/` filter, `m` send): typing
//! edits the line; Enter submits it, and a refused line stays open with
//! the reason beside it.

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::{App, Effect, Overlay, PromptKind};
use crate::engine::spec::{default_name, parse_target};
use crate::engine::{Command, ConnSpec};
use crate::tui::input::LineInput;

impl App {
    pub(super) fn on_prompt_key(&mut self, kind: PromptKind, mut input: LineInput, key: KeyEvent) -> Vec<Effect> {
        match key.code {
            KeyCode::Esc => {
                if kind == PromptKind::Filter {
                    self.rows.set_filter(String::new());
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
            self.rows.set_filter(input.text().to_string());
        }
        self.overlay = Some(Overlay::Prompt(kind, input));
        Vec::new()
    }

    fn submit(&mut self, kind: PromptKind, text: &str) -> Vec<Effect> {
        match kind {
            PromptKind::Filter => {
                self.rows.set_filter(text.trim().to_string());
                Vec::new()
            }
            PromptKind::SaveAs => vec![Effect::SaveProfile { name: text.trim().to_string(), overwrite: false }],
            PromptKind::Send => match self.inspector.as_ref().map(|inspector| inspector.conn) {
                Some(conn) if !text.is_empty() => {
                    self.say(format!("sent {} bytes", text.len()), false);
                    vec![Effect::Command(conn, Command::SendText(text.to_string()))]
                }
                _ => Vec::new(),
            },
            PromptKind::Add => match parse_target(text.trim()) {
                Ok((name, url)) => {
                    let name = name.unwrap_or_else(|| default_name(&url));
                    vec![Effect::Add(Box::new(ConnSpec { name, url, options: self.defaults.clone().into() }))]
                }
                Err(error) => {
                    self.say(error, true);
                    self.overlay = Some(Overlay::Prompt(PromptKind::Add, LineInput::with_text(text)));
                    Vec::new()
                }
            },
        }
    }
}
