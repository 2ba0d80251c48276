//! Characters that are there but not seen: Unicode's format characters
//! (general category Cf) and the Hangul fillers.
//!
//! Format characters steer how text around them is shown (soft hyphens,
//! joiners, invisible operators, bidirectional controls, annotation
//! anchors, tags) and draw nothing themselves, so a server can hide text
//! or make two different strings look the same with them. No crate wsmon
//! already builds exposes general categories, so the ranges are listed
//! here, from the Unicode 16.0 data (DerivedGeneralCategory.txt, `Cf`).

/// Every code point of general category Cf, as sorted, disjoint ranges.
const FORMAT: &[(char, char)] = &[
    ('\u{00ad}', '\u{00ad}'),
    ('\u{0600}', '\u{0605}'),
    ('\u{061c}', '\u{061c}'),
    ('\u{06dd}', '\u{06dd}'),
    ('\u{070f}', '\u{070f}'),
    ('\u{0890}', '\u{0891}'),
    ('\u{08e2}', '\u{08e2}'),
    ('\u{180e}', '\u{180e}'),
    ('\u{200b}', '\u{200f}'),
    ('\u{202a}', '\u{202e}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{206f}'),
    ('\u{feff}', '\u{feff}'),
    ('\u{fff9}', '\u{fffb}'),
    ('\u{110bd}', '\u{110bd}'),
    ('\u{110cd}', '\u{110cd}'),
    ('\u{13430}', '\u{1343f}'),
    ('\u{1bca0}', '\u{1bca3}'),
    ('\u{1d173}', '\u{1d17a}'),
    ('\u{e0001}', '\u{e0001}'),
    ('\u{e0020}', '\u{e007f}'),
];

/// A format character (Cf).
pub fn is_format(c: char) -> bool {
    FORMAT
        .binary_search_by(|&(first, last)| {
            if last < c {
                std::cmp::Ordering::Less
            } else if first > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// The Hangul fillers: letters (Lo), not format characters, yet a
/// terminal draws them as blank space, so they hide text just as well.
pub fn is_hangul_filler(c: char) -> bool {
    matches!(c, '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A binary search needs sorted, disjoint ranges.
    #[test]
    fn the_table_is_sorted_and_disjoint() {
        assert!(FORMAT.iter().all(|(first, last)| first <= last));
        assert!(FORMAT.windows(2).all(|pair| pair[0].1 < pair[1].0));
        // Unicode 16.0 has 170 format characters.
        let count: u32 = FORMAT.iter().map(|&(first, last)| last as u32 - first as u32 + 1).sum();
        assert_eq!(count, 170);
    }

    #[test]
    fn both_ends_of_every_range_are_format_characters_and_their_neighbours_are_not() {
        for &(first, last) in FORMAT {
            assert!(is_format(first) && is_format(last), "U+{:04X}..U+{:04X}", first as u32, last as u32);
            let (before, after) = (char::from_u32(first as u32 - 1), char::from_u32(last as u32 + 1));
            assert!(!before.is_some_and(is_format), "U+{:04X}", first as u32 - 1);
            assert!(!after.is_some_and(is_format), "U+{:04X}", last as u32 + 1);
        }
    }
}
