//! One monitoring session: the engine (or a recorded log), the model, the
//! session log, and the outputs that show what happens. The session drains
//! the engine's events in batches, applies each batch to the model, logs it
//! (so what a reader saw is on disk first), then hands it to every output.
//! The TUI, `watch`'s text lines, JSON Lines, the report on exit and the
//! metrics endpoint's series are outputs; adding one is one file that
//! implements `Output` and a flag that puts it in the list
//! (docs/ARCHITECTURE.md, "Adding an output"). A replay drives the same
//! outputs from a log; a followed stream (`stream`) feeds batches in the
//! engine's place, with the stream's clock (`clock`).

pub mod clock;
mod exit_report;
mod json_lines;
mod metrics;
mod stream;
mod text_lines;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;

pub use exit_report::{ExitReport, write_report};
pub use json_lines::JsonLines;
pub use metrics::{MetricsOutput, MetricsSetup};
pub use stream::{Phase, StreamStatus};
pub use text_lines::{TextLines, describe, summary_text};

use crate::engine::{Command, ConnSpec, Engine};
use crate::event::{ConnId, Event, EventKind, Ts};
use crate::gates::Gates;
use crate::model::{Model, Summary, WaveRules};
use crate::recording::Recorder;
use crate::replay::{Item, Replayed};
use crate::wire::SessionHeader;
use stream::Stream;

/// Events taken from the engine per batch.
const BATCH: usize = 4096;

/// Something that shows a session: it sees every batch of events once the
/// model has applied them, and the end.
pub trait Output {
    /// `events` were just applied to `model`, in this order.
    fn on_events(&mut self, model: &Model, events: &[Event]) -> io::Result<()>;

    /// Time passed (about once a second): what ends by time alone, a wave
    /// whose quiet period is over, shows now.
    fn on_tick(&mut self, _model: &Model, _now: Ts) -> io::Result<()> {
        Ok(())
    }

    /// The session ended at `at`; `summary` holds the model's figures then.
    fn on_end(&mut self, model: &Model, summary: &Summary, at: Ts) -> io::Result<()>;

    /// The model started over, empty (a followed file was cut or replaced
    /// by another stream): forget what referred to its connections.
    fn on_reset(&mut self, _model: &Model) {}
}

/// An output that may be off (`--metrics` not given): then it sees nothing.
impl<O: Output> Output for Option<O> {
    fn on_events(&mut self, model: &Model, events: &[Event]) -> io::Result<()> {
        self.as_mut().map_or(Ok(()), |output| output.on_events(model, events))
    }

    fn on_tick(&mut self, model: &Model, now: Ts) -> io::Result<()> {
        self.as_mut().map_or(Ok(()), |output| output.on_tick(model, now))
    }

    fn on_end(&mut self, model: &Model, summary: &Summary, at: Ts) -> io::Result<()> {
        self.as_mut().map_or(Ok(()), |output| output.on_end(model, summary, at))
    }

    fn on_reset(&mut self, model: &Model) {
        if let Some(output) = self.as_mut() {
            output.on_reset(model)
        }
    }
}

pub struct Session {
    engine: Engine,
    events: UnboundedReceiver<Event>,
    model: Model,
    log: Option<Recorder>,
    /// Each connection's spec by id, shared with its task; None once
    /// removed. What `S` saves.
    specs: Vec<Option<Arc<ConnSpec>>>,
    batch: Vec<Event>,
    /// A replay: the clock stands at the log's end and nothing connects.
    frozen: Option<Ts>,
    /// A followed stream feeds the session instead of the engine, and
    /// keeps its clock.
    stream: Option<Stream>,
    /// What the session has to tell its user (a log that stopped).
    notices: Vec<String>,
}

/// How a session ended.
pub struct Ended {
    pub summary: Summary,
    pub at: Ts,
    /// The complete session log, if one was written.
    pub log: Option<PathBuf>,
    /// What the user should still hear of.
    pub notices: Vec<String>,
}

impl Session {
    /// These connections, live, their waves ending by `waves`. With `log`,
    /// the session is logged to a file named after `label`, capped at that
    /// many bytes.
    /// `shard`: "2/3" when the specs are that shard of a profile's.
    pub fn live(
        label: &str,
        specs: Vec<ConnSpec>,
        log: Option<u64>,
        waves: WaveRules,
        shard: Option<String>,
    ) -> Session {
        let mut session = Session::empty();
        session.model = Model::with_wave_rules(waves);
        session.model.set_shard(shard.clone());
        if let Some(cap) = log {
            // The services profiles named, so a replay groups connections the same way.
            let groups =
                specs.iter().filter_map(|spec| Some((spec.name.clone(), spec.options.group.clone()?))).collect();
            // Their proxies (passwords masked), so a replay shows them too.
            let proxies =
                specs.iter().filter_map(|spec| Some((spec.name.clone(), crate::engine::proxy::shown(spec)?))).collect();
            let header = SessionHeader { label: label.to_string(), waves, groups, shard, proxies };
            match Recorder::start(&header, cap) {
                Ok(recorder) => session.log = Some(recorder),
                Err(error) => session.notices.push(format!("not logging this session: {error}")),
            }
        }
        session.model.reserve(specs.len());
        session.specs.reserve_exact(specs.len());
        if let Some(recorder) = &mut session.log {
            recorder.reserve(specs.len());
        }
        for spec in specs {
            session.add(spec);
        }
        session
    }

