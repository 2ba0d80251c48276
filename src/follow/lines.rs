//! Cutting a stream of bytes into lines as they arrive. A writer's line
//! may come in several reads (cut mid-write, or by a pipe's buffer): its
//! first part is held until its newline arrives, so a half-written line is
//! never decoded. A line over `LONGEST_LINE` is not held whole: it is
//! reported once and the rest of it dropped up to its newline, as
//! `replay::read_from` does with a file.

use crate::replay::LONGEST_LINE;

/// What `LineBuffer::push` hands on.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// A whole line, without its newline.
    Line(&'a [u8]),
    /// A line longer than `LONGEST_LINE`: skipped unread.
    Overlong,
}

#[derive(Debug, Default)]
pub struct LineBuffer {
    /// The start of a line whose newline has not come yet.
    partial: Vec<u8>,
    /// Inside an overlong line, already reported: dropped up to its newline.
    skipping: bool,
    /// Bytes of the stream up to and including the last newline: where
    /// what was handed on ends.
    consumed: u64,
    /// Bytes of the current line seen so far (held or dropped).
    started: u64,
}

impl LineBuffer {
    /// Take the next bytes of the stream; `each` gets every line they
    /// complete, in order.
    pub fn push(&mut self, mut chunk: &[u8], mut each: impl FnMut(Piece<'_>)) {
        while !chunk.is_empty() {
            let Some(at) = chunk.iter().position(|byte| *byte == b'\n') else {
                self.hold(chunk, &mut each);
                return;
            };
            let (line, rest) = (&chunk[..at], &chunk[at + 1..]);
            self.consumed += std::mem::take(&mut self.started) + at as u64 + 1;
            if std::mem::take(&mut self.skipping) {
                // The end of an overlong line, reported when it grew too long.
            } else if self.partial.is_empty() {
                each(if line.len() > LONGEST_LINE { Piece::Overlong } else { Piece::Line(line) });
            } else {
                self.partial.extend_from_slice(line);
                each(if self.partial.len() > LONGEST_LINE { Piece::Overlong } else { Piece::Line(&self.partial) });
                self.partial.clear();
            }
            chunk = rest;
        }
    }

    /// A piece with no newline yet: held, unless the line is already too long.
    fn hold(&mut self, piece: &[u8], each: &mut impl FnMut(Piece<'_>)) {
        self.started += piece.len() as u64;
        if self.skipping {
            return;
        }
        self.partial.extend_from_slice(piece);
        if self.partial.len() > LONGEST_LINE {
            each(Piece::Overlong);
            self.partial = Vec::new();
            self.skipping = true;
        }
    }

    /// The stream ended: the last line if it was cut off before its
    /// newline (a writer that died mid-line).
    pub fn finish(&mut self) -> Option<Vec<u8>> {
        self.skipping = false;
        (!self.partial.is_empty()).then(|| std::mem::take(&mut self.partial))
    }

    /// Bytes held for a line still being written.
    #[cfg(test)]
    pub fn pending(&self) -> usize {
        self.partial.len()
    }

    /// Where the lines handed on end in the stream (past their newline).
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// Go on at `offset` of another stream (a file replaced by another):
    /// what is held belonged to the old one.
    pub fn restart_at(&mut self, offset: u64) {
        *self = LineBuffer { consumed: offset, ..LineBuffer::default() };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every piece `chunks` make, pushed in turn, as text.
    fn pieces(buffer: &mut LineBuffer, chunks: &[&[u8]]) -> Vec<String> {
        let mut out = Vec::new();
        for chunk in chunks {
            buffer.push(chunk, |piece| {
                out.push(match piece {
                    Piece::Line(line) => String::from_utf8_lossy(line).into_owned(),
                    Piece::Overlong => "<overlong>".into(),
                })
            });
        }
        out
    }

    #[test]
    fn a_line_written_in_parts_is_handed_on_once_its_newline_arrives() {
        let mut buffer = LineBuffer::default();
        assert_eq!(pieces(&mut buffer, &[b"one\ntw"]), ["one"]);
        assert_eq!((buffer.pending(), buffer.consumed()), (2, 4), "the half line waits");
        assert_eq!(pieces(&mut buffer, &[b"o", b" and"]), Vec::<String>::new(), "still no newline");
        assert_eq!(pieces(&mut buffer, &[b" more\nthree\n\nfour"]), ["two and more", "three", ""]);
        assert_eq!(buffer.consumed(), 24);
        assert_eq!(buffer.finish().as_deref(), Some(&b"four"[..]), "the end of the stream hands on the cut line");
        assert_eq!(buffer.finish(), None);
    }

    #[test]
    fn a_newline_split_from_its_line_still_ends_it() {
        let mut buffer = LineBuffer::default();
        assert_eq!(pieces(&mut buffer, &[b"{\"a\":1}", b"\n", b"\n"]), ["{\"a\":1}", ""]);
        assert_eq!(buffer.pending(), 0);
    }

    #[test]
    fn an_overlong_line_is_reported_once_and_never_held_whole() {
        let mut buffer = LineBuffer::default();
        let half = vec![b'x'; LONGEST_LINE / 2 + 1];
        assert_eq!(pieces(&mut buffer, &[b"before\n", &half]), ["before"]);
        assert_eq!(pieces(&mut buffer, &[&half]), ["<overlong>"], "reported as soon as it is too long");
        assert_eq!(buffer.pending(), 0, "and not held");
        assert_eq!(pieces(&mut buffer, &[&half, b"tail\nafter\n"]), ["after"], "its rest is dropped");
        assert_eq!(buffer.consumed(), 7 + 3 * half.len() as u64 + 5 + 6, "and counted");
        let whole = [vec![b'y'; LONGEST_LINE + 1], b"\nnext\n".to_vec()].concat();
        assert_eq!(pieces(&mut buffer, &[&whole]), ["<overlong>", "next"], "in one read too");
        let exact = [vec![b'z'; LONGEST_LINE], b"\n".to_vec()].concat();
        assert_eq!(pieces(&mut buffer, &[&exact]).len(), 1, "the longest line itself is a line");
        assert_ne!(pieces(&mut buffer, &[&exact[..10], &exact[10..]]), ["<overlong>"]);
    }

    #[test]
    fn restarting_drops_what_was_held() {
        let mut buffer = LineBuffer::default();
        pieces(&mut buffer, &[b"old\nhal"]);
        buffer.restart_at(100);
        assert_eq!((buffer.pending(), buffer.consumed()), (0, 100));
        assert_eq!(pieces(&mut buffer, &[b"new\n"]), ["new"]);
        assert_eq!(buffer.consumed(), 104);
    }
}
