//! `wsmon codes [CODE...]`: close codes explained from the catalogue.
//! No code: a one-line index. One: everything about it. Two: side by side,
//! then the differences that matter. More: one after another.

use std::fmt::Write;

use crate::catalogue::{self, Explanation};
use crate::close::Class;
use crate::engine::policy::{DelayRange, Jitter, Rule, default_rule};
use crate::format::duration_ms;
use crate::lang::Lang;
use crate::text::{pad, width, wrap};

/// What wsmon does after a failed handshake of this stage and status.
pub fn failure_policy_line(stage: crate::close::Stage, http_status: Option<u16>, lang: Lang) -> String {
    let kind = crate::close::RuleKind::for_handshake(stage, http_status);
    let mut text = describe(&default_rule(kind), lang);
    if kind.needs_attention() {
        text.push_str(attention(lang));
    }
    text
}

/// What wsmon does when a connection ends with this code, written from
/// the policy itself, in either language (docs/ARCHITECTURE.md,
/// "Languages"): never by hand per code.
pub fn policy_line(explanation: &Explanation, lang: Lang) -> String {
    // wsmon never reports an invalid code: a frame carrying it is a 1002
    // (the code table gives the protocol rule), and the row needs attention.
    let prefix = match explanation.class {
        Class::Invalid => lang.pick("as a protocol error: ", "プロトコルエラーとして扱います。"),
        _ => "",
    };
    let mut text = format!("{prefix}{}", describe(&default_rule(explanation.rule()), lang));
    if explanation.rule().needs_attention() {
        text.push_str(attention(lang));
    }
    text
}

fn attention(lang: Lang) -> &'static str {
    lang.pick("; the row is marked as needing attention", "その行は要対応として示されます。")
}

/// A rule in words: the English is `Rule::describe`; the Japanese is
/// written here from the same fields.
fn describe(rule: &Rule, lang: Lang) -> String {
    if lang == Lang::En {
        return rule.describe();
    }
    let Some(first) = rule.first else {
        return "指示があるまで再接続しません（ルールが off）。".into();
    };
    let jitter = match rule.backoff.jitter {
        Jitter::Full => "フルジッター",
        Jitter::Equal => "イコールジッター",
    };
    format!(
        "初回は {} 後に再接続します。それも失敗したら {} から 2 倍ずつ間隔を延ばします（上限 {}、{jitter}）。",
        range_ja(first),
        duration_ms(rule.backoff.base_ms),
        duration_ms(rule.backoff.cap_ms)
    )
}

/// `1s〜5s`: the wave dash is wide in every East Asian terminal, where the
/// en dash of `DelayRange`'s Display is of ambiguous width.
fn range_ja(range: DelayRange) -> String {
    match range.min_ms == range.max_ms {
        true => duration_ms(range.min_ms),
        false => format!("{}〜{}", duration_ms(range.min_ms), duration_ms(range.max_ms)),
    }
}

const WIDTH: usize = 80;

/// The words around the catalogue's own, per language.
struct Words {
    labels: [&'static str; 8],
    yes: &'static str,
    no: &'static str,
    colon: &'static str,
    index: &'static str,
    differences: &'static str,
    range_dash: &'static str,
    bullet: &'static str,
}

const EN: Words = Words {
    labels: [
        "class",
        "sent by",
        "may be sent in a close frame",
        "expected during a deployment",
        "what it means",
        "when you see it",
        "what to do",
        "what wsmon does",
    ],
    yes: "yes",
    no: "no",
    colon: ":",
    index: "WebSocket close codes (wsmon codes CODE... for details)",
    differences: "Key differences",
    range_dash: "–",
    bullet: "  • ",
};

/// The page wsmon's catalogue grew from headed its sections 説明 /
/// このコードが表示される場合 / 解決方法.
const JA: Words = Words {
    labels: [
        "クラス",
        "送信元",
        "クローズフレームで送れるか",
        "デプロイ中に出るのは普通か",
        "説明",
        "このコードが表示される場合",
        "解決方法",
        "wsmon の動作",
    ],
    yes: "はい",
    no: "いいえ",
    colon: "：",
    index: "WebSocket クローズコード一覧（詳しくは wsmon codes コード...）",
    differences: "主な違い",
    range_dash: "〜",
    // Two cells wherever it is shown; the bullet's width is ambiguous.
    bullet: "  ・",
};

fn words(lang: Lang) -> &'static Words {
    lang.pick(&EN, &JA)
}

