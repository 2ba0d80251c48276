//! Session log files: where they live, their names, listing them newest
//! first and pruning the oldest by count and size.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub const EXTENSION: &str = "jsonl";

/// `<data dir>/sessions`.
pub fn sessions_dir() -> Option<PathBuf> {
    crate::paths::data_dir().map(|dir| dir.join("sessions"))
}

/// Words of ASCII letters and digits joined by `-`: "demo (seed 7)" →
/// "demo-seed-7".
pub fn file_safe(label: &str) -> String {
    let words: Vec<&str> = label.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let safe: String = words.join("-").chars().take(40).collect();
    if safe.is_empty() { "session".into() } else { safe }
}

/// A session log on disk.
#[derive(Debug, Clone)]
pub struct LogFile {
    pub path: PathBuf,
    pub bytes: u64,
}

/// The session logs in `dir`, newest first (names start with the time).
pub fn list(dir: &Path) -> io::Result<Vec<LogFile>> {
    let mut logs = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if path.extension().is_some_and(|ext| ext == EXTENSION) && entry.file_type()?.is_file() {
            logs.push(LogFile { path, bytes: entry.metadata()?.len() });
        }
    }
    // By stem: `T-prod-2` (the second log of that second) after `T-prod`,
    // where whole names would put `.jsonl` after `-2.jsonl`.
    logs.sort_by(|a, b| b.path.file_stem().cmp(&a.path.file_stem()));
    Ok(logs)
}

/// Remove the oldest logs beyond `keep` files or `keep_bytes` in all.
/// Returns how many were removed.
pub fn prune(dir: &Path, keep: usize, keep_bytes: u64) -> io::Result<usize> {
    let mut total = 0;
    let mut removed = 0;
    for (index, log) in list(dir)?.into_iter().enumerate() {
        total += log.bytes;
        if index >= keep || total > keep_bytes {
            fs::remove_file(&log.path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_log(dir: &Path, name: &str, bytes: usize) {
        fs::write(dir.join(name), vec![b'x'; bytes]).unwrap();
    }

    fn names(dir: &Path) -> Vec<String> {
        list(dir).unwrap().into_iter().map(|log| log.path.file_name().unwrap().to_string_lossy().into()).collect()
    }

    #[test]
    fn pruning_keeps_the_newest_by_count_and_size() {
        let dir = tempfile::tempdir().unwrap();
        for day in 1..=5 {
            write_log(dir.path(), &format!("2026-11-0{day}T10-00-00Z-prod.jsonl"), 100);
        }
        fs::write(dir.path().join("notes.txt"), "not a log").unwrap();
        assert_eq!(prune(dir.path(), 3, u64::MAX).unwrap(), 2);
        assert_eq!(
            names(dir.path()),
            ["2026-11-05T10-00-00Z-prod.jsonl", "2026-11-04T10-00-00Z-prod.jsonl", "2026-11-03T10-00-00Z-prod.jsonl"]
        );
        assert_eq!(prune(dir.path(), 10, 250).unwrap(), 1, "the third log would pass 250 bytes");
        assert_eq!(names(dir.path()).len(), 2);
        assert!(dir.path().join("notes.txt").exists(), "only session logs are pruned");
    }
}
