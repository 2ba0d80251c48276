//! The live messages of the connection being inspected (`i`): the last
//! `KEPT_MESSAGES`, newest first, and where the view is scrolled to. Only
//! this one connection's messages are kept, and only while it is
//! inspected (docs/ARCHITECTURE.md, "Inspecting a connection").

use std::collections::VecDeque;

use crate::engine::inspect::Seen;
use crate::event::ConnId;

/// Messages kept for the view.
pub const KEPT_MESSAGES: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspector {
    pub conn: ConnId,
    /// Newest first.
    pub messages: VecDeque<Seen>,
    /// Messages received in all, kept or not.
    pub received: u64,
    /// The first message shown (0: the newest).
    pub scroll: usize,
}

impl Inspector {
    pub fn new(conn: ConnId) -> Inspector {
        Inspector { conn, messages: VecDeque::new(), received: 0, scroll: 0 }
    }

    pub fn push(&mut self, seen: Seen) {
        self.received += 1;
        if self.messages.len() == KEPT_MESSAGES {
            self.messages.pop_back();
        }
        self.messages.push_front(seen);
        // Scrolled down to older ones: they stay in view as new ones come.
        if self.scroll > 0 {
            self.scroll = (self.scroll + 1).min(self.messages.len() - 1);
        }
    }

    pub fn scroll_by(&mut self, delta: isize) {
        let last = self.messages.len().saturating_sub(1) as isize;
        self.scroll = (self.scroll as isize + delta).clamp(0, last) as usize;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Ts;

    fn seen(n: u8) -> Seen {
        Seen { at: Ts(i64::from(n)), binary: false, size: 1, head: vec![n] }
    }

    #[test]
    fn keeps_the_newest_two_hundred_newest_first() {
        let mut inspector = Inspector::new(ConnId(0));
        for n in 0..250u16 {
            inspector.push(seen((n % 256) as u8));
        }
        assert_eq!(inspector.messages.len(), KEPT_MESSAGES);
        assert_eq!(inspector.received, 250);
        assert_eq!(inspector.messages.front().unwrap().head, [249]);
        assert_eq!(inspector.messages.back().unwrap().head, [50]);
    }

    #[test]
    fn a_scrolled_view_stays_on_its_message_as_new_ones_come() {
        let mut inspector = Inspector::new(ConnId(0));
        for n in 0..5 {
            inspector.push(seen(n));
        }
        inspector.scroll_by(2);
        let shown = inspector.messages[inspector.scroll].head.clone();
        inspector.push(seen(9));
        assert_eq!(inspector.messages[inspector.scroll].head, shown);
        inspector.scroll_by(-100);
        assert_eq!(inspector.scroll, 0);
    }
}