pub fn render(codes: &[u16], lang: Lang) -> String {
    let explain = |code: &u16| catalogue::explain(*code, lang);
    match codes {
        [] => index(lang),
        [a, b] => side_by_side(&explain(a), &explain(b), lang),
        codes => codes.iter().map(|code| full(&explain(code), lang)).collect::<Vec<_>>().join("\n"),
    }
}

fn title(explanation: &Explanation, lang: Lang) -> String {
    let (code, name) = (explanation.code, &explanation.facts.name);
    match explanation.range {
        Some((from, to)) if from != code || from != to => match lang {
            Lang::En => format!("{code} {name} ({from}–{to})"),
            Lang::Ja => format!("{code} {name}（{from}〜{to}）"),
        },
        _ => format!("{code} {name}"),
    }
}

/// The labelled fields, in the order both layouts show them.
fn fields(explanation: &Explanation, lang: Lang) -> Vec<(&'static str, String)> {
    let facts = &explanation.facts;
    let words = words(lang);
    let yes_no = |value: bool| if value { words.yes } else { words.no }.to_string();
    let values = [
        explanation.class.as_str().to_string(),
        facts.sent_by.clone(),
        yes_no(facts.on_wire),
        yes_no(facts.expected),
        facts.meaning.clone(),
        facts.when.clone(),
        facts.action.clone(),
        policy_line(explanation, lang),
    ];
    words.labels.into_iter().zip(values).collect()
}

fn index(lang: Lang) -> String {
    let words = words(lang);
    let mut out = format!("{}\n\n", words.index);
    for explanation in catalogue::all(lang) {
        let code = match explanation.range {
            Some((from, to)) => format!("{from}{}{to}", words.range_dash),
            None => explanation.code.to_string(),
        };
        let code = format!("{}{code}", " ".repeat(11usize.saturating_sub(width(&code))));
        let _ = writeln!(out, "{code}  {} {}", pad(&explanation.facts.name, 40), explanation.class.as_str());
    }
    out
}

fn full(explanation: &Explanation, lang: Lang) -> String {
    let mut out = format!("{}\n", title(explanation, lang));
    for (label, value) in fields(explanation, lang) {
        let _ = writeln!(out, "  {label}{}", words(lang).colon);
        for line in wrap(&value, WIDTH - 4) {
            let _ = writeln!(out, "    {line}");
        }
    }
    out
}

/// Two columns of `(WIDTH - 3) / 2` display cells, each wrapped and padded
/// by width, so Japanese (two cells a character) lines up as English does.
fn side_by_side(a: &Explanation, b: &Explanation, lang: Lang) -> String {
    let column = (WIDTH - 3) / 2;
    let mut out = String::new();
    let rows = |out: &mut String, left: Vec<String>, right: Vec<String>| {
        for i in 0..left.len().max(right.len()) {
            let cell = |lines: &[String]| lines.get(i).cloned().unwrap_or_default();
            let line = format!("{} │ {}", pad(&cell(&left), column), cell(&right));
            let _ = writeln!(out, "{}", line.trim_end());
        }
    };
    rows(&mut out, wrap(&title(a, lang), column), wrap(&title(b, lang), column));
    rows(&mut out, vec!["─".repeat(column)], vec!["─".repeat(column)]);
    let colon = words(lang).colon;
    for ((label, left), (_, right)) in fields(a, lang).into_iter().zip(fields(b, lang)) {
        let label = wrap(&format!("{label}{colon}"), column);
        rows(&mut out, label.clone(), label);
        let indent = |lines: Vec<String>| lines.into_iter().map(|line| format!("  {line}")).collect();
        rows(&mut out, indent(wrap(&left, column - 2)), indent(wrap(&right, column - 2)));
    }
    let _ = writeln!(out, "\n{}{colon}", words(lang).differences);
    for difference in differences(a, b, lang) {
        for (i, line) in wrap(&difference, WIDTH - 4).into_iter().enumerate() {
            let _ = writeln!(out, "{}{line}", if i == 0 { words(lang).bullet } else { "    " });
        }
    }
    out
}

