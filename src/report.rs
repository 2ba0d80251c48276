//! Deployment reports: what happened over a session, to paste into an
//! incident channel (Markdown) or feed to a script (JSON). Built from the
//! model's summary, so a report, the `watch` summary and a replay agree.
//! The Markdown is in English or Japanese; the JSON never changes with the
//! language.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::event::Ts;
use crate::format::{duration_ms, maybe_ms, proxies_text, wave_problems, wave_services};
use crate::lang::Lang;
use crate::model::{Percentiles, Summary, WaveSummary};
use crate::text::escape;

/// Connections named under "Down at the end" (the JSON report has all).
const DOWN_LISTED: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Json,
}

impl Format {
    /// The format a file name asks for, or how to ask for one.
    pub fn for_path(path: &Path) -> Result<Format, String> {
        match path.extension().and_then(|ext| ext.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("md" | "markdown") => Ok(Format::Markdown),
            Some("json") => Ok(Format::Json),
            _ => Err(format!(
                "'{}': a report is Markdown or JSON; name the file with .md or .json (e.g. deploy.md)",
                path.display()
            )),
        }
    }
}

/// For the command line: a report path whose format is known.
pub fn parse_path(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    Format::for_path(&path).map(|_| path)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// What was watched: a profile's name, "demo (seed 7)", a log's name.
    pub label: String,
    /// When the report's figures were taken, RFC 3339.
    pub ended: String,
    /// What the figures leave out (a replay of a capped log), for a person.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(flatten)]
    pub summary: Summary,
}

impl Report {
    pub fn new(label: &str, summary: Summary, ended: Ts) -> Report {
        Report { label: label.to_string(), ended: ended.rfc3339(), notes: Vec::new(), summary }
    }

    pub fn with_notes(self, notes: Vec<String>) -> Report {
        Report { notes, ..self }
    }

    /// The report as `format` says. `lang` chooses the Markdown's words
    /// (docs/ARCHITECTURE.md, "Languages"); the JSON is the same in every
    /// language.
    pub fn render(&self, format: Format, lang: Lang) -> String {
        match format {
            Format::Markdown => self.markdown(lang),
            Format::Json => crate::wire::pretty(self) + "\n",
        }
    }

