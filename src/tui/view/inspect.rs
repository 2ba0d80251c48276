//! The inspect popup: the selected connection's live messages, newest
//! first, each with its time, kind and size; JSON pretty-printed, other
//! text and binary shown safely (escaped; a hex dump).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::{centered, clock};
use crate::engine::inspect::Seen;
use crate::format::size;
use crate::model::Model;
use crate::text::escape;
use crate::tui::app::App;
use crate::tui::inspector::Inspector;

/// Lines of one message shown; the rest are counted.
const LINES_PER_MESSAGE: usize = 12;
/// Bytes of a binary message dumped.
const DUMPED: usize = 64;

pub fn render(frame: &mut Frame, area: Rect, app: &App, model: &Model, inspector: &Inspector) {
    let popup = centered(area, area.width.saturating_sub(8).max(40), area.height.saturating_sub(4).max(8));
    let name = model.connection(inspector.conn).map(|conn| escape(&conn.name).into_owned()).unwrap_or_default();
    let title =
        format!(" Inspect {name} · {} received, newest first · m send · j/k scroll · Esc close ", inspector.received);
    let block = Block::bordered().title(title).border_style(app.theme.title());
    let inner = block.inner(popup);
    let mut lines: Vec<Line<'static>> = Vec::new();
    if inspector.messages.is_empty() {
        lines.push(Line::styled("Waiting for a message…", app.theme.dim()));
    }
    for seen in inspector.messages.iter().skip(inspector.scroll) {
        if lines.len() >= usize::from(inner.height) {
            break;
        }
        let kind = if seen.binary { "binary" } else { "text" };
        lines.push(Line::from(vec![
            Span::styled(clock(seen.at, app, true), app.theme.title()),
            Span::raw(format!("  {kind}  {}", size(seen.size as u64))),
        ]));
        lines.extend(body(seen).into_iter().map(|text| Line::raw(format!("  {text}"))));
    }
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

/// What a message says, a line each, safe to print: pretty JSON, text
/// escaped, binary as hex and printable ASCII.
pub fn body(seen: &Seen) -> Vec<String> {
    let mut lines = if seen.binary {
        hex_dump(&seen.head[..seen.head.len().min(DUMPED)])
    } else {
        let text = String::from_utf8_lossy(&seen.head);
        let pretty = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .filter(|value| value.is_object() || value.is_array())
            .and_then(|value| serde_json::to_string_pretty(&value).ok());
        let text = pretty.unwrap_or_else(|| text.into_owned());
        text.lines().map(|line| escape(line).into_owned()).collect()
    };
    let cut = seen.size > seen.head.len() || (seen.binary && seen.head.len() > DUMPED);
    if lines.len() > LINES_PER_MESSAGE {
        let more = lines.len() - LINES_PER_MESSAGE;
        lines.truncate(LINES_PER_MESSAGE);
        lines.push(format!("… {more} more lines"));
    } else if cut {
        lines.push("… (cut)".into());
    }
    lines
}

fn hex_dump(bytes: &[u8]) -> Vec<String> {
    bytes
        .chunks(16)
        .map(|chunk| {
            let hex: Vec<String> = chunk.iter().map(|byte| format!("{byte:02x}")).collect();
            let ascii: String = chunk
                .iter()
                .map(|&byte| if byte.is_ascii_graphic() || byte == b' ' { byte as char } else { '.' })
                .collect();
            format!("{:<47}  {ascii}", hex.join(" "))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Ts;

    fn text(text: &str) -> Seen {
        Seen { at: Ts(0), binary: false, size: text.len(), head: text.as_bytes().to_vec() }
    }

    #[test]
    fn json_is_pretty_printed_and_text_escaped() {
        assert_eq!(body(&text(r#"{"a":1,"b":[true]}"#)), ["{", "  \"a\": 1,", "  \"b\": [", "    true", "  ]", "}"]);
        let hostile = body(&text("\u{1b}]0;owned\u{7}hello"));
        assert!(hostile.iter().all(|line| !line.chars().any(crate::text::is_hostile)), "{hostile:?}");
        assert_eq!(body(&text("42")), ["42"], "a bare JSON number is text as it came");
    }

    #[test]
    fn binary_is_a_hex_dump_and_long_messages_say_they_were_cut() {
        let seen = Seen { at: Ts(0), binary: true, size: 100, head: (0u8..100).collect() };
        let lines = body(&seen);
        assert!(lines[0].starts_with("00 01 02 03") && lines[0].ends_with("................"), "{lines:?}");
        assert_eq!(lines.len(), 5, "64 bytes in 4 lines, then the cut: {lines:?}");
        let many: String = (0..30).map(|n| format!("line {n}\n")).collect();
        let lines = body(&text(&many));
        assert_eq!(lines.last().unwrap(), "… 18 more lines");
    }
}
