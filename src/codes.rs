//! `wsmon codes [CODE...]`: close codes explained from the catalogue.
//! No code: a one-line index. One: everything about it. Two: side by side,
//! then the differences that matter. More: one after another.

use std::fmt::Write;

use crate::catalogue::{self, Explanation};
use crate::close::Class;
use crate::engine::policy::default_rule;

/// What wsmon does after a failed handshake of this stage and status.
pub fn failure_policy_line(stage: crate::close::Stage, http_status: Option<u16>) -> String {
    let kind = crate::close::RuleKind::for_handshake(stage, http_status);
    let mut text = default_rule(kind).describe();
    if kind.needs_attention() {
        text.push_str("; the row is marked as needing attention");
    }
    text
}

/// What wsmon does when a connection ends with this code, written from
/// the policy itself.
pub fn policy_line(explanation: &Explanation) -> String {
    // wsmon never reports an invalid code: a frame carrying it is a 1002
    // (the code table gives the protocol rule), and the row needs attention.
    let prefix = if explanation.class == Class::Invalid { "as a protocol error: " } else { "" };
    let mut text = format!("{prefix}{}", default_rule(explanation.rule()).describe());
    if explanation.rule().needs_attention() {
        text.push_str("; the row is marked as needing attention");
    }
    text
}

const WIDTH: usize = 80;

pub fn render(codes: &[u16]) -> String {
    match codes {
        [] => index(),
        [a, b] => side_by_side(&catalogue::explain(*a), &catalogue::explain(*b)),
        codes => codes.iter().map(|code| full(&catalogue::explain(*code))).collect::<Vec<_>>().join("\n"),
    }
}

