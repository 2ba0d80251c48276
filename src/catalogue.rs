//! Facts about every close code for a person (what it means, when you see
//! it, what to do), kept as data in `assets/close-codes.toml` and compiled
//! in, with a Japanese edition of the prose in `assets/close-codes.ja.toml`
//! (docs/ARCHITECTURE.md, "Languages"). What wsmon decides by code (class, rule kind, waves, attention) is
//! not stored there but in `close::facts`, and the reconnect policy line
//! is written from the engine's policy (`codes::policy_line`), so an
//! explanation never disagrees with what wsmon does.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::close::{Class, RuleKind, facts};
use crate::lang::Lang;

const SOURCE: &str = include_str!("../assets/close-codes.toml");
/// The Japanese edition: the same codes and ranges in the same order, prose
/// only (docs/ARCHITECTURE.md, "Languages").
const SOURCE_JA: &str = include_str!("../assets/close-codes.ja.toml");

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

/// The Japanese file: what a person reads, never the facts (`on_wire`,
/// `expected`), which the English file alone holds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProseFile {
    code: Vec<ProseEntry>,
    range: Vec<ProseEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProseEntry {
    code: Option<u16>,
    from: Option<u16>,
    to: Option<u16>,
    name: String,
    sent_by: String,
    meaning: String,
    when: String,
    action: String,
}

impl ProseEntry {
    /// The English facts with this entry's words.
    fn over(&self, english: &Facts) -> Facts {
        Facts {
            name: self.name.clone(),
            sent_by: self.sent_by.clone(),
            meaning: self.meaning.clone(),
            when: self.when.clone(),
            action: self.action.clone(),
            ..english.clone()
        }
    }
}

/// What the catalogue says about a code (or the range it falls in), in
/// one language.
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

/// One code or range, in both languages.
struct Item {
    from: u16,
    to: u16,
    range: bool,
    en: Facts,
    ja: Facts,
}

impl Item {
    fn facts(&self, lang: Lang) -> &Facts {
        lang.pick(&self.en, &self.ja)
    }
}

fn catalogue() -> &'static [Item] {
    static CATALOGUE: OnceLock<Vec<Item>> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        // Unit tests parse the same texts and match them up, so this cannot
        // fail in a build that passed its tests.
        let english: File = toml::from_str(SOURCE).expect("assets/close-codes.toml is valid");
        let japanese: ProseFile = toml::from_str(SOURCE_JA).expect("assets/close-codes.ja.toml is valid");
        items(english, japanese).expect("both editions cover the same codes")
    })
}

/// The two editions side by side, or the first entry where they part.
fn items(english: File, japanese: ProseFile) -> Result<Vec<Item>, String> {
    let codes = english.code.into_iter().map(|entry| (entry.code, entry.code, false, entry.facts));
    let ranges = english.range.into_iter().map(|range| (range.from, range.to, true, range.facts));
    let prose = japanese.code.into_iter().chain(japanese.range);
    let mut items = Vec::new();
    let mut english = codes.chain(ranges);
    let mut prose = prose.fuse();
    loop {
        match (english.next(), prose.next()) {
            (None, None) => return Ok(items),
            (Some((from, to, range, en)), Some(words)) => {
                let key = if range { (None, Some(from), Some(to)) } else { (Some(from), None, None) };
                if (words.code, words.from, words.to) != key {
                    return Err(format!("{from}..={to}: the Japanese edition has {words:?} in its place"));
                }
                let ja = words.over(&en);
                items.push(Item { from, to, range, en, ja });
            }
            (Some((from, to, ..)), None) => return Err(format!("{from}..={to} is missing from the Japanese edition")),
            (None, Some(words)) => return Err(format!("{words:?} is only in the Japanese edition")),
        }
    }
}

/// Every code and range in catalogue order.
pub fn all(lang: Lang) -> Vec<Explanation> {
    catalogue()
        .iter()
        .map(|item| explanation(item.from, item.range.then_some((item.from, item.to)), item.facts(lang)))
        .collect()
}

pub fn explain(code: u16, lang: Lang) -> Explanation {
    let catalogue = catalogue();
    if let Some(item) = catalogue.iter().find(|item| !item.range && item.from == code) {
        return explanation(code, None, item.facts(lang));
    }
    let item = catalogue
        .iter()
        .find(|item| item.range && (item.from..=item.to).contains(&code))
        .expect("the ranges cover every u16");
    explanation(code, Some((item.from, item.to)), item.facts(lang))
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
            let explanation = explain(code, Lang::En);
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
            for lang in Lang::ALL {
                assert_eq!(explain(code, lang).facts.on_wire, may_be_sent(code), "{code}");
            }
        }
    }

    fn editions() -> (File, ProseFile) {
        (toml::from_str(SOURCE).unwrap(), toml::from_str(SOURCE_JA).unwrap())
    }

    #[test]
    fn both_editions_cover_the_same_codes_with_every_field_written() {
        let (english, japanese) = editions();
        let items = items(english, japanese).unwrap();
        assert_eq!(items.len(), 16 + 5);
        for item in &items {
            for facts in [&item.en, &item.ja] {
                let fields = [&facts.name, &facts.sent_by, &facts.meaning, &facts.when, &facts.action];
                assert!(fields.iter().all(|field| !field.trim().is_empty()), "{}..={}: {facts:?}", item.from, item.to);
            }
            assert_eq!((item.en.on_wire, item.en.expected), (item.ja.on_wire, item.ja.expected));
            assert!(!item.ja.name.is_ascii(), "{}: the Japanese name is Japanese", item.from);
        }
    }

    #[test]
    fn an_edition_out_of_step_is_named() {
        let (english, mut japanese) = editions();
        japanese.code.remove(3);
        let error = items(english, japanese).err().unwrap();
        assert!(error.contains("1003..=1003"), "{error}");
        let (english, mut japanese) = editions();
        japanese.range.pop();
        let error = items(english, japanese).err().unwrap();
        assert!(error.contains("5000..=65535 is missing"), "{error}");
    }

    /// `wsmon codes A B` says who sends each when the senders differ: the
    /// Japanese senders must differ exactly where the English ones do.
    #[test]
    fn senders_match_one_to_one() {
        let items = items(editions().0, editions().1).unwrap();
        for a in &items {
            for b in &items {
                assert_eq!(a.en.sent_by == b.en.sent_by, a.ja.sent_by == b.ja.sent_by, "{} and {}", a.from, b.from);
            }
        }
    }

    /// Characters whose width East Asian terminals disagree on would break
    /// the alignment of the Japanese columns.
    #[test]
    fn the_japanese_edition_avoids_ambiguous_width_characters() {
        for (number, line) in SOURCE_JA.lines().enumerate().filter(|(_, line)| !line.starts_with('#')) {
            for c in ['–', '—', '§', '×', '→', '…', '·', '“', '”', '‘', '’'] {
                assert!(!line.contains(c), "line {}: {c} in {line}", number + 1);
            }
        }
    }

    #[test]
    fn every_code_reads_in_japanese() {
        let explanation = explain(1012, Lang::Ja);
        assert_eq!(explanation.facts.name, "サービス再起動");
        assert_eq!(explanation.class, Class::ServiceRestart);
        assert_eq!(explain(4321, Lang::Ja).range, Some((4000, 4999)));
        assert_eq!(all(Lang::Ja).len(), all(Lang::En).len());
    }
}