/// The facts that tell the two codes apart, each in one sentence.
fn differences(a: &Explanation, b: &Explanation, lang: Lang) -> Vec<String> {
    let (ca, cb) = (a.code, b.code);
    let ja = lang == Lang::Ja;
    let mut out = Vec::new();
    if a.facts.expected != b.facts.expected {
        let (expected, not) = if a.facts.expected { (ca, cb) } else { (cb, ca) };
        out.push(match ja {
            false => format!("{expected} is expected during a deployment; {not} is not and deserves a look."),
            true => format!("{expected} はデプロイ中に出るのが普通です。{not} はそうではないので、確認が必要です。"),
        });
    }
    if a.facts.sent_by != b.facts.sent_by {
        let (sa, sb) = (&a.facts.sent_by, &b.facts.sent_by);
        out.push(match ja {
            false => format!("{ca} is sent by {sa}; {cb} by {sb}."),
            true => format!("{ca} の送信元は「{sa}」、{cb} の送信元は「{sb}」です。"),
        });
    }
    if a.facts.on_wire != b.facts.on_wire {
        let (sendable, reported) = if a.facts.on_wire { (ca, cb) } else { (cb, ca) };
        out.push(match ja {
            false => {
                format!("{sendable} may be sent in a close frame; {reported} may not (it is only reported locally).")
            }
            true => format!(
                "{sendable} はクローズフレームで送れますが、{reported} は送れません（ローカルで報告されるだけです）。"
            ),
        });
    }
    if a.rule() != b.rule() {
        let (ra, rb) = (a.rule().name(), b.rule().name());
        let (da, db) = (first_delay(a, lang), first_delay(b, lang));
        out.push(match ja {
            false => {
                format!("wsmon reconnects after {ca} by its {ra} rule ({da}), after {cb} by its {rb} rule ({db}).")
            }
            true => {
                format!("wsmon は {ca} の後は {ra} ルール（{da}）で、{cb} の後は {rb} ルール（{db}）で再接続します。")
            }
        });
    }
    if a.rule().needs_attention() != b.rule().needs_attention() {
        let (attention, fine) = if a.rule().needs_attention() { (ca, cb) } else { (cb, ca) };
        out.push(match ja {
            false => format!("{attention} marks the connection as needing attention; {fine} does not."),
            true => format!("{attention} では接続が要対応として示されます。{fine} では示されません。"),
        });
    }
    if out.is_empty() {
        out.push(match ja {
            false => format!("{ca} and {cb} are handled alike: same class of sender, same policy."),
            true => format!("{ca} と {cb} の扱いは同じです（送信元の種類も、再接続のポリシーも同じ）。"),
        });
    }
    out
}

