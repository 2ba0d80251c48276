//! One connection's life: connect, hold it open (reading, pinging, counting
//! traffic), record how it ended, ask the policy for a delay, wait, repeat.
//! It reports through events and obeys commands; it knows no terminal.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::Semaphore;
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Bytes, Message};

use super::classify::{self, WireClose};
use super::handshake::{self, Socket};
use super::inbox::Inbox;
use super::policy::{Ending, Streak};
use super::sleep_until_or_never;
use super::spec::ConnSpec;
use crate::event::{CloseRecord, ConnId, Event, EventKind, Traffic, Ts};

/// What the user (or the app) asks of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Close if open and connect at once; skip any wait.
    ReconnectNow,
    /// Close and stay closed until resumed.
    Pause,
    Resume,
    /// Close and leave the set.
    Remove,
    /// Send a text message (ignored while not open).
    SendText(String),
    /// The program is exiting: close with 1001 and end.
    Shutdown,
}

/// How long a close handshake may take before TCP is dropped anyway.
const CLOSE_GRACE: Duration = Duration::from_secs(1);
/// Traffic deltas go out at most this often per connection.
const TRAFFIC_EVERY: Duration = Duration::from_secs(1);

pub(super) struct Connection {
    spec: Arc<ConnSpec>,
    events: EventSink,
    commands: Inbox,
    /// The engine's turns to handshake (`HANDSHAKES_AT_ONCE`).
    handshakes: Arc<Semaphore>,
    streak: Streak,
    /// Tries since the last open (1 = the first).
    attempt: u32,
}

/// What to do next.
enum Step {
    Connect,
    Wait(Duration),
    /// Closed until asked: paused, or the rule is `off`.
    Hold,
    Stop,
}

impl Connection {
    pub(super) fn new(
        spec: Arc<ConnSpec>,
        events: EventSink,
        commands: Inbox,
        handshakes: Arc<Semaphore>,
    ) -> Connection {
        Connection { spec, events, commands, handshakes, streak: Streak::default(), attempt: 0 }
    }

    pub(super) async fn run(mut self) {
        let mut step = Step::Connect;
        loop {
            step = match step {
                Step::Connect => self.connect().await,
                Step::Wait(delay) => self.wait(delay).await,
                Step::Hold => self.hold().await,
                Step::Stop => return,
            };
        }
    }

    async fn connect(&mut self) -> Step {
        // Only the session is kept across the long await below: every other
        // value of the handshake is gone by then (an async fn keeps each
        // local that lives across an await for as long as it runs).
        let mut session = match Box::pin(self.open()).await {
            Ok(socket) => Session::new(socket, &self.spec, &self.events),
            Err(step) => return step,
        };
        let (record, command) = session.run(&mut self.commands).await;
        match command {
            None => self.schedule(Ending::Closed(&record), Some(record.connected_ms)),
            Some(command) => self.obey_while_down(command),
        }
    }

    /// Connect and upgrade, obeying commands meanwhile. Boxed by the caller,
    /// so the handshake's state (about 5 KiB) is freed once the socket is
    /// open instead of living as long as the connection.
    async fn open(&mut self) -> Result<Socket, Step> {
        self.attempt += 1;
        self.events.emit(EventKind::Connecting { attempt: self.attempt });
        let spec = Arc::clone(&self.spec);
        let handshakes = Arc::clone(&self.handshakes);
        // The handshake's own clock (and its timeouts) start with its turn.
        let opening = async {
            let _turn = handshakes.acquire().await;
            handshake::open(&spec).await
        };
        tokio::pin!(opening);
        let result = tokio::select! {
            result = &mut opening => result,
            command = interruption(&mut self.commands) => return Err(self.interrupted(command)),
        };
        match result {
            Ok(opened) => {
                self.events.emit(EventKind::Open {
                    handshake_ms: opened.handshake.as_millis() as u64,
                    subprotocol: opened.subprotocol,
                    via: opened.via,
                });
                self.attempt = 0;
                Ok(opened.socket)
            }
            Err(failure) => {
                self.events.emit(EventKind::HandshakeFailed(failure.clone()));
                Err(self.schedule(Ending::HandshakeFailed(&failure), None))
            }
        }
    }

