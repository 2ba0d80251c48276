//! Text from the network, made safe to print.
//!
//! A close reason, an HTTP status line or a message is the server's text.
//! Printed raw, it could drive the user's terminal (ESC and CSI sequences),
//! reorder what is shown (bidirectional overrides) or hide part of it
//! (zero-width, format and tag characters, blank fillers). The same goes for local text that is
//! not trusted: file names, a user's bad input echoed in an error, names
//! read from a log. This is the one rule for every output: the TUI, the
//! readable lines, wsmon's own log, error messages, and (through `wire`'s
//! formatter, as `\u009b`) every JSON file and line.

mod format_chars;
mod width;

use std::borrow::Cow;
use std::fmt::Write;

use format_chars::{is_format, is_hangul_filler};
pub use width::{pad, width, wrap};

/// Characters a terminal may act on, or that reorder or hide text.
pub fn is_hostile(c: char) -> bool {
    // Most text is ASCII: settle it without the table.
    if c < '\u{a0}' {
        // C0 controls, DEL and C1 (U+009B is CSI to some terminals).
        return !(' '..'\u{7f}').contains(&c);
    }
    matches!(
        c,
        // Line and paragraph separators: line breaks a reader does not see.
        '\u{2028}' | '\u{2029}'
        // The tag block, its one unassigned code point included.
        | '\u{e0000}'..='\u{e007f}'
        // Invisible marks that are not Cf: the combining grapheme joiner,
        // Khmer's deprecated inherent vowels, Mongolian's variation
        // selectors. The other variation selectors (U+FE00–FE0F,
        // U+E0100–E01EF) stay: they pick an emoji's or a kanji's form.
        | '\u{034f}'
        | '\u{17b4}'..='\u{17b5}'
        | '\u{180b}'..='\u{180f}'
    ) || is_format(c)
        || is_hangul_filler(c)
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

/// `println!` for text a user reads in a terminal, every line escaped:
/// paths, profile names and errors can hold anything a file name can.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => { println!("{}", $crate::text::escape_lines(&format!($($arg)*))) };
}

/// `eprintln!`, escaped like `say!`.
#[macro_export]
macro_rules! tell {
    ($($arg:tt)*) => { eprintln!("{}", $crate::text::escape_lines(&format!($($arg)*))) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_untouched() {
        assert!(matches!(escape("service restart – back soon ✓"), Cow::Borrowed(_)));
    }

    /// One character of every class, each shown as a visible escape.
    #[test]
    fn every_hostile_class_is_escaped() {
        let cases = [
            ('\u{1b}', "\\e"),
            ('\r', "\\r"),
            ('\u{8}', "\\x08"),
            ('\u{7f}', "\\x7f"),
            ('\u{9b}', "\\x9b"),
            ('\u{200b}', "\\u{200b}"),
            ('\u{200d}', "\\u{200d}"),
            ('\u{200e}', "\\u{200e}"),
            ('\u{200f}', "\\u{200f}"),
            ('\u{061c}', "\\u{061c}"),
            ('\u{2028}', "\\u{2028}"),
            ('\u{2029}', "\\u{2029}"),
            ('\u{202a}', "\\u{202a}"),
            ('\u{202e}', "\\u{202e}"),
            ('\u{2066}', "\\u{2066}"),
            ('\u{2069}', "\\u{2069}"),
            ('\u{feff}', "\\u{feff}"),
            ('\u{e0001}', "\\u{e0001}"),
            ('\u{e007f}', "\\u{e007f}"),
            // Format characters (Cf) beyond the ones named above.
            ('\u{00ad}', "\\xad"),
            ('\u{0600}', "\\u{0600}"),
            ('\u{180e}', "\\u{180e}"),
            ('\u{2060}', "\\u{2060}"),
            ('\u{2064}', "\\u{2064}"),
            ('\u{206a}', "\\u{206a}"),
            ('\u{206f}', "\\u{206f}"),
            ('\u{fff9}', "\\u{fff9}"),
            ('\u{fffb}', "\\u{fffb}"),
            ('\u{110bd}', "\\u{110bd}"),
            ('\u{1343f}', "\\u{1343f}"),
            ('\u{1d17a}', "\\u{1d17a}"),
            // Invisible marks that are not Cf.
            ('\u{034f}', "\\u{034f}"),
            ('\u{17b4}', "\\u{17b4}"),
            ('\u{180b}', "\\u{180b}"),
            ('\u{180f}', "\\u{180f}"),
            // Hangul fillers: letters (Lo) that render blank.
            ('\u{115f}', "\\u{115f}"),
            ('\u{1160}', "\\u{1160}"),
            ('\u{3164}', "\\u{3164}"),
            ('\u{ffa0}', "\\u{ffa0}"),
        ];
        for (c, shown) in cases {
            assert_eq!(escape(&format!("a{c}b")), format!("a{shown}b"), "U+{:04X}", c as u32);
        }
        for fine in [
            'é',
            '日',
            '✓',
            '\u{2010}',
            '\u{2030}',
            '\u{2065}',
            '\u{ac00}',
            '\u{1161}',
            '\u{fffc}',
            '\u{e0080}',
            '\u{fe0f}',
            '\u{e0100}',
        ] {
            assert!(!is_hostile(fine), "U+{:04X}", fine as u32);
        }
    }

    #[test]
    fn terminal_controls_become_visible_escapes() {
        let hostile = "a\u{1b}[2J\u{9b}31m\u{7}\u{7f}\n\u{202e}evil\u{2066}";
        let shown = escape(hostile);
        assert_eq!(shown, "a\\e[2J\\x9b31m\\x07\\x7f\\n\\u{202e}evil\\u{2066}");
        assert!(!shown.chars().any(is_hostile));
    }
}
