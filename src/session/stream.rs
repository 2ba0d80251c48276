//! A session fed by a followed stream (`follow`) instead of the engine:
//! `wsmon replay -` and `replay --follow FILE`. What the follower sends is
//! turned into batches of events that `Session::apply` applies like the
//! engine's, so every output sees them; the rest of what it says (a
//! session's first line, skipped lines, a gap, the end) is kept here, and
//! the session's clock is the stream's (`clock`).

use std::io;
use std::time::Instant;

use tokio::sync::mpsc::Receiver;

use super::clock::StreamClock;
use super::{Output, Session};
use crate::event::Ts;
use crate::follow::{Followed, Origin};
use crate::lang::Lang;
use crate::model::Model;
use crate::replay::{Item, KEPT_SKIPPED, Replayed};
use crate::text::escape;

pub(super) struct Stream {
    origin: Origin,
    feed: Receiver<Followed>,
    incoming: Vec<Followed>,
    pub(super) clock: StreamClock,
    /// What the stream said so far, as a replay counts it.
    replayed: Replayed,
    /// Nothing more will come: the stream ended, or failed (why).
    closed: Option<Option<String>>,
}

/// Where a followed stream stands, for the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// No event yet.
    Waiting,
    /// Events come; the clock runs.
    Running,
    /// No event for longer than the clock's lead: it waits for the stream.
    Held,
    /// A summary line: the session that wrote the stream ended.
    Finished,
    /// Nothing more will come (Some: it failed, and why).
    Closed(Option<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamStatus {
    /// "stdin", or the file's path (escaped).
    pub origin: String,
    pub phase: Phase,
    /// What the session was called, from a session log's first line.
    pub label: Option<String>,
}

impl Session {
    /// A session that shows `origin` as it is written; nothing connects.
    pub fn follow(origin: &Origin) -> io::Result<Session> {
        let feed = crate::follow::start(origin)?;
        let mut session = Session::empty();
        session.stream = Some(Stream {
            origin: origin.clone(),
            feed,
            incoming: Vec::new(),
            clock: StreamClock::default(),
            replayed: Replayed::default(),
            closed: None,
        });
        Ok(session)
    }

    /// Where the followed stream stands; None for other sessions.
    pub fn stream_status(&self) -> Option<StreamStatus> {
        let stream = self.stream.as_ref()?;
        let at = Instant::now();
        let phase = match &stream.closed {
            Some(why) => Phase::Closed(why.clone()),
            None if stream.replayed.end.is_none() => Phase::Waiting,
            None if !stream.clock.is_running() => Phase::Finished,
            None if stream.clock.is_held(at) => Phase::Held,
            None => Phase::Running,
        };
        Some(StreamStatus { origin: stream.origin.name(), phase, label: stream.replayed.label.clone() })
    }

    /// What the stream's figures leave out (a capped log's middle, RTT
    /// summarised), for a report; and whether any event came.
    pub fn stream_notes(&self) -> (Vec<String>, bool) {
        self.stream
            .as_ref()
            .map_or((Vec::new(), false), |stream| (stream.replayed.left_out(Lang::En), stream.replayed.events > 0))
    }

    /// Take what the follower sent into the batch, in order. A restart
    /// applies the batch so far to the old model, then starts a new one.
    pub(super) fn take_followed(&mut self, outputs: &mut [&mut dyn Output]) -> io::Result<()> {
        let Some(stream) = self.stream.as_mut() else { return Ok(()) };
        let messages = std::mem::take(&mut stream.incoming);
        for message in messages {
            let Some(stream) = self.stream.as_mut() else { return Ok(()) };
            match message {
                Followed::Items(items) => {
                    let skipped_before = stream.replayed.skipped_lines;
                    for item in items {
                        stream.replayed.count(&item);
                        match item {
                            // The first line: the figures are made by the session's own rules.
                            Item::Header(header) if self.batch.is_empty() && self.model.connections().is_empty() => {
                                self.model = Model::with_wave_rules(header.waves);
                                self.model.set_shard(header.shard);
                            }
                            Item::Events(events) => {
                                if let Some(newest) = events.iter().map(|event| event.at).max() {
                                    stream.clock.saw(newest, Instant::now());
                                }
                                self.batch.extend(events);
                            }
                            Item::Summary(at) => stream.clock.stop(Some(at)),
                            // Left out before following began (a log already cut to its cap).
                            Item::Gap(gap) => {
                                let name = stream.origin.name();
                                self.notices.push(format!("{name}: {}", crate::replay::gap_note(&gap, Lang::En)));
                            }
                            Item::Header(_) | Item::Skipped(_) => {}
                        }
                    }
                    let notices = skipped_notices(stream, skipped_before);
                    self.notices.extend(notices);
                }
                Followed::Notice(text) => self.notices.push(text),
                Followed::Restarted(why) => {
                    self.apply_batch(outputs)?;
                    self.restart_stream(outputs);
                    self.notices.push(why);
                }
                Followed::Closed(why) => {
                    stream.clock.stop(None);
                    if let Some(why) = &why {
                        self.notices.push(why.clone());
                    }
                    stream.closed = Some(why);
                }
            }
        }
        Ok(())
    }

    /// The stream starts over: a new model, clock and tally.
    fn restart_stream(&mut self, outputs: &mut [&mut dyn Output]) {
        self.model = Model::default();
        if let Some(stream) = self.stream.as_mut() {
            stream.clock = StreamClock::default();
            stream.replayed = Replayed::default();
        }
        outputs.iter_mut().for_each(|output| output.on_reset(&self.model));
    }
}

impl Stream {
    /// Wait for what the follower sends. Cancel-safe. Once it has stopped,
    /// this waits forever: the session shows the end until it is quit.
    pub(super) async fn receive(&mut self) {
        if self.feed.recv_many(&mut self.incoming, 64).await == 0 {
            std::future::pending::<()>().await;
        }
    }

    /// Its time now; None before its first event.
    pub(super) fn now(&self) -> Option<Ts> {
        self.clock.read(Instant::now())
    }
}

/// What to say of the lines skipped since `before`: each of the first
/// few, then how many so far.
fn skipped_notices(stream: &Stream, before: usize) -> Vec<String> {
    let (kept, count) = (&stream.replayed.skipped, stream.replayed.skipped_lines);
    let name = stream.origin.name();
    // The reason quotes the line, which anyone could have written.
    let mut notices: Vec<String> = kept
        .iter()
        .skip(before)
        .map(|skipped| format!("{name}:{}: skipped: {}", skipped.line, escape(&skipped.reason)))
        .collect();
    if count > KEPT_SKIPPED && count > before {
        notices.push(format!("{name}: {count} lines skipped so far"));
    }
    notices
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::event::Event;
    use crate::model::Summary;

    /// Counts what it is shown, and the resets.
    #[derive(Default)]
    struct Seen {
        events: usize,
        resets: usize,
    }

    impl Output for Seen {
        fn on_events(&mut self, _: &Model, events: &[Event]) -> io::Result<()> {
            self.events += events.len();
            Ok(())
        }

        fn on_end(&mut self, _: &Model, _: &Summary, _: Ts) -> io::Result<()> {
            Ok(())
        }

        fn on_reset(&mut self, _: &Model) {
            self.resets += 1;
        }
    }

    fn line(at: &str, conn: &str, body: &str) -> String {
        format!(r#"{{"ts":"{at}","conn":"{conn}","url":"ws://127.0.0.1:9/","event":{body}}}"#)
    }

    const CLOSED: &str = r#""closed","code":1012,"reason":"","initiator":"server","class":"service_restart","cause":null,"detail":null,"connected_ms":5"#;

    /// Receive and apply until `done`, within a bound.
    async fn until(session: &mut Session, seen: &mut Seen, done: impl Fn(&Session) -> bool) {
        let wait = async {
            while !done(session) {
                session.receive().await;
                session.apply(&mut [seen]).unwrap();
            }
        };
        tokio::time::timeout(Duration::from_secs(10), wait).await.expect("in time");
    }

    #[tokio::test]
    async fn a_followed_file_feeds_the_model_in_its_own_time_and_a_cut_starts_it_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.jsonl");
        let header = crate::wire::encode_session(
            &crate::wire::SessionHeader {
                label: "prod".into(),
                waves: crate::model::WaveRules { quiet_ms: 500, ceiling_ms: 9_000 },
                ..Default::default()
            },
            Ts(0),
        );
        let first = [
            header,
            line("2020-01-01T00:00:00.000Z", "a", r#""open","handshake_ms":1,"subprotocol":null"#),
            line("2020-01-01T00:00:01.000Z", "a", CLOSED),
            "garbage".into(),
        ];
        std::fs::write(&path, first.join("\n") + "\n").unwrap();
        let mut session = Session::follow(&Origin::File(path.clone())).unwrap();
        let status = session.stream_status().unwrap();
        assert_eq!((status.phase, status.label), (Phase::Waiting, None));
        let mut seen = Seen::default();
        until(&mut session, &mut seen, |session| !session.notices.is_empty()).await;
        assert_eq!(session.model().totals().closes, 1);
        let later = Ts::from_datetime("2020-01-01T00:00:20Z".parse().unwrap());
        assert!(session.model().waves().current(later).is_none(), "the session's own ceiling (9 s) ended the wave");
        let notices = session.take_notices();
        assert!(
            notices.iter().any(|notice| notice.contains("live.jsonl:4: skipped: not a wsmon event")),
            "{notices:?}"
        );
        // The clock is the stream's, run on at most its lead: years behind this machine's.
        assert!(session.now() < Ts(1_600_000_000_000), "{}", session.now());
        let status = session.stream_status().unwrap();
        assert_eq!((status.phase, status.label.as_deref()), (Phase::Running, Some("prod")));
        assert_eq!(seen.events, 3, "Added, open and the close went to the outputs");

        std::fs::write(&path, line("2020-01-02T00:00:00.000Z", "b", r#""paused""#) + "\n").unwrap();
        until(&mut session, &mut seen, |session| {
            session.model().connections().len() == 1 && session.model().connections()[0].name == "b"
        })
        .await;
        assert_eq!((seen.resets, session.model().totals().closes), (1, 0), "started over");
        assert!(session.take_notices().iter().any(|notice| notice.contains("truncated")));
    }
}