    /// Write the report in the format its file name asks for.
    pub fn write(&self, path: &Path, lang: Lang) -> io::Result<()> {
        let format = Format::for_path(path).map_err(io::Error::other)?;
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, self.render(format, lang))
    }

    fn markdown(&self, lang: Lang) -> String {
        let s = &self.summary;
        let w = words(lang);
        let shard = s.shard.as_ref().map(|shard| format!(" · {} {}", w.shard, cell(shard))).unwrap_or_default();
        let mut out = format!("# {} · {}{shard}\n\n", w.title, cell(&self.label));
        let from = s.started.as_deref().map_or("-".to_string(), utc);
        let (to, span) = (utc(&self.ended), duration_ms(s.duration_ms));
        out.push_str(&format!("{from} → {to} ({span})  \n"));
        let (n, open, closes, failures) = (s.connections, s.open_at_end, s.closes, s.handshake_failures);
        out.push_str(&match lang {
            Lang::En => format!(
                "{n} connections, {open} open at the end · {closes} closes · {failures} handshake failures\n"
            ),
            Lang::Ja => format!(
                "接続 {n} 件（終了時に開いていたもの {open} 件） · クローズ {closes} 件 · ハンドシェイク失敗 {failures} 件\n"
            ),
        });
        if !s.proxies.is_empty() {
            let through = cell(&proxies_text(&s.proxies));
            out.push_str(&match lang {
                Lang::En => format!("Through proxies: {through}\n"),
                Lang::Ja => format!("経由したプロキシ: {through}\n"),
            });
        }
        for note in &self.notes {
            out.push_str(&format!("\n> {}: {}\n", w.note, escape(note)));
        }

        out.push_str(&format!("\n## {}: {}\n\n", w.waves, s.waves_total));
        if s.waves.is_empty() {
            out.push_str(w.none);
        } else {
            if (s.waves.len() as u32) < s.waves_total {
                out.push_str(&match lang {
                    Lang::En => format!("The last {} in detail.\n\n", s.waves.len()),
                    Lang::Ja => format!("詳しくは直近の {} 件。\n\n", s.waves.len()),
                });
            }
            out.push_str(&format!("| {} |\n", w.wave_columns.join(" | ")));
            out.push_str("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
            for wave in &s.waves {
                out.push_str(&wave_row(wave, w));
            }
            out.push_str(&wave_details(&s.waves, lang));
        }

        let protocol_total: u64 = s.protocol_errors.iter().map(|error| error.count).sum();
        out.push_str(&format!("\n## {} (1002): {protocol_total}\n\n", w.protocol_errors));
        if s.protocol_errors.is_empty() {
            out.push_str(w.none);
        } else {
            out.push_str(&format!("| {} |\n|---|---|---:|\n", w.protocol_columns.join(" | ")));
            for error in &s.protocol_errors {
                out.push_str(&format!("| {} | {} | {} |\n", error.cause.as_str(), cell(&error.conn), error.count));
            }
        }

        out.push_str(&format!("\n## {}\n\n", w.other_closes));
        // Protocol errors and restarts have sections of their own.
        let broken_down = |code: &String| code.parse().is_ok_and(|code| crate::close::facts(code).broken_down());
        let others: Vec<_> = s.by_code.iter().filter(|(code, _)| !broken_down(code)).collect();
        if others.is_empty() {
            out.push_str(w.none);
        } else {
            out.push_str(&format!("| {} |\n|---:|---|---:|\n", w.code_columns.join(" | ")));
            for (code, count) in others {
                let name = code.parse().map_or(String::new(), |code| code_name(code, lang));
                out.push_str(&format!("| {code} | {name} | {count} |\n"));
            }
        }
        if !s.by_stage.is_empty() {
            out.push_str(&format!("\n## {}\n\n| {} |\n|---|---:|\n", w.by_stage, w.stage_columns.join(" | ")));
            for (stage, count) in &s.by_stage {
                out.push_str(&format!("| {stage} | {count} |\n"));
            }
        }

        out.push_str(&format!("\n## {}\n\n", w.down_at_end));
        if s.down_at_end.is_empty() {
            out.push_str(w.all_open);
        } else {
            for name in s.down_at_end.iter().take(DOWN_LISTED) {
                out.push_str(&format!("- {}\n", cell(name)));
            }
            if s.down_at_end.len() > DOWN_LISTED {
                let more = s.down_at_end.len() - DOWN_LISTED;
                out.push_str(&match lang {
                    Lang::En => format!("- … and {more} more\n"),
                    Lang::Ja => format!("- ほか {more} 件\n"),
                });
            }
        }
        out
    }
}

/// A code's name in the "other closes" table: the short English name, or
/// the Japanese catalogue's.
fn code_name(code: u16, lang: Lang) -> String {
    match lang {
        Lang::En => crate::close::short_name(code).to_string(),
        Lang::Ja => crate::catalogue::explain(code, lang).facts.name,
    }
}

