//! Following a live stream of JSON Lines: `wsmon replay -` (stdin, e.g.
//! `ssh -n host wsmon watch --json | wsmon replay -`) and `wsmon replay
//! --follow FILE` (a session log or `watch --json` output still being
//! written). A follower is an event source beside the engine: a thread
//! reads the stream as it comes, cuts it into lines (`lines`), decodes them
//! as a replay does (`replay::Decoder`) and sends what each read brought
//! over a channel; the session applies it like a batch of the engine's
//! events (docs/ARCHITECTURE.md, "Following a stream"). A file is read as
//! it grows, its length polled, and taken up again when it is cut or
//! replaced (`tail`, `resume`).
//!
//! A thread, not a tokio task: reads of stdin and of a file block, and a
//! thread blocked on stdin must not hold up the runtime's shutdown (it
//! ends with the process).

mod lines;
mod resume;
mod tail;

use std::fs::File;
use std::io;
use std::path::PathBuf;

use tokio::sync::mpsc::{self, Receiver, Sender};

use crate::replay::{Decoder, Item};
use crate::text::escape;
use lines::{LineBuffer, Piece};

/// What is followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Stdin,
    File(PathBuf),
}

impl Origin {
    /// Its name for a person: "stdin", or the file's path (escaped: anyone
    /// can name a file).
    pub fn name(&self) -> String {
        match self {
            Origin::Stdin => "stdin".into(),
            Origin::File(path) => escape(&path.display().to_string()).into_owned(),
        }
    }
}

/// What the follower sends, in the stream's order.
#[derive(Debug, Clone, PartialEq)]
pub enum Followed {
    /// The lines one read completed, decoded.
    Items(Vec<Item>),
    /// Something the user should hear of (a file rewritten, followed on).
    Notice(String),
    /// The file was cut, or replaced by another stream: what follows is a
    /// new stream from its first line, and the figures start over.
    Restarted(String),
    /// Nothing more will come: the stream ended (None: stdin's end), or
    /// it cannot be read (why).
    Closed(Option<String>),
}

/// Messages (each what one read of at most 64 KiB completed) waiting for
/// the session: the follower stops reading while they are queued, so a
/// stream faster than the screen applies it waits in the file or the pipe,
/// not in memory.
const QUEUED: usize = 64;

/// Start following `origin`. A file that cannot be opened is an error
/// now; anything later is said on the channel.
pub fn start(origin: &Origin) -> io::Result<Receiver<Followed>> {
    let (sender, receiver) = mpsc::channel(QUEUED);
    let sink = Sink::new(sender);
    let thread = std::thread::Builder::new().name("wsmon-follow".into());
    match origin {
        Origin::Stdin => thread.spawn(move || tail::stdin(sink))?,
        Origin::File(path) => {
            let file = File::open(path)?;
            let (path, name) = (path.clone(), origin.name());
            thread.spawn(move || tail::file(&path, file, &name, sink))?
        }
    };
    Ok(receiver)
}

/// Bytes in, decoded lines out: the follower's half of the channel.
struct Sink {
    lines: LineBuffer,
    decoder: Decoder,
    out: Sender<Followed>,
}

impl Sink {
    fn new(out: Sender<Followed>) -> Sink {
        Sink { lines: LineBuffer::default(), decoder: Decoder::default(), out }
    }

    /// The next bytes of the stream; what they complete goes out as one
    /// message. False once nobody listens.
    fn push(&mut self, chunk: &[u8]) -> bool {
        let mut items = Vec::new();
        let decoder = &mut self.decoder;
        self.lines.push(chunk, |piece| {
            items.extend(match piece {
                Piece::Line(line) => decoder.line(line, true),
                Piece::Overlong => Some(decoder.overlong()),
            })
        });
        items.is_empty() || self.send(Followed::Items(items))
    }

    /// The stream ended (`why`: it failed): a last line cut off mid-line
    /// is decoded as `replay` decodes one at the end of a file.
    fn close(mut self, why: Option<String>) {
        if let Some(rest) = self.lines.finish()
            && let Some(item) = self.decoder.line(&rest, false)
        {
            self.send(Followed::Items(vec![item]));
        }
        self.send(Followed::Closed(why));
    }

    /// A new stream from its first line: names get new ids, like a new replay.
    fn restart(&mut self, why: String) -> bool {
        self.lines.restart_at(0);
        self.decoder = Decoder::default();
        self.send(Followed::Restarted(why))
    }

    fn send(&self, message: Followed) -> bool {
        // The follower's own thread, outside the runtime: it may block.
        self.out.blocking_send(message).is_ok()
    }

    fn listening(&self) -> bool {
        !self.out.is_closed()
    }
}

#[cfg(test)]
mod tests;
