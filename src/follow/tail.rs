//! The follower's reading loops: stdin to its end, and a file as it grows.
//!
//! A file is read to its end, then its length is polled every `POLL`
//! (simpler than a notify crate, and the same on every platform). At its
//! end the path is checked too:
//! * **Truncated** (the same file, shorter than what was read: a `watch
//!   --json > FILE` started again): a new stream. It is read from its start
//!   and the figures start over, so the screen shows what the file says.
//!   A file cut and grown past the old length between two polls is not
//!   seen as cut.
//! * **Replaced** (another file at the path): the old one is read to its
//!   end first. A session log cut to its cap (`recording::cap`: a new file
//!   renamed over the old) holds the last lines read: following goes on
//!   after them, and nothing is counted twice (`resume`). Any other file is
//!   a new stream, as when truncated.
//! * **Gone**: polled on until a file is there again.

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

use super::{Followed, Sink, resume};

/// How often a file that has not grown is looked at again.
const POLL: Duration = Duration::from_millis(100);
/// The most read at once: one message to the session.
const CHUNK: usize = 64 << 10;

/// Read stdin to its end.
pub(super) fn stdin(mut sink: Sink) {
    let mut input = io::stdin().lock();
    let mut buffer = vec![0; CHUNK];
    loop {
        match input.read(&mut buffer) {
            Ok(0) => return sink.close(None),
            Ok(read) => {
                if !sink.push(&buffer[..read]) {
                    return;
                }
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return sink.close(Some(format!("reading stdin failed: {error}"))),
        }
    }
}

/// Follow `file`, opened at `path`, until nobody listens; `name` is the
/// path as the user is told it.
pub(super) fn file(path: &Path, mut file: File, name: &str, mut sink: Sink) {
    let mut buffer = vec![0; CHUNK];
    // Bytes read from `file`.
    let mut offset = 0;
    loop {
        match file.read(&mut buffer) {
            Ok(0) => {}
            Ok(read) => {
                offset += read as u64;
                if !sink.push(&buffer[..read]) {
                    return;
                }
                continue;
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return sink.close(Some(format!("stopped following {name}: {error}"))),
        }
        let (what, taken_up) = match changed(path, &file, offset) {
            Ok(Change::Truncated) => ("truncated", file.seek(SeekFrom::Start(0)).map(|_| (file, None))),
            Ok(Change::Replaced(new)) => ("replaced by another file", take_up(file, new, &mut sink)),
            // Not grown, or gone for now: looked at again.
            Ok(Change::None) | Err(_) => {
                if !sink.listening() {
                    return;
                }
                std::thread::sleep(POLL);
                continue;
            }
        };
        let resumed;
        (file, resumed) = match taken_up {
            Ok(taken_up) => taken_up,
            Err(error) => return sink.close(Some(format!("stopped following {name}: {error}"))),
        };
        let told = match resumed {
            Some(at) => {
                offset = at;
                sink.lines.restart_at(at);
                let why =
                    format!("{name} was rewritten (a session log cut to its cap): following on after the lines read");
                sink.send(Followed::Notice(why))
            }
            None => {
                offset = 0;
                sink.restart(format!("{name} was {what}: read again from its start, the figures start over"))
            }
        };
        if !told {
            return;
        }
    }
}

enum Change {
    None,
    Truncated,
    Replaced(File),
}

/// Whether the file at `path` is still the one read, `offset` bytes in.
fn changed(path: &Path, file: &File, offset: u64) -> io::Result<Change> {
    let there = fs::metadata(path)?;
    let ours = file.metadata()?;
    if (there.dev(), there.ino()) != (ours.dev(), ours.ino()) {
        return Ok(Change::Replaced(File::open(path)?));
    }
    Ok(if there.len() < offset { Change::Truncated } else { Change::None })
}

/// `old` was replaced by `new`: read `old` to its end, then find where to
/// go on in `new`. Returns `new`, at the offset to read from, and that
/// offset when it follows on from what was read (None: from the start).
fn take_up(mut old: File, mut new: File, sink: &mut Sink) -> io::Result<(File, Option<u64>)> {
    // Renamed over, the old file is complete: its last lines count. (A
    // writer that still holds it open is not waited for.)
    let mut buffer = vec![0; CHUNK];
    loop {
        let read = old.read(&mut buffer)?;
        if read == 0 || !sink.push(&buffer[..read]) {
            break;
        }
    }
    let read_last = resume::last_lines(&old, sink.lines.consumed())?;
    let found = resume::find_after(&new, &read_last)?;
    new.seek(SeekFrom::Start(found.unwrap_or(0)))?;
    Ok((new, found))
}