fn title(explanation: &Explanation) -> String {
    match explanation.range {
        Some((from, to)) if from != explanation.code || from != to => {
            format!("{} {} ({from}–{to})", explanation.code, explanation.facts.name)
        }
        _ => format!("{} {}", explanation.code, explanation.facts.name),
    }
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// The labelled fields, in the order both layouts show them.
fn fields(explanation: &Explanation) -> Vec<(&'static str, String)> {
    let facts = &explanation.facts;
    vec![
        ("class", explanation.class.as_str().to_string()),
        ("sent by", facts.sent_by.clone()),
        ("may be sent in a close frame", yes_no(facts.on_wire).to_string()),
        ("expected during a deployment", yes_no(facts.expected).to_string()),
        ("what it means", facts.meaning.clone()),
        ("when you see it", facts.when.clone()),
        ("what to do", facts.action.clone()),
        ("what wsmon does", policy_line(explanation)),
    ]
}

fn index() -> String {
    let mut out = String::from("WebSocket close codes (wsmon codes CODE... for details)\n\n");
    for explanation in catalogue::all() {
        let code = match explanation.range {
            Some((from, to)) => format!("{from}–{to}"),
            None => explanation.code.to_string(),
        };
        let _ = writeln!(out, "{code:>11}  {:<40} {}", explanation.facts.name, explanation.class.as_str());
    }
    out
}

fn full(explanation: &Explanation) -> String {
    let mut out = format!("{}\n", title(explanation));
    for (label, value) in fields(explanation) {
        let _ = writeln!(out, "  {label}:");
        for line in textwrap::wrap(&value, WIDTH - 4) {
            let _ = writeln!(out, "    {line}");
        }
    }
    out
}

fn side_by_side(a: &Explanation, b: &Explanation) -> String {
    let column = (WIDTH - 3) / 2;
    let mut out = String::new();
    let row = |out: &mut String, left: &str, right: &str| {
        let line = format!("{left:<column$} │ {right}");
        let _ = writeln!(out, "{}", line.trim_end());
    };
    row(&mut out, &title(a), &title(b));
    row(&mut out, &"─".repeat(column), &"─".repeat(column));
    for ((label, left), (_, right)) in fields(a).into_iter().zip(fields(b)) {
        row(&mut out, &format!("{label}:"), &format!("{label}:"));
        let left = textwrap::wrap(&left, column - 2);
        let right = textwrap::wrap(&right, column - 2);
        for i in 0..left.len().max(right.len()) {
            let cell = |lines: &[std::borrow::Cow<'_, str>]| lines.get(i).map(|l| format!("  {l}")).unwrap_or_default();
            row(&mut out, &cell(&left), &cell(&right));
        }
    }
    out.push_str("\nKey differences:\n");
    for difference in differences(a, b) {
        for (i, line) in textwrap::wrap(&difference, WIDTH - 4).into_iter().enumerate() {
            let _ = writeln!(out, "{}{line}", if i == 0 { "  • " } else { "    " });
        }
    }
    out
}

/// The facts that tell the two codes apart, each in one sentence.
fn differences(a: &Explanation, b: &Explanation) -> Vec<String> {
    let (ca, cb) = (a.code, b.code);
    let mut out = Vec::new();
    if a.facts.expected != b.facts.expected {
        let (expected, not) = if a.facts.expected { (ca, cb) } else { (cb, ca) };
        out.push(format!("{expected} is expected during a deployment; {not} is not and deserves a look."));
    }
    if a.facts.sent_by != b.facts.sent_by {
        out.push(format!("{ca} is sent by {}; {cb} by {}.", a.facts.sent_by, b.facts.sent_by));
    }
    if a.facts.on_wire != b.facts.on_wire {
        let (sendable, reported) = if a.facts.on_wire { (ca, cb) } else { (cb, ca) };
        out.push(format!("{sendable} may be sent in a close frame; {reported} may not (it is only reported locally)."));
    }
    if a.rule() != b.rule() {
        out.push(format!(
            "wsmon reconnects after {ca} by its {} rule ({}), after {cb} by its {} rule ({}).",
            a.rule().name(),
            first_delay(a),
            b.rule().name(),
            first_delay(b)
        ));
    }
    if a.rule().needs_attention() != b.rule().needs_attention() {
        let (attention, fine) = if a.rule().needs_attention() { (ca, cb) } else { (cb, ca) };
        out.push(format!("{attention} marks the connection as needing attention; {fine} does not."));
    }
    if out.is_empty() {
        out.push(format!("{ca} and {cb} are handled alike: same class of sender, same policy."));
    }
    out
}

fn first_delay(explanation: &Explanation) -> String {
    match default_rule(explanation.rule()).first {
        Some(range) => format!("first try after {range}"),
        None => "off".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_codes_are_compared_side_by_side() {
        let text = render(&[1002, 1012]);
        assert!(text.lines().next().unwrap().contains("1002 Protocol Error"));
        assert!(text.lines().next().unwrap().contains("│ 1012 Service Restart"));
        assert!(text.contains("1012 is expected during a deployment; 1002 is not"), "{text}");
        assert!(text.contains("restart rule (first try after 1s–5s)"), "{text}");
        assert!(text.contains("protocol rule (first try after 10s)"), "{text}");
        assert!(text.contains("1002 marks the connection as needing attention"), "{text}");
        for line in text.lines() {
            assert!(line.chars().count() <= WIDTH, "too wide: {line}");
        }
    }

    #[test]
    fn one_code_is_explained_in_full() {
        let text = render(&[4001]);
        assert!(text.starts_with("4001 Private use (4000–4999)"), "{text}");
        assert!(text.contains("what wsmon does:"));
        assert!(text.contains("needing attention"));
    }

    #[test]
    fn no_code_lists_them_all() {
        let text = render(&[]);
        for code in 1000..=1015 {
            assert!(text.contains(&format!("{code:>11}  ")), "{code} missing");
        }
        assert!(text.contains("3000–3999") && text.contains("4000–4999"));
    }

    #[test]
    fn policies_come_from_the_policy_module() {
        let policy = |code| policy_line(&catalogue::explain(code));
        assert!(policy(1012).starts_with("first try after 1s–5s"));
        assert!(policy(1002).contains("needing attention"));
        let invalid = policy(1004);
        assert!(invalid.starts_with("as a protocol error") && invalid.ends_with("needing attention"), "{invalid}");
        assert!(policy(1005).starts_with("first try after 1s–5s"));
        assert!(policy(1006).starts_with("first try after 0ms–5s"));
    }
}
