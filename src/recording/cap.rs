//! The size cap of a session log. A log that passes its cap is rewritten
//! as its first quarter-cap (how the session started), one `log_gap` line
//! saying what was left out (when, how many lines and bytes), and its last
//! quarter-cap (the latest closes), so it never holds more than the cap and
//! the newest events are always there. A later rewrite merges the earlier
//! gap into its own. The rewrite goes through a temporary file in the same
//! directory, fsynced and renamed over the log: a full disk fails it and
//! leaves the log as it was.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use crate::wire::{self, LogGap};

/// `"event":"log_gap"` can only be the event's own field: JSON escapes the
/// quotes of any string that holds the same text.
const GAP_MARK: &str = r#""event":"log_gap""#;

/// The log at `path` rewritten to `head` bytes, a gap line and `tail`
/// bytes (whole lines each). Returns the new length and what is left out.
pub fn compact(path: &Path, head: u64, tail: u64, cap: u64) -> io::Result<(u64, Option<LogGap>)> {
    let total = fs::metadata(path)?.len();
    let mut input = BufReader::new(File::open(path)?);
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temporary = tempfile::NamedTempFile::new_in(dir)?;
    let mut output = BufWriter::new(temporary.as_file_mut());
    let mut line = Vec::new();
    let mut at = 0;
    let mut written = 0;
    // The head: whole lines within `head` bytes, up to an earlier gap line
    // (which the middle merges, wherever the head now ends).
    while read_line(&mut input, &mut line)? && at + line.len() as u64 <= head && !is_gap(&line) {
        output.write_all(&line)?;
        at += line.len() as u64;
    }
    written += at;
    // The middle: left out until what follows fits in `tail`.
    let mut gap: Option<LogGap> = None;
    while !line.is_empty() && total - at > tail {
        let text = String::from_utf8_lossy(&line);
        let left_out = if is_gap(&line) { earlier_gap(&text) } else { one_line(&text, cap) };
        if let Some(left_out) = left_out {
            gap = Some(gap.map_or(left_out, |gap| gap.merge(left_out)));
        }
        at += line.len() as u64;
        read_line(&mut input, &mut line)?;
    }
    if let Some(gap) = gap {
        let mark = wire::encode_gap(&LogGap { cap_bytes: cap, ..gap });
        writeln!(output, "{mark}")?;
        written += mark.len() as u64 + 1;
    }
    // The tail, from the line in hand.
    output.write_all(&line)?;
    written += line.len() as u64 + io::copy(&mut input, &mut output)?;
    output.flush()?;
    drop(output);
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|error| error.error)?;
    File::open(dir)?.sync_all()?;
    Ok((written, gap))
}

fn is_gap(line: &[u8]) -> bool {
    line.windows(GAP_MARK.len()).any(|window| window == GAP_MARK.as_bytes())
}

/// The next line (with its newline) into `line`; false at the end.
fn read_line(input: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<bool> {
    line.clear();
    Ok(input.read_until(b'\n', line)? > 0)
}

fn earlier_gap(text: &str) -> Option<LogGap> {
    match wire::Replayer::default().decode(text.trim_end()) {
        Ok(wire::Decoded::Gap(gap)) => Some(gap),
        _ => None,
    }
}

/// One ordinary line left out. A line without a time (it cannot happen in
/// a log wsmon wrote) still counts, at the time of the gap around it.
fn one_line(text: &str, cap: u64) -> Option<LogGap> {
    let at = wire::line_time(text.trim_end());
    at.map(|at| LogGap { from: at, to: at, lines: 1, bytes: text.len() as u64, cap_bytes: cap })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Ts;

    fn line(second: i64) -> String {
        format!(r#"{{"ts":"{}","conn":"c","url":"ws://h/","event":"paused"}}"#, Ts(second * 1_000).rfc3339())
    }

    fn log(dir: &Path, seconds: std::ops::Range<i64>) -> (std::path::PathBuf, usize) {
        let path = dir.join("log.jsonl");
        let text: String = seconds.map(|second| line(second) + "\n").collect();
        fs::write(&path, &text).unwrap();
        (path, line(0).len() + 1)
    }

    fn seconds_in(path: &Path) -> Vec<i64> {
        let text = fs::read_to_string(path).unwrap();
        text.lines().filter(|l| !l.contains(GAP_MARK)).map(|l| wire::line_time(l).unwrap().0 / 1_000).collect()
    }

    #[test]
    fn the_head_and_the_tail_stay_and_a_gap_line_says_what_went() {
        let dir = tempfile::tempdir().unwrap();
        let (path, width) = log(dir.path(), 0..100);
        let keep = 10 * width as u64;
        let (len, gap) = compact(&path, keep, keep, 999).unwrap();
        assert_eq!(len, fs::metadata(&path).unwrap().len());
        let expected: Vec<i64> = (0..10).chain(90..100).collect();
        assert_eq!(seconds_in(&path), expected);
        let gap = gap.unwrap();
        assert_eq!((gap.from, gap.to, gap.lines, gap.bytes), (Ts(10_000), Ts(89_000), 80, 80 * width as u64));
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().nth(10).unwrap(), wire::encode_gap(&LogGap { cap_bytes: 999, ..gap }));
    }

    #[test]
    fn a_second_rewrite_merges_the_first_gap() {
        let dir = tempfile::tempdir().unwrap();
        let (path, width) = log(dir.path(), 0..100);
        let keep = 10 * width as u64;
        compact(&path, keep, keep, 999).unwrap();
        let more: String = (100..150).map(|second| line(second) + "\n").collect();
        fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(more.as_bytes()).unwrap();
        let (_, gap) = compact(&path, keep, keep, 999).unwrap();
        let expected: Vec<i64> = (0..10).chain(140..150).collect();
        assert_eq!(seconds_in(&path), expected);
        let gap = gap.unwrap();
        assert_eq!((gap.from, gap.to, gap.lines), (Ts(10_000), Ts(139_000), 130), "80 before, 50 now");
        let marks = fs::read_to_string(&path).unwrap().matches(GAP_MARK).count();
        assert_eq!(marks, 1);
    }
}