    /// A recorded log, read into the model and handed to `outputs` event by
    /// event; the clock then stands at the log's end, and nothing connects.
    /// None when the log holds no event.
    pub fn replay(path: &Path, outputs: &mut [&mut dyn Output]) -> io::Result<(Option<Session>, Replayed)> {
        let mut session = Session::empty();
        let mut failed = None;
        let replayed = crate::replay::read(path, |item| match item {
            // The first line: the figures are made by the session's own rules.
            Item::Header(header) => {
                session.model = Model::with_wave_rules(header.waves);
                session.model.set_shard(header.shard.clone());
            }
            Item::Events(events) => {
                events.iter().for_each(|event| session.model.apply(event));
                for output in outputs.iter_mut() {
                    if let Err(error) = output.on_events(&session.model, events) {
                        failed.get_or_insert(error);
                    }
                }
            }
            _ => {}
        })?;
        if let Some(error) = failed {
            return Err(error);
        }
        session.frozen = replayed.end;
        Ok((replayed.end.is_some().then_some(session), replayed))
    }

    fn empty() -> Session {
        let (engine, events) = Engine::new();
        Session {
            engine,
            events,
            model: Model::default(),
            log: None,
            specs: Vec::new(),
            batch: Vec::with_capacity(BATCH),
            frozen: None,
            stream: None,
            notices: Vec::new(),
        }
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Now, the end of a replayed log, or a followed stream's time.
    pub fn now(&self) -> Ts {
        let stream = self.stream.as_ref().and_then(Stream::now);
        self.frozen.or(stream).unwrap_or_else(Ts::now)
    }

    /// A replay or a followed stream: nothing connects.
    pub fn is_replay(&self) -> bool {
        self.frozen.is_some() || self.stream.is_some()
    }

    /// Start watching one more connection.
    pub fn add(&mut self, spec: ConnSpec) -> ConnId {
        let spec = Arc::new(spec);
        let id = self.engine.add(Arc::clone(&spec));
        if self.specs.len() <= id.index() {
            self.specs.resize(id.index() + 1, None);
        }
        self.specs[id.index()] = Some(spec);
        id
    }

    pub fn command(&mut self, id: ConnId, command: Command) {
        self.engine.command(id, command);
    }

    /// Copy connection `id`'s messages to `looker` (None: stop).
    pub fn inspect(&self, id: ConnId, looker: Option<tokio::sync::mpsc::Sender<crate::engine::inspect::Seen>>) {
        self.engine.inspect(id, looker);
    }

    /// The connections still in the set.
    pub fn specs(&self) -> impl Iterator<Item = &ConnSpec> {
        self.specs.iter().flatten().map(Arc::as_ref)
    }

    /// What happened that the user should hear of, once.
    pub fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }

    /// Wait for events and take them (at most a batch). Cancel-safe, for
    /// `select!`. False once the engine has gone; a followed stream that
    /// ended never returns (its end is its status).
    pub async fn receive(&mut self) -> bool {
        match &mut self.stream {
            Some(stream) => {
                stream.receive().await;
                true
            }
            None => self.events.recv_many(&mut self.batch, BATCH).await > 0,
        }
    }

    /// Apply what `receive` took to the model, log it, then hand it to
    /// `outputs`. An output's error (a closed stdout) ends the batch.
    pub fn apply(&mut self, outputs: &mut [&mut dyn Output]) -> io::Result<()> {
        self.take_followed(outputs)?;
        self.apply_batch(outputs)
    }

    fn apply_batch(&mut self, outputs: &mut [&mut dyn Output]) -> io::Result<()> {
        let mut batch = std::mem::take(&mut self.batch);
        for event in &batch {
            self.model.apply(event);
            if event.kind == EventKind::Removed
                && let Some(spec) = self.specs.get_mut(event.conn.index())
            {
                *spec = None;
            }
            if let Some(log) = &mut self.log
                && let Err(error) = log.record(&self.model, event, None)
            {
                self.stop_logging(&error);
            }
        }
        if let Some(log) = &mut self.log
            && let Err(error) = log.flush(&self.model, Ts::now())
        {
            self.stop_logging(&error);
        }
        let result = outputs.iter_mut().try_for_each(|output| output.on_events(&self.model, &batch));
        batch.clear();
        self.batch = batch;
        result
    }

    /// Hand the time to `outputs`.
    pub fn tick(&mut self, outputs: &mut [&mut dyn Output]) -> io::Result<()> {
        let now = self.now();
        outputs.iter_mut().try_for_each(|output| output.on_tick(&self.model, now))
    }

    /// After a failure (a full disk) the session goes on unlogged, and says so.
    fn stop_logging(&mut self, error: &io::Error) {
        if let Some(log) = self.log.take() {
            self.notices.push(format!("stopped logging this session to {}: {error}", log.path().display()));
        }
    }

    /// End the session: the figures as of now, with the verdicts of
    /// `gates`, go to every output and close the log; connections get
    /// `grace` to close politely.
    pub async fn finish(
        mut self,
        outputs: &mut [&mut dyn Output],
        gates: &Gates,
        grace: Duration,
    ) -> io::Result<Ended> {
        let at = self.now();
        let mut summary = self.model.summary(at);
        summary.tripped = gates.judge(&self.model, at);
        let result = outputs.iter_mut().try_for_each(|output| output.on_end(&self.model, &summary, at));
        self.engine.shutdown(grace).await;
        let log = match self.log.take().map(|log| log.finish(&self.model, &summary, at)) {
            Some(Ok(path)) => Some(path),
            Some(Err(error)) => {
                self.notices.push(format!("the session log is incomplete: {error}"));
                None
            }
            None => None,
        };
        result.map(|()| Ended { summary, at, log, notices: self.notices })
    }
}