    fn schedule(&mut self, ending: Ending<'_>, connected_ms: Option<u64>) -> Step {
        let options = &self.spec.options;
        let window = options.stability_window.as_millis() as u64;
        let decision = options.rules.decide(&mut self.streak, ending, connected_ms, window, fastrand::f64());
        match decision.delay_ms.map(|ms| (ms as f64 / options.delay_divisor).round() as u64) {
            Some(delay_ms) => {
                let attempt = self.attempt + 1;
                let (rule, attention) = (decision.rule, Some(decision.attention));
                self.events.emit(EventKind::ReconnectScheduled { delay_ms, attempt, rule, attention });
                Step::Wait(Duration::from_millis(delay_ms))
            }
            None => {
                self.events.emit(EventKind::ReconnectOff { rule: decision.rule });
                Step::Hold
            }
        }
    }

    async fn wait(&mut self, delay: Duration) -> Step {
        tokio::select! {
            () = sleep_until(Instant::now() + delay) => Step::Connect,
            command = interruption(&mut self.commands) => self.interrupted(command),
        }
    }

    async fn hold(&mut self) -> Step {
        loop {
            match self.commands.recv().await {
                Some(Command::Resume | Command::ReconnectNow) => {
                    self.events.emit(EventKind::Resumed);
                    self.attempt = 0;
                    return Step::Connect;
                }
                Some(Command::SendText(_) | Command::Pause) => continue,
                other => return self.interrupted(other),
            }
        }
    }

    /// A command arrived while not open (connecting or waiting).
    fn interrupted(&mut self, command: Option<Command>) -> Step {
        match command {
            Some(command) => self.obey_while_down(command),
            None => Step::Stop,
        }
    }

    fn obey_while_down(&mut self, command: Command) -> Step {
        match command {
            Command::ReconnectNow => {
                self.attempt = 0;
                Step::Connect
            }
            Command::Pause => {
                self.events.emit(EventKind::Paused);
                Step::Hold
            }
            Command::Remove => {
                self.events.emit(EventKind::Removed);
                Step::Stop
            }
            Command::Shutdown => Step::Stop,
            Command::Resume | Command::SendText(_) => Step::Connect,
        }
    }
}

/// The next command that changes anything while the connection is down
/// (sending text and resuming mean nothing then); None once the engine is gone.
async fn interruption(commands: &mut Inbox) -> Option<Command> {
    loop {
        match commands.recv().await {
            Some(Command::SendText(_) | Command::Resume) => continue,
            other => return other,
        }
    }
}

/// How a session ended, and what is still owed to the peer.
struct SessionEnd {
    record: CloseRecord,
    /// The command that ended it, if one did.
    command: Option<Command>,
    farewell: Farewell,
}

impl SessionEnd {
    /// Ended with nothing more to say to the peer.
    fn abrupt(record: CloseRecord) -> SessionEnd {
        SessionEnd { record, command: None, farewell: Farewell::None }
    }
}

/// The polite end of a connection, done after the close is reported.
enum Farewell {
    None,
    /// The server closed: read on until it drops TCP, so our reply goes out.
    Drain,
    /// We close: send this frame, then read until the server answers.
    Close(CloseFrame),
}

/// An open connection.
struct Session<'a> {
    socket: Socket,
    spec: &'a ConnSpec,
    events: &'a EventSink,
    opened: Instant,
    traffic: Traffic,
    last_flush: Instant,
    flush_due: Option<Instant>,
    next_ping: Option<Instant>,
    /// The outstanding ping: its payload, when it left, when its pong is due.
    pending_pong: Option<(u64, Instant, Instant)>,
    pings_sent: u64,
    /// When the last message came (or the connection opened), and whether
    /// the silence since has been reported (`expect_message_within`).
    last_in: Instant,
    silent: bool,
}

