//! Text from the network, made safe to print.
//!
//! A close reason, an HTTP status line or a message is the server's text.
//! Printed raw, it could drive the user's terminal (ESC and CSI sequences),
//! or reorder what is shown (bidirectional overrides). Every view passes
//! such text through here (or, for JSON, through `wire`'s formatter).

use std::borrow::Cow;
use std::fmt::Write;

/// Characters a terminal may act on or that reorder text: C0 controls,
/// DEL, the C1 range (U+009B is CSI to some terminals) and the
/// bidirectional embeddings, overrides and isolates.
pub fn is_hostile(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The text with every hostile character written as a visible escape:
/// `\e` for ESC, `\n`, `\t`, `\r`, `\xNN` for other controls and
/// `\u{NNNN}` for the rest.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hostile) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\u{1b}' => out.push_str("\\e"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 && is_hostile(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_hostile(c) => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Like `escape`, but keeps line breaks: for printing a whole file.
pub fn escape_lines(text: &str) -> String {
    text.lines().map(|line| escape(line).into_owned()).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_untouched() {
        assert!(matches!(escape("service restart – back soon ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn terminal_controls_become_visible_escapes() {
        let hostile = "a\u{1b}[2J\u{9b}31m\u{7}\u{7f}\n\u{202e}evil\u{2066}";
        let shown = escape(hostile);
        assert_eq!(shown, "a\\e[2J\\x9b31m\\x07\\x7f\\n\\u{202e}evil\\u{2066}");
        assert!(!shown.chars().any(is_hostile));
    }
}
