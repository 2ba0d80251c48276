//! Facts about every close code for a person (what it means, when you see
//! it, what to do), kept as data in `assets/close-codes.toml` and compiled
//! in. What wsmon decides by code (class, rule kind, waves, attention) is
//! not stored there but in `close::facts`, and the reconnect policy line
//! is written from the engine's policy (`codes::policy_line`), so an
//! explanation never disagrees with what wsmon does.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::close::{Class, RuleKind, facts};

const SOURCE: &str = include_str!("../assets/close-codes.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    code: Vec<Entry>,
    range: Vec<RangeEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeEntry {
    from: u16,
    to: u16,
    #[serde(flatten)]
    facts: Facts,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    code: u16,
    #[serde(flatten)]
    facts: Facts,
}

/// What the catalogue says about a code (or the range it falls in).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Facts {
    pub name: String,
    pub sent_by: String,
    pub on_wire: bool,
    pub expected: bool,
    pub meaning: String,
    pub when: String,
    pub action: String,
}

/// One code, explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub code: u16,
    /// For a code from a range: the range, e.g. (4000, 4999).
    pub range: Option<(u16, u16)>,
    pub class: Class,
    pub facts: Facts,
}

impl Explanation {
    /// The kind of reconnect rule a close with this code falls under.
    pub fn rule(&self) -> RuleKind {
        facts(self.code).rule
    }
}

struct Catalogue {
    codes: Vec<Entry>,
    ranges: Vec<RangeEntry>,
}

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        // A unit test parses the same text, so this cannot fail in a build that passed its tests.
        let file: File = toml::from_str(SOURCE).expect("assets/close-codes.toml is valid");
        Catalogue { codes: file.code, ranges: file.range }
    })
}

/// Every code and range in catalogue order.
pub fn all() -> Vec<Explanation> {
    let catalogue = catalogue();
    let codes = catalogue.codes.iter().map(|entry| explanation(entry.code, None, &entry.facts));
    let ranges =
        catalogue.ranges.iter().map(|range| explanation(range.from, Some((range.from, range.to)), &range.facts));
    codes.chain(ranges).collect()
}

pub fn explain(code: u16) -> Explanation {
    let catalogue = catalogue();
    if let Some(entry) = catalogue.codes.iter().find(|entry| entry.code == code) {
        return explanation(code, None, &entry.facts);
    }
    let range = catalogue
        .ranges
        .iter()
        .find(|range| (range.from..=range.to).contains(&code))
        .expect("the ranges cover every u16");
    explanation(code, Some((range.from, range.to)), &range.facts)
}

fn explanation(code: u16, range: Option<(u16, u16)>, facts: &Facts) -> Explanation {
    Explanation { code, range, class: Class::of_code(code), facts: facts.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::close::may_be_sent;

    #[test]
    fn the_asset_parses_and_covers_1000_to_1015() {
        let file: File = toml::from_str(SOURCE).unwrap();
        let codes: Vec<u16> = file.code.iter().map(|entry| entry.code).collect();
        assert_eq!(codes, (1000..=1015).collect::<Vec<_>>());
    }

    #[test]
    fn ranges_cover_every_other_number() {
        for code in (0..=u16::MAX).step_by(7).chain([999, 1016, 2999, 3000, 3999, 4000, 4999, 5000, u16::MAX]) {
            let explanation = explain(code);
            assert_eq!(explanation.code, code);
            if !(1000..=1015).contains(&code) {
                let (from, to) = explanation.range.unwrap();
                assert!((from..=to).contains(&code));
            }
        }
    }

    #[test]
    fn on_wire_agrees_with_the_protocol_rule() {
        for code in [0, 999, 1000, 1004, 1005, 1006, 1012, 1015, 2000, 3000, 4500, 5000] {
            assert_eq!(explain(code).facts.on_wire, may_be_sent(code), "{code}");
        }
    }
}