/// The Markdown report's fixed words; slugs (wave kinds, causes, stages)
/// stay as they are in every language, as the JSON spells them.
struct Words {
    title: &'static str,
    shard: &'static str,
    note: &'static str,
    none: &'static str,
    waves: &'static str,
    wave_columns: [&'static str; 10],
    in_progress: &'static str,
    protocol_errors: &'static str,
    protocol_columns: [&'static str; 3],
    other_closes: &'static str,
    code_columns: [&'static str; 3],
    by_stage: &'static str,
    stage_columns: [&'static str; 2],
    down_at_end: &'static str,
    all_open: &'static str,
}

const EN: Words = Words {
    title: "Deployment report",
    shard: "shard",
    note: "Note",
    none: "None.\n",
    waves: "Restart waves",
    wave_columns: [
        "Wave",
        "Kind",
        "Started",
        "Hit",
        "Back",
        "Not back",
        "Recovery p50",
        "p95",
        "max",
        "Other problems",
    ],
    in_progress: " (in progress)",
    protocol_errors: "Protocol errors",
    protocol_columns: ["Cause", "Endpoint", "Count"],
    other_closes: "Other closes",
    code_columns: ["Code", "Meaning", "Count"],
    by_stage: "Handshake failures by stage",
    stage_columns: ["Stage", "Count"],
    down_at_end: "Down at the end",
    all_open: "Every connection was open.\n",
};

const JA: Words = Words {
    title: "デプロイレポート",
    shard: "シャード",
    note: "注記",
    none: "なし。\n",
    waves: "再起動の波",
    wave_columns: ["波", "種類", "開始", "対象", "復帰", "未復帰", "復帰時間 p50", "p95", "最大", "その他の問題"],
    in_progress: "（進行中）",
    protocol_errors: "プロトコルエラー",
    protocol_columns: ["原因", "エンドポイント", "件数"],
    other_closes: "その他のクローズ",
    code_columns: ["コード", "意味", "件数"],
    by_stage: "段階別のハンドシェイク失敗",
    stage_columns: ["段階", "件数"],
    down_at_end: "終了時にダウンしていた接続",
    all_open: "すべての接続が開いていました。\n",
};

fn words(lang: Lang) -> &'static Words {
    lang.pick(&EN, &JA)
}

/// Per wave: its span, services, problems and stragglers, where it has any.
fn wave_details(waves: &[WaveSummary], lang: Lang) -> String {
    let mut out = String::new();
    for wave in waves {
        let mut lines = Vec::new();
        if let (Some(ended), Some(ms)) = (&wave.ended, wave.duration_ms) {
            lines.push(match lang {
                Lang::En => format!("ended {} after {}", utc(ended), duration_ms(ms)),
                Lang::Ja => format!("{} に終了（{}）", utc(ended), duration_ms(ms)),
            });
        }
        if wave.groups.len() > 1 {
            lines.push(match lang {
                Lang::En => format!("per service: {}", wave_services(wave)),
                Lang::Ja => format!("サービス別: {}", services_ja(wave)),
            });
        }
        if !wave.problems.is_empty() {
            lines.push(format!("{}: {}", lang.pick("other problems", "その他の問題"), wave_problems(wave)));
        }
        if !wave.stragglers.is_empty() {
            let names: Vec<String> = wave.stragglers.iter().map(|name| cell(name)).collect();
            lines.push(format!("{}: {}", lang.pick("not back", "未復帰"), names.join(", ")));
        }
        if !lines.is_empty() {
            let (label, separator) = lang.pick(("Wave", "; "), ("波", "；"));
            out.push_str(&format!("\n**{label} {}**: {}\n", wave.number, lines.join(separator)));
        }
    }
    out
}

/// `format::wave_services` in Japanese: `api 8/8 復帰 p95 4.1s · feed 2/8`.
fn services_ja(wave: &WaveSummary) -> String {
    let group = |group: &crate::model::GroupSummary| {
        let name = escape(&group.name);
        match (group.still_down, group.recovery.p95_ms) {
            (0, Some(p95)) => format!("{name} {}/{} 復帰 p95 {}", group.back, group.hit, duration_ms(p95)),
            _ => format!("{name} {}/{}", group.back, group.hit),
        }
    };
    wave.groups.iter().map(group).collect::<Vec<_>>().join(" · ")
}

fn wave_row(wave: &WaveSummary, w: &Words) -> String {
    let kind = match wave.in_progress {
        false => wave.kind.as_str().to_string(),
        true => format!("{}{}", wave.kind.as_str(), w.in_progress),
    };
    let Percentiles { p50_ms, p95_ms, max_ms, .. } = wave.recovery;
    format!(
        "| {} | {kind} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
        wave.number,
        utc(&wave.started),
        wave.hit,
        wave.back,
        wave.still_down,
        maybe_ms(p50_ms),
        maybe_ms(p95_ms),
        maybe_ms(max_ms),
        wave.other_problems
    )
}

/// `2026-11-24T18:40:02.114Z` → `2026-11-24 18:40:02 UTC`.
fn utc(rfc3339: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(at) => at.to_utc().format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Err(_) => rfc3339.to_string(),
    }
}

/// Text safe in a Markdown table cell and in a terminal.
fn cell(text: &str) -> String {
    escape(text).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::close::{Cause, Class, Initiator};
    use crate::event::{CloseRecord, ConnId, Event, EventKind};
    use crate::model::Model;

    const START: i64 = 1_795_000_000_000;

    fn event(ms: i64, conn: u32, kind: EventKind) -> Event {
        Event { at: Ts(START + ms), conn: ConnId(conn), kind }
    }

    fn closed(ms: i64, conn: u32, code: u16, cause: Option<Cause>) -> Event {
        let record = CloseRecord {
            code,
            reason: String::new(),
            initiator: Initiator::Server,
            class: Class::of_code(code),
            cause,
            detail: None,
            connected_ms: 60_000,
        };
        event(ms, conn, EventKind::Closed(record))
    }

    /// Two services restarted; one came back. A proxy broke masking; a
    /// search node shed load; a name tries to break the table.
    fn report() -> Report {
        let mut model = Model::default();
        let open = EventKind::Open { handshake_ms: 1, subprotocol: None, via: None };
        let names = ["api-1", "api-2", "proxy", "search|eu"];
        for (n, name) in names.iter().enumerate() {
            model.apply(&event(
                0,
                n as u32,
                EventKind::Added { name: name.to_string(), url: "ws://h/".into(), group: None, proxy: None },
            ));
            model.apply(&event(0, n as u32, open.clone()));
        }
        for event in [
            closed(10_000, 0, 1012, None),
            closed(10_200, 1, 1012, None),
            event(12_300, 0, open),
            closed(15_000, 2, 1002, Some(Cause::MaskedFrame)),
            closed(16_000, 3, 1013, None),
        ] {
            model.apply(&event);
        }
        Report::new("prod", model.summary(Ts(START + 20_000)), Ts(START + 20_000))
    }

    #[test]
    fn the_markdown_report_has_every_section() {
        insta::assert_snapshot!(report().render(Format::Markdown, Lang::En));
    }

    #[test]
    fn the_json_report_is_the_summary_with_a_label() {
        let json: serde_json::Value = serde_json::from_str(&report().render(Format::Json, Lang::En)).unwrap();
        assert_eq!((json["label"].as_str(), json["ended"].as_str()), (Some("prod"), Some("2026-11-18T11:07:00.000Z")));
        assert_eq!((json["waves"][0]["hit"].as_u64(), json["waves"][0]["back"].as_u64()), (Some(2), Some(1)));
        assert_eq!(json["protocol_errors"][0]["cause"], "masked_frame");
        assert_eq!(json["down_at_end"], serde_json::json!(["api-2", "proxy", "search|eu"]));
    }

    #[test]
    fn the_markdown_report_in_japanese() {
        let text = report().render(Format::Markdown, Lang::Ja);
        insta::assert_snapshot!(text);
        for heading in ["# デプロイレポート · prod", "## 再起動の波: 1", "## プロトコルエラー (1002): 1"]
        {
            assert!(text.contains(heading), "{heading}: {text}");
        }
        // Slugs stay as the JSON spells them.
        assert!(text.contains("| masked_frame | proxy | 1 |") && text.contains("| 1013 | 後で再試行 | 1 |"), "{text}");
    }

    #[test]
    fn the_json_report_is_the_same_in_every_language() {
        assert_eq!(report().render(Format::Json, Lang::En), report().render(Format::Json, Lang::Ja));
    }

    #[test]
    fn the_file_name_picks_the_format_or_says_how_to() {
        assert_eq!(Format::for_path(Path::new("deploy.MD")), Ok(Format::Markdown));
        assert_eq!(Format::for_path(Path::new("out/deploy.json")), Ok(Format::Json));
        let error = parse_path("deploy.txt").unwrap_err();
        assert!(error.contains("'deploy.txt'") && error.contains(".md or .json"), "{error}");
    }
}
