//! A one-line text field for the filter and add prompts. Smaller than a
//! dependency: insert, delete, move, and nothing else is needed here.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    text: String,
    /// Cursor position, in chars.
    cursor: usize,
}

impl LineInput {
    pub fn with_text(text: &str) -> LineInput {
        LineInput { text: text.to_string(), cursor: text.chars().count() }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Where the cursor is on screen: the display width of the text before
    /// it (a Japanese character takes two cells).
    pub fn cursor_cells(&self) -> usize {
        crate::text::width(&self.text[..self.byte_at(self.cursor)])
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text.char_indices().nth(chars).map_or(self.text.len(), |(at, _)| at)
    }

    pub fn insert(&mut self, c: char) {
        // Nothing a terminal would act on or that reorders text is stored.
        if crate::text::is_hostile(c) {
            return;
        }
        let at = self.byte_at(self.cursor);
        self.text.insert(at, c);
        self.cursor += 1;
    }

    pub fn backspace(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            let at = self.byte_at(self.cursor);
            self.text.remove(at);
        }
    }

    pub fn delete(&mut self) {
        if self.cursor < self.text.chars().count() {
            let at = self.byte_at(self.cursor);
            self.text.remove(at);
        }
    }

    pub fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    pub fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.text.chars().count());
    }

    pub fn home(&mut self) {
        self.cursor = 0;
    }

    pub fn end(&mut self) {
        self.cursor = self.text.chars().count();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_at_the_cursor_with_multibyte_text() {
        let mut input = LineInput::with_text("aé");
        input.left();
        input.insert('x');
        assert_eq!((input.text(), input.cursor()), ("axé", 2));
        input.end();
        input.backspace();
        input.home();
        input.delete();
        assert_eq!(input.text(), "x");
        for hostile in ['\u{1b}', '\u{9b}', '\u{202e}', '\u{2066}'] {
            input.insert(hostile);
        }
        assert_eq!(input.text(), "x", "controls and bidi overrides are not typed in");
        input.right();
        input.right();
        assert_eq!(input.cursor(), 1);
    }

    #[test]
    fn the_cursor_is_placed_by_display_width() {
        let mut input = LineInput::with_text("api-東京");
        assert_eq!((input.cursor(), input.cursor_cells()), (6, 8));
        input.left();
        assert_eq!(input.cursor_cells(), 6);
    }
}