impl<'a> Session<'a> {
    fn new(socket: Socket, spec: &'a ConnSpec, events: &'a EventSink) -> Session<'a> {
        let now = Instant::now();
        Session {
            socket,
            spec,
            events,
            opened: now,
            traffic: Traffic::default(),
            last_flush: now,
            flush_due: None,
            next_ping: spec.options.ping_interval.map(|interval| now + interval),
            pending_pong: None,
            pings_sent: 0,
            last_in: now,
            silent: false,
        }
    }

    /// When the feed counts as silent, unless a message comes first.
    fn silent_due(&self) -> Option<Instant> {
        let within = self.spec.options.expect_message_within?;
        (!self.silent).then(|| self.last_in + within)
    }

    fn connected_ms(&self) -> u64 {
        self.opened.elapsed().as_millis() as u64
    }

    /// Runs until the connection ends: reports the close, then takes leave
    /// politely. Returns how it ended and, when a command ended it, that
    /// command.
    async fn run(&mut self, commands: &mut Inbox) -> (CloseRecord, Option<Command>) {
        let ending = self.serve(commands).await;
        self.flush_traffic();
        // Reported before the farewell, which may take up to the close grace.
        self.events.emit(EventKind::Closed(ending.record.clone()));
        Box::pin(self.take_leave(ending.farewell)).await;
        (ending.record, ending.command)
    }

    async fn take_leave(&mut self, farewell: Farewell) {
        match farewell {
            Farewell::None => {}
            Farewell::Drain => self.drain().await,
            Farewell::Close(frame) => {
                if matches!(timeout(CLOSE_GRACE, self.socket.close(Some(frame))).await, Ok(Ok(()))) {
                    self.drain().await;
                }
            }
        }
    }

    async fn serve(&mut self, commands: &mut Inbox) -> SessionEnd {
        let spec = self.spec;
        for text in &spec.options.send_on_open {
            if let Err(record) = Box::pin(self.send_text(text.clone())).await {
                return SessionEnd::abrupt(record);
            }
        }
        loop {
            let deadline =
                [self.next_ping, self.pending_pong.map(|(_, _, due)| due), self.flush_due, self.silent_due()]
                    .into_iter()
                    .flatten()
                    .min();
            // The handlers that await are boxed: they run rarely (a ping
            // every 15 s, a command), and inline they would make every
            // connection's task bigger for its whole life.
            let ended = tokio::select! {
                message = self.socket.next() => self.on_message(message, commands),
                () = sleep_until_or_never(deadline) => Box::pin(self.on_timer()).await,
                command = commands.recv() => Box::pin(self.on_command(command.unwrap_or(Command::Shutdown))).await,
            };
            if let Some(ending) = ended {
                return ending;
            }
        }
    }

    fn on_message(
        &mut self,
        message: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
        commands: &Inbox,
    ) -> Option<SessionEnd> {
        match message {
            Some(Ok(Message::Text(text))) => {
                commands.tap().offer(false, text.as_bytes());
                self.count_in(text.len());
            }
            Some(Ok(Message::Binary(data))) => {
                commands.tap().offer(true, &data);
                self.count_in(data.len());
            }
            Some(Ok(Message::Pong(payload))) => self.on_pong(&payload),
            // tungstenite answers pings itself.
            Some(Ok(Message::Ping(_) | Message::Frame(_))) => {}
            Some(Ok(Message::Close(frame))) => {
                let wire = self.socket.get_ref().wire_close().unwrap_or_else(|| WireClose {
                    code: frame.as_ref().map(|frame| u16::from(frame.code)),
                    reason: frame.map(|frame| frame.reason.to_string()).unwrap_or_default(),
                });
                let record = classify::server_close(&wire, self.connected_ms());
                // Keep reading so tungstenite's reply goes out and the server can close TCP.
                return Some(SessionEnd { record, command: None, farewell: Farewell::Drain });
            }
            Some(Err(error)) => {
                let ending = classify::read_error(&error, self.connected_ms());
                // RFC 6455 §7.1.7: tell the peer why before dropping TCP.
                let farewell = ending.send_close.map_or(Farewell::None, |code| {
                    Farewell::Close(CloseFrame { code: CloseCode::from(code), reason: "".into() })
                });
                return Some(SessionEnd { record: ending.record, command: None, farewell });
            }
            None => return Some(SessionEnd::abrupt(classify::end_of_stream(self.connected_ms()).record)),
        }
        None
    }

    async fn on_timer(&mut self) -> Option<SessionEnd> {
        let now = Instant::now();
        if let Some((_, _, due)) = self.pending_pong
            && now >= due
        {
            let waited = self.spec.options.ping_timeout.as_millis() as u64;
            return Some(SessionEnd::abrupt(classify::ping_timeout(waited, self.connected_ms())));
        }
        if self.flush_due.is_some_and(|due| now >= due) {
            self.flush_traffic();
        }
        if self.silent_due().is_some_and(|due| now >= due) {
            self.silent = true;
            // The traffic before the silence is counted first.
            self.flush_traffic();
            self.events.emit(EventKind::Silent { silent_ms: millis(now - self.last_in) });
        }
        if let (Some(next), Some(interval)) = (self.next_ping, self.spec.options.ping_interval)
            && now >= next
        {
            self.next_ping = Some(now + interval);
            if self.pending_pong.is_none() {
                self.pings_sent += 1;
                let payload = Bytes::copy_from_slice(&self.pings_sent.to_be_bytes());
                self.pending_pong = Some((self.pings_sent, now, now + self.spec.options.ping_timeout));
                if let Err(record) = self.send(Message::Ping(payload)).await {
                    return Some(SessionEnd::abrupt(record));
                }
            }
        }
        None
    }

    async fn on_command(&mut self, command: Command) -> Option<SessionEnd> {
        let (code, reason) = match command {
            Command::SendText(text) => return self.send_asked(text).await,
            Command::Resume => return None,
            Command::ReconnectNow => (CloseCode::Normal, "reconnect requested"),
            Command::Pause => (CloseCode::Normal, "paused"),
            Command::Remove => (CloseCode::Normal, "removed"),
            Command::Shutdown => (CloseCode::Away, "wsmon exiting"),
        };
        let record = classify::user_close(u16::from(code), reason, self.connected_ms());
        let farewell = Farewell::Close(CloseFrame { code, reason: reason.into() });
        Some(SessionEnd { record, command: Some(command), farewell })
    }

    fn on_pong(&mut self, payload: &[u8]) {
        let Some((id, sent, _)) = self.pending_pong else { return };
        if payload == id.to_be_bytes() {
            self.pending_pong = None;
            let rtt_ms = sent.elapsed().as_micros() as f64 / 1_000.0;
            self.events.emit(EventKind::Rtt { rtt_ms });
        }
    }

    /// Send one message; a failure ends the connection like a read error.
    async fn send(&mut self, message: Message) -> Result<(), CloseRecord> {
        let limit = self.spec.options.ping_timeout;
        match timeout(limit, self.socket.send(message)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(classify::read_error(&error, self.connected_ms()).record),
            Err(_) => Err(classify::stalled_send(limit.as_millis() as u64, self.connected_ms())),
        }
    }

    /// Send a message the user asked for, unless it is larger than the write
    /// buffer holds: queued, it would fail the connection as if the server
    /// had stopped reading. Refused, it is left out and the connection stays.
    async fn send_asked(&mut self, text: String) -> Option<SessionEnd> {
        let largest = handshake::largest_message(&self.spec.options);
        if text.len() > largest {
            tracing::warn!(
                conn = %crate::text::escape(&self.spec.name),
                "message not sent: it is {} bytes, and wsmon sends at most {largest} bytes in one message \
                 on this connection (64 KiB, or its largest --send message)",
                text.len()
            );
            return None;
        }
        self.send_text(text).await.err().map(SessionEnd::abrupt)
    }

    /// Send a text message (on open, or asked for) and count it.
    async fn send_text(&mut self, text: String) -> Result<(), CloseRecord> {
        let length = text.len() as u64;
        self.send(Message::text(text)).await?;
        self.traffic.msgs_out += 1;
        self.traffic.bytes_out += length;
        self.schedule_flush();
        Ok(())
    }

    /// Read until the peer closes TCP (or the grace runs out), so that
    /// tungstenite's reply to a close frame goes out.
    async fn drain(&mut self) {
        let _ = timeout(CLOSE_GRACE, async { while let Some(Ok(_)) = self.socket.next().await {} }).await;
    }

    fn count_in(&mut self, length: usize) {
        let now = Instant::now();
        if std::mem::take(&mut self.silent) {
            self.events.emit(EventKind::SilenceEnded { silent_ms: millis(now - self.last_in) });
        }
        self.last_in = now;
        self.traffic.msgs_in += 1;
        self.traffic.bytes_in += length as u64;
        self.schedule_flush();
    }

    /// Flush now if the last flush is a second old, else at that second.
    fn schedule_flush(&mut self) {
        if self.last_flush.elapsed() >= TRAFFIC_EVERY {
            self.flush_traffic();
        } else if self.flush_due.is_none() {
            self.flush_due = Some(self.last_flush + TRAFFIC_EVERY);
        }
    }

    fn flush_traffic(&mut self) {
        self.flush_due = None;
        if !self.traffic.is_empty() {
            self.last_flush = Instant::now();
            self.events.emit(EventKind::Traffic(std::mem::take(&mut self.traffic)));
        }
    }
}

