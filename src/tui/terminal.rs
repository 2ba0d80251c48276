//! The terminal is borrowed: raw mode, the alternate screen and mouse
//! capture are taken on entry and given back on every way out — drop (quit
//! or error), panic (hook), and SIGTERM (the loop ends, then drop).

use std::io::{self, IsTerminal, stdout};

use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::execute;

pub struct TerminalGuard {
    pub terminal: DefaultTerminal,
}

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        if !stdout().is_terminal() {
            return Err(io::Error::other(
                "the screen needs a terminal, and stdout is not one: `wsmon watch` prints events to a pipe or a file",
            ));
        }
        // Installs a panic hook that restores raw mode and the screen.
        let terminal = ratatui::try_init()?;
        let restore_screen = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // Never panic inside the hook: errors are ignored.
            let _ = execute!(stdout(), DisableMouseCapture);
            restore_screen(info);
        }));
        execute!(stdout(), EnableMouseCapture)?;
        Ok(TerminalGuard { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = execute!(stdout(), DisableMouseCapture);
        ratatui::restore();
    }
}
