//! Text laid out by display width, never by bytes or chars: a CJK
//! character takes two terminal cells (docs/ARCHITECTURE.md, "Languages").
//! Nothing here slices a string by index: wrapping cuts only between
//! characters.

use unicode_width::UnicodeWidthStr;

/// How many terminal cells `text` takes.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text`, then spaces up to `cells` display cells (none when it is wider).
pub fn pad(text: &str, cells: usize) -> String {
    let mut out = String::with_capacity(text.len() + cells);
    out.push_str(text);
    out.extend(std::iter::repeat_n(' ', cells.saturating_sub(width(text))));
    out
}

/// `text` in lines of at most `cells` display cells: broken between words,
/// and between CJK characters where Unicode's line breaking rules allow it
/// (never before 。 or 、); a word longer than a line is broken between two
/// characters. textwrap with its default `unicode-linebreak` and
/// `unicode-width` features; each line filled as far as it goes (first fit),
/// as Japanese is set and as ratatui wraps English.
pub fn wrap(text: &str, cells: usize) -> Vec<String> {
    let options = textwrap::Options::new(cells.max(1)).wrap_algorithm(textwrap::WrapAlgorithm::FirstFit);
    textwrap::wrap(text, options).into_iter().map(|line| line.into_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_takes_two_cells() {
        assert_eq!(width("1002 プロトコルエラー"), 5 + 16);
        assert_eq!(pad("説明", 6), "説明  ");
        assert_eq!(width(&pad("説明", 6)), 6);
        assert_eq!(pad("too wide", 3), "too wide");
    }

    #[test]
    fn japanese_wraps_by_width_between_characters() {
        let text = "サーバーが意図して再起動しています。クライアントは再接続すべきで、少し待ってからにすることが推奨されます。";
        for cells in [10, 11, 20, 37, 72] {
            let lines = wrap(text, cells);
            assert_eq!(lines.concat(), text, "nothing lost at {cells}");
            for line in &lines {
                assert!(width(line) <= cells, "{line:?} is wider than {cells}");
                assert!(!line.starts_with(['。', '、']), "{line:?} starts with closing punctuation");
            }
        }
    }

    #[test]
    fn a_long_word_is_broken_between_characters() {
        let lines = wrap("ああああああああああ", 5);
        assert_eq!(lines, ["ああ", "ああ", "ああ", "ああ", "ああ"]);
        let mixed = wrap("wsmon は 1002 を protocol_error として数えます", 12);
        assert!(mixed.iter().all(|line| width(line) <= 12), "{mixed:?}");
    }
}