fn first_delay(explanation: &Explanation, lang: Lang) -> String {
    match (default_rule(explanation.rule()).first, lang) {
        (Some(range), Lang::En) => format!("first try after {range}"),
        (Some(range), Lang::Ja) => format!("初回は {} 後", range_ja(range)),
        (None, lang) => lang.pick("off", "オフ").into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_codes_are_compared_side_by_side() {
        let text = render(&[1002, 1012], Lang::En);
        assert!(text.lines().next().unwrap().contains("1002 Protocol Error"));
        assert!(text.lines().next().unwrap().contains("│ 1012 Service Restart"));
        assert!(text.contains("1012 is expected during a deployment; 1002 is not"), "{text}");
        assert!(text.contains("restart rule (first try after 1s–5s)"), "{text}");
        assert!(text.contains("protocol rule (first try after 10s)"), "{text}");
        assert!(text.contains("1002 marks the connection as needing attention"), "{text}");
        for line in text.lines() {
            assert!(width(line) <= WIDTH, "too wide: {line}");
        }
    }

    #[test]
    fn one_code_is_explained_in_full() {
        let text = render(&[4001], Lang::En);
        assert!(text.starts_with("4001 Private use (4000–4999)"), "{text}");
        assert!(text.contains("what wsmon does:"));
        assert!(text.contains("needing attention"));
    }

    #[test]
    fn no_code_lists_them_all() {
        let text = render(&[], Lang::En);
        for code in 1000..=1015 {
            assert!(text.contains(&format!("{code:>11}  ")), "{code} missing");
        }
        assert!(text.contains("3000–3999") && text.contains("4000–4999"));
    }

    #[test]
    fn policies_come_from_the_policy_module() {
        let policy = |code| policy_line(&catalogue::explain(code, Lang::En), Lang::En);
        assert!(policy(1012).starts_with("first try after 1s–5s"));
        assert!(policy(1002).contains("needing attention"));
        let invalid = policy(1004);
        assert!(invalid.starts_with("as a protocol error") && invalid.ends_with("needing attention"), "{invalid}");
        assert!(policy(1005).starts_with("first try after 1s–5s"));
        assert!(policy(1006).starts_with("first try after 0ms–5s"));
    }

    /// `wsmon --lang ja codes 1002 1012` at 80 columns.
    #[test]
    fn two_codes_side_by_side_in_japanese() {
        let text = render(&[1002, 1012], Lang::Ja);
        insta::assert_snapshot!("codes_1002_1012_ja", text);
        let first = text.lines().next().unwrap();
        assert!(first.starts_with("1002 プロトコルエラー") && first.contains("│ 1012 サービス再起動"), "{first}");
        assert!(text.contains("主な違い"), "{text}");
        // Every row's separator sits at the same display column.
        for line in text.lines().take_while(|line| !line.is_empty()) {
            let left = line.split(" │").next().unwrap();
            assert!(line.contains(" │") && width(left) == (WIDTH - 3) / 2, "misaligned: {line}");
        }
    }

    #[test]
    fn every_japanese_line_fits_in_80_columns() {
        let all: Vec<u16> = catalogue::all(Lang::Ja).iter().map(|explanation| explanation.code).collect();
        let mut texts = vec![render(&[], Lang::Ja), render(&all, Lang::Ja)];
        for a in &all {
            for b in [1000, 1002, 1006, 1012, 1015, 3000, 4000] {
                texts.push(render(&[*a, b], Lang::Ja));
            }
        }
        for text in &texts {
            for line in text.lines() {
                assert!(width(line) <= WIDTH, "{} cells: {line}", width(line));
            }
        }
    }

    #[test]
    fn the_japanese_policy_line_comes_from_the_policy_too() {
        let policy = |code| policy_line(&catalogue::explain(code, Lang::Ja), Lang::Ja);
        assert!(policy(1012).starts_with("初回は 1s〜5s 後に再接続します。"), "{}", policy(1012));
        assert!(policy(1012).contains("1s から 2 倍ずつ") && policy(1012).contains("上限 30s、イコールジッター"));
        assert!(policy(1002).starts_with("初回は 10s 後") && policy(1002).ends_with("要対応として示されます。"));
        assert!(policy(1004).starts_with("プロトコルエラーとして扱います。"), "{}", policy(1004));
        assert!(policy(1006).contains("フルジッター"));
        let refused = failure_policy_line(crate::close::Stage::Http, Some(401), Lang::Ja);
        assert!(refused.starts_with("初回は 30s 後") && refused.contains("要対応"), "{refused}");
    }

    #[test]
    fn the_japanese_index_aligns_names_by_width() {
        let text = render(&[], Lang::Ja);
        assert!(text.starts_with("WebSocket クローズコード一覧"), "{text}");
        let classes: Vec<usize> = text
            .lines()
            .filter(|line| line.contains("  "))
            .map(|line| width(line) - width(line.rsplit(' ').next().unwrap()))
            .collect();
        assert!(classes.iter().all(|column| *column == classes[0]), "class column moves: {text}");
        assert!(text.contains("\n 1016〜2999  未割り当て"), "{text}");
    }
}