fn millis(duration: Duration) -> u64 {
    duration.as_millis().try_into().unwrap_or(u64::MAX)
}

/// Sends one connection's events, stamped with the time and its id, with
/// its secrets hidden in any text the server supplied: every event leaves
/// the engine through here.
#[derive(Clone)]
pub(super) struct EventSink {
    conn: ConnId,
    sender: UnboundedSender<Event>,
    spec: Arc<ConnSpec>,
}

impl EventSink {
    pub(super) fn new(conn: ConnId, sender: UnboundedSender<Event>, spec: Arc<ConnSpec>) -> EventSink {
        EventSink { conn, sender, spec }
    }

    pub(super) fn emit(&self, mut kind: EventKind) {
        super::secrets::hide_in_event(&self.spec, &mut kind);
        // A closed receiver means the app is exiting; nothing to report to.
        let _ = self.sender.send(Event { at: Ts::now(), conn: self.conn, kind });
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    /// Every open connection holds its task's future for its whole life,
    /// and the handshake's future while it connects: at 10,000 connections
    /// each KiB here is 10 MiB (docs/ARCHITECTURE.md, "Budgets": memory per connection).
    #[test]
    fn a_connection_task_stays_small() {
        let spec = Arc::new(ConnSpec {
            name: "a".into(),
            url: url::Url::parse("ws://127.0.0.1:1/").unwrap(),
            options: Default::default(),
        });
        let (events, _) = tokio::sync::mpsc::unbounded_channel();
        let (_sender, inbox) = super::super::inbox::inbox();
        let task = Connection::new(
            Arc::clone(&spec),
            EventSink::new(ConnId(0), events, Arc::clone(&spec)),
            inbox,
            Arc::new(Semaphore::new(1)),
        )
        .run();
        assert!(std::mem::size_of_val(&task) <= 1_424, "the task's future: {} bytes", std::mem::size_of_val(&task));
        let handshake = handshake::open(&spec);
        assert!(
            std::mem::size_of_val(&handshake) <= 1_024,
            "the handshake: {} bytes",
            std::mem::size_of_val(&handshake)
        );
    }

    /// Connections past the engine's limit wait for a turn to handshake
    /// (shown as connecting) and take one as soon as one is free.
    #[tokio::test]
    async fn a_connection_waits_for_a_turn_to_handshake() {
        // Accepts TCP and never answers the upgrade: a handshake in flight.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = url::Url::parse(&format!("ws://{}/", listener.local_addr().unwrap())).unwrap();
        let turns = Arc::new(Semaphore::new(1));
        let (events, mut seen) = tokio::sync::mpsc::unbounded_channel();
        let mut inboxes = Vec::new();
        for (index, name) in ["a", "b"].into_iter().enumerate() {
            let spec = Arc::new(ConnSpec { name: name.into(), url: url.clone(), options: Default::default() });
            let sink = EventSink::new(ConnId(index as u32), events.clone(), Arc::clone(&spec));
            let (sender, inbox) = super::super::inbox::inbox();
            inboxes.push(sender);
            tokio::spawn(Connection::new(spec, sink, inbox, Arc::clone(&turns)).run());
        }
        let limit = Duration::from_secs(10);
        let (first, _) = timeout(limit, listener.accept()).await.unwrap().unwrap();
        let mut connecting = 0;
        while connecting < 2 {
            let event = timeout(limit, seen.recv()).await.unwrap().unwrap();
            connecting += usize::from(matches!(event.kind, EventKind::Connecting { .. }));
        }
        // Both are connecting, one holds the only turn: the other does not dial.
        assert!(timeout(Duration::from_millis(300), listener.accept()).await.is_err(), "a second handshake began");
        drop(first);
        let second = timeout(limit, listener.accept()).await;
        assert!(second.is_ok(), "the waiting connection never took the freed turn");
    }
}
