//! The engine: one tokio task per connection, reporting `Event`s on one
//! channel and obeying `Command`s. It knows nothing about terminals; the
//! views learn everything from the events.

pub mod classify;
mod connection;
mod handshake;
mod inbox;
pub mod inspect;
mod observe;
pub mod policy;
pub mod proxy;
mod secrets;
pub mod spec;
pub mod tls;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinSet;

pub use connection::Command;
use connection::{Connection, EventSink};
pub use spec::{ConnOptions, ConnSpec};

use crate::event::{ConnId, Event, EventKind, Ts};

/// Owns the connection tasks. Dropping it aborts them; `shutdown` closes
/// them politely first.
pub struct Engine {
    events: UnboundedSender<Event>,
    commands: Vec<Option<inbox::Sender>>,
    tasks: JoinSet<()>,
    handshakes: Arc<Semaphore>,
}

/// How many handshakes run at once; the others wait their turn, shown as
/// connecting. A handshake's state (about 1.3 KiB) is freed when it ends,
/// but the heap keeps the high-water mark: 10,000 connections started at
/// once would leave every one of them paying for it. On loopback a
/// handshake takes milliseconds, so this bounds memory, not speed; the
/// reconnects after a restart are spread over seconds and rarely meet it.
const HANDSHAKES_AT_ONCE: usize = 512;

impl Engine {
    /// The events channel is unbounded on purpose: a slow screen must never
    /// stall a socket, and volume is bounded at the source (rare transitions
    /// plus at most one traffic delta per connection per second).
    pub fn new() -> (Engine, UnboundedReceiver<Event>) {
        let (events, receiver) = mpsc::unbounded_channel();
        let handshakes = Arc::new(Semaphore::new(HANDSHAKES_AT_ONCE));
        (Engine { events, commands: Vec::new(), tasks: JoinSet::new(), handshakes }, receiver)
    }

    /// Start monitoring a connection. Must be called inside a tokio runtime.
    /// The spec is shared, not copied: a caller that keeps it (to save a
    /// profile) costs a pointer per connection.
    pub fn add(&mut self, spec: impl Into<Arc<ConnSpec>>) -> ConnId {
        let spec = spec.into();
        let id = ConnId(self.commands.len() as u32);
        let group = spec.options.group.clone();
        let proxy = proxy::shown(&spec);
        let added = EventKind::Added { name: spec.name.clone(), url: spec.url.to_string(), group, proxy };
        // The receiver may be gone while the app exits; then nobody is listening.
        let _ = self.events.send(Event { at: Ts::now(), conn: id, kind: added });
        let (commands, receiver) = inbox::inbox();
        self.commands.push(Some(commands));
        let sink = EventSink::new(id, self.events.clone(), Arc::clone(&spec));
        let connection = Connection::new(spec, sink, receiver, Arc::clone(&self.handshakes));
        self.tasks.spawn(connection.run());
        id
    }

    /// Ask a connection to do something. Unknown or removed ids are ignored.
    pub fn command(&mut self, id: ConnId, command: Command) {
        let Some(slot) = self.commands.get_mut(id.index()) else { return };
        let removing = command == Command::Remove;
        if let Some(sender) = slot {
            sender.send(command);
        }
        if removing {
            *slot = None;
        }
    }

    /// Copy connection `id`'s messages to `looker` from now on, across
    /// reconnects; None stops. Unknown or removed ids are ignored.
    pub fn inspect(&self, id: ConnId, looker: Option<mpsc::Sender<inspect::Seen>>) {
        if let Some(Some(sender)) = self.commands.get(id.index()) {
            sender.inspect(looker);
        }
    }

    /// Close every connection with 1001 and wait up to `grace` for them.
    pub async fn shutdown(mut self, grace: Duration) {
        for sender in self.commands.iter().flatten() {
            sender.send(Command::Shutdown);
        }
        let _ = tokio::time::timeout(grace, async { while self.tasks.join_next().await.is_some() {} }).await;
        self.tasks.abort_all();
    }
}

/// Sleep until the deadline; with none, forever (a `select!` branch that
/// never fires).
pub async fn sleep_until_or_never(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
