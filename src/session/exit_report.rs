//! The deployment report written when a session ends (`--report FILE`),
//! and the one `R` writes in the TUI at any time.

use std::io;
use std::path::{Path, PathBuf};

use super::Output;
use crate::event::{Event, Ts};
use crate::lang::Lang;
use crate::model::{Model, Summary};
use crate::report::{Format, Report};

pub struct ExitReport {
    label: String,
    path: PathBuf,
    /// The Markdown's language (docs/ARCHITECTURE.md, "Languages").
    lang: Lang,
    /// What the figures leave out (a replayed log's gaps).
    notes: Vec<String>,
    written: bool,
}

impl ExitReport {
    pub fn new(label: &str, path: PathBuf, lang: Lang) -> ExitReport {
        ExitReport { label: label.to_string(), path, lang, notes: Vec::new(), written: false }
    }

    /// The language notes for this report are written in: its own for
    /// Markdown, English for JSON, which never changes with the language.
    pub fn prose_lang(&self) -> Lang {
        match Format::for_path(&self.path) {
            Ok(Format::Markdown) => self.lang,
            _ => Lang::En,
        }
    }

    pub fn add_notes(&mut self, notes: Vec<String>) {
        self.notes.extend(notes);
    }

    /// Whether the report is on disk (after the session's end).
    pub fn written(&self) -> bool {
        self.written
    }
}

impl Output for ExitReport {
    fn on_events(&mut self, _: &Model, _: &[Event]) -> io::Result<()> {
        Ok(())
    }

    /// A report that cannot be written is said, not an error that would
    /// stop the other outputs.
    fn on_end(&mut self, _: &Model, summary: &Summary, at: Ts) -> io::Result<()> {
        let report = Report::new(&self.label, summary.clone(), at).with_notes(std::mem::take(&mut self.notes));
        match report.write(&self.path, self.lang) {
            Ok(()) => {
                self.written = true;
                crate::tell!("wsmon: report written to {}", self.path.display());
            }
            Err(error) => crate::tell!("wsmon: could not write the report to {}: {error}", self.path.display()),
        }
        Ok(())
    }
}

/// Write the report of `model` as of `at` to `path`, or (with none) to a
/// new file under the data directory's `reports/`. Returns where.
pub fn write_report(label: &str, model: &Model, at: Ts, path: Option<&Path>, lang: Lang) -> Result<PathBuf, String> {
    let path = match path {
        Some(path) => path.to_path_buf(),
        None => {
            let dir =
                crate::paths::data_dir().ok_or("no data directory for reports: start wsmon with --report FILE.md")?;
            dir.join("reports").join(format!("{}.md", crate::format::file_stamp(at)))
        }
    };
    Report::new(label, model.summary(at), at)
        .write(&path, lang)
        .map(|()| path.clone())
        .map_err(|error| format!("could not write the report to {}: {error}", path.display()))
}
