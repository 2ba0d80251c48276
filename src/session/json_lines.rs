//! `watch --json`: the event contract, one JSON object per line, the
//! summary last (see `wire`).

use std::io::{self, Write};

use super::Output;
use crate::event::{Event, Ts};
use crate::model::{Model, Summary};
use crate::wire;

pub struct JsonLines<W: Write> {
    out: W,
}

impl<W: Write> JsonLines<W> {
    pub fn new(out: W) -> JsonLines<W> {
        JsonLines { out }
    }
}

impl<W: Write> Output for JsonLines<W> {
    fn on_events(&mut self, model: &Model, events: &[Event]) -> io::Result<()> {
        for event in events {
            let Some(conn) = model.connection(event.conn) else { continue };
            if let Some(line) = wire::encode_event(event, &conn.name, &conn.url) {
                writeln!(self.out, "{line}")?;
            }
        }
        self.out.flush()
    }

    fn on_end(&mut self, _: &Model, summary: &Summary, at: Ts) -> io::Result<()> {
        writeln!(self.out, "{}", wire::encode_summary(summary, at))?;
        self.out.flush()
    }
}
