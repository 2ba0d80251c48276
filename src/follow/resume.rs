//! Where to go on when a followed file is replaced. A session log that
//! reaches its cap is rewritten (`recording::cap`): a new file with the
//! log's first lines, a `log_gap` line and its last lines, renamed over
//! the old one, and the session appends to it. Everything in it up to the
//! old file's end has been read already: following goes on just after the
//! last lines read, found as whole lines in the new file. A file that does
//! not hold them is another stream (a log replaced by hand, a new
//! `watch --json > FILE`), read from its start.

use std::fs::File;
use std::io::{self, BufRead, Read};
use std::os::unix::fs::FileExt;

use crate::replay::LONGEST_LINE;

/// How much of the end of what was read identifies it: a dozen lines or
/// so, and with their timestamps no two places of a log are alike.
const MARK_BYTES: u64 = 4 << 10;
// A cut keeps the last quarter of the cap: the mark must fit in it.
const _: () = assert!(MARK_BYTES <= crate::recording::MIN_CAP / 4);

/// The last whole lines of `old` before `end` (where the lines read
/// stop): up to `MARK_BYTES`, at least one line, each with its newline.
/// Empty when nothing was read.
pub fn last_lines(old: &File, end: u64) -> io::Result<Vec<Vec<u8>>> {
    // A line can be as long as the longest: the second window holds one.
    for window in [MARK_BYTES, LONGEST_LINE as u64 + 1] {
        let start = end.saturating_sub(window);
        let mut bytes = vec![0; (end - start) as usize];
        old.read_exact_at(&mut bytes, start)?;
        let whole = if start == 0 {
            Some(&bytes[..])
        } else {
            // The first line in the window is cut: it starts after a newline.
            let body = &bytes[..bytes.len().saturating_sub(1)];
            body.iter().position(|byte| *byte == b'\n').map(|at| &bytes[at + 1..])
        };
        if let Some(whole) = whole {
            return Ok(whole.split_inclusive(|byte| *byte == b'\n').map(<[u8]>::to_vec).collect());
        }
    }
    Ok(Vec::new())
}

/// The offset in `new` just after the first place it holds `lines`, in
/// order, as whole lines; None if it does not.
pub fn find_after(new: impl Read, lines: &[Vec<u8>]) -> io::Result<Option<u64>> {
    let Some(last) = lines.last() else { return Ok(Some(0)) };
    let mut input = io::BufReader::new(new);
    // The last `lines.len()` lines of `new` read so far.
    let mut window = std::collections::VecDeque::with_capacity(lines.len());
    let mut offset = 0u64;
    loop {
        let mut line = Vec::new();
        let read = input.by_ref().take(LONGEST_LINE as u64 + 1).read_until(b'\n', &mut line)?;
        if read == 0 {
            return Ok(None);
        }
        offset += read as u64;
        if line.last() != Some(&b'\n') {
            // An overlong line (or the file's unfinished end): matches nothing.
            offset += skip_line(&mut input)?;
            window.clear();
            continue;
        }
        if window.len() == lines.len() {
            window.pop_front();
        }
        window.push_back(line);
        // Most lines differ from the last one sought: compared first.
        if window.back() == Some(last) && window.len() == lines.len() && window.iter().eq(lines.iter()) {
            return Ok(Some(offset));
        }
    }
}

/// The rest of a line, up to and including its newline; how many bytes.
fn skip_line(input: &mut impl BufRead) -> io::Result<u64> {
    let mut skipped = 0;
    loop {
        let buffer = input.fill_buf()?;
        if buffer.is_empty() {
            return Ok(skipped);
        }
        let (used, done) = match buffer.iter().position(|byte| *byte == b'\n') {
            Some(at) => (at + 1, true),
            None => (buffer.len(), false),
        };
        input.consume(used);
        skipped += used as u64;
        if done {
            return Ok(skipped);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_with(text: &[u8]) -> File {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(text).unwrap();
        file
    }

    #[test]
    fn the_last_lines_read_are_whole_lines_within_the_mark() {
        let old = file_with(b"a\nbb\nccc\npartial");
        let lines = last_lines(&old, 9).unwrap();
        assert_eq!(lines, [b"a\n".to_vec(), b"bb\n".to_vec(), b"ccc\n".to_vec()], "from the start");
        assert!(last_lines(&old, 0).unwrap().is_empty(), "nothing read");

        let many: Vec<u8> = (0..2_000).flat_map(|n| format!("line {n:05}\n").into_bytes()).collect();
        let old = file_with(&many);
        let lines = last_lines(&old, many.len() as u64).unwrap();
        let bytes: usize = lines.iter().map(Vec::len).sum();
        assert!(bytes <= MARK_BYTES as usize && bytes >= MARK_BYTES as usize - 11, "{bytes}");
        assert_eq!(lines.last().unwrap(), b"line 01999\n");
        assert!(lines[0].starts_with(b"line "), "the cut first line is left out: {:?}", lines[0]);

        let long = [vec![b'x'; 10_000], b"\n".to_vec()].concat();
        let old = file_with(&[b"short\n".to_vec(), long.clone()].concat());
        let lines = last_lines(&old, long.len() as u64 + 6).unwrap();
        assert_eq!(lines, [b"short\n".to_vec(), long], "a line longer than the mark is kept whole");
    }

    #[test]
    fn a_log_cut_to_its_cap_is_followed_on_after_the_lines_read() {
        let read = vec![b"l7\n".to_vec(), b"l8\n".to_vec(), b"l9\n".to_vec()];
        let rewritten = b"l1\nl2\n{\"event\":\"log_gap\"}\nl7\nl8\nl9\nl10\n";
        assert_eq!(find_after(&rewritten[..], &read).unwrap(), Some(rewritten.len() as u64 - 4));
        assert_eq!(find_after(&b"l1\nl8\nl9\nl10\n"[..], &read).unwrap(), None, "not all of them");
        assert_eq!(find_after(&b"l7\nl8\nl9"[..], &read).unwrap(), None, "not as a whole line");
        assert_eq!(find_after(&b"l7\nl8\nl7\nl8\nl9\n"[..], &read).unwrap(), Some(15), "after a false start");
        assert_eq!(find_after(&b"x\n"[..], &[]).unwrap(), Some(0), "nothing read: from the start");
        let overlong = [b"l7\nl8\n".to_vec(), vec![b'x'; LONGEST_LINE + 5], b"\nl7\nl8\nl9\n".to_vec()].concat();
        assert_eq!(find_after(&overlong[..], &read).unwrap(), Some(overlong.len() as u64));
    }
}
