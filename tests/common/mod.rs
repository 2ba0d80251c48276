//! Servers the tests start themselves on 127.0.0.1, port 0, and helpers to
//! watch an engine until a given event, bounded in time.
#![allow(dead_code)] // each test file uses its own part of this kit

pub mod child;
pub mod pki;
pub mod proxies;
pub mod scrape;
pub mod tls;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::{self, UnboundedReceiver};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use wsmon::engine::{ConnOptions, ConnSpec, Engine};
use wsmon::event::{Event, EventKind};
use wsmon::wire;

/// A JSON line, or a failure that shows it.
pub fn json(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|error| panic!("not JSON ({error}): {line}"))
}

/// Every wait in the tests is bounded by this.
pub const LIMIT: Duration = Duration::from_secs(20);

pub async fn listen() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind on loopback");
    let address = listener.local_addr().expect("bound address");
    (listener, address)
}

pub fn url(address: SocketAddr) -> String {
    format!("ws://{address}/")
}

/// A well-behaved server (tokio-tungstenite server side): accepts every
/// connection and closes it at once with `code` and `reason` (no code at
/// all when `code` is None).
pub async fn closing_server(code: Option<u16>, reason: &'static str) -> SocketAddr {
    let (listener, address) = listen().await;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else { return };
                let frame = code.map(|code| CloseFrame { code: CloseCode::from(code), reason: reason.into() });
                let _ = ws.close(frame).await;
                while let Some(Ok(_)) = ws.next().await {}
            });
        }
    });
    address
}

/// Like `closing_server`, and sends on the value of request header `name`
/// from each upgrade it accepts (None when absent).
pub async fn closing_server_seeing(
    name: &'static str,
    code: u16,
    reason: &'static str,
) -> (SocketAddr, UnboundedReceiver<Option<String>>) {
    let (listener, address) = listen().await;
    let (sender, seen) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let sender = sender.clone();
            tokio::spawn(async move {
                // The callback's error type is tungstenite's, large or not.
                #[allow(clippy::result_large_err)]
                let look = |request: &tokio_tungstenite::tungstenite::handshake::server::Request, response| {
                    let value = request.headers().get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).into());
                    let _ = sender.send(value);
                    Ok(response)
                };
                let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, look).await else { return };
                let _ = ws.close(Some(CloseFrame { code: CloseCode::from(code), reason: reason.into() })).await;
                while let Some(Ok(_)) = ws.next().await {}
            });
        }
    });
    (address, seen)
}

/// A server that accepts and then stops reading: pings go unanswered.
pub async fn silent_server() -> SocketAddr {
    let (listener, address) = listen().await;
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            if let Ok(ws) = tokio_tungstenite::accept_async(stream).await {
                held.push(ws);
            }
        }
    });
    address
}

/// A server that sends a text message of `size` bytes after the handshake.
pub async fn sending_server(size: usize) -> SocketAddr {
    let (listener, address) = listen().await;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else { return };
                let _ = ws.send(Message::text("x".repeat(size))).await;
                while let Some(Ok(_)) = ws.next().await {}
            });
        }
    });
    address
}

/// What a raw server saw from the client after its bytes went out.
pub struct RawPeer {
    pub address: SocketAddr,
    /// Everything the client sent after the handshake, per connection.
    pub received: UnboundedReceiver<Vec<u8>>,
}

/// A raw TCP server: completes the opening handshake by hand, writes
/// exactly `bytes`, then records what the client sends until it closes.
pub async fn raw_server(bytes: Vec<u8>) -> RawPeer {
    raw_server_answering(switching_protocols, bytes).await
}

/// The 101 response a correct server sends for `accept` (the derived key).
pub fn switching_protocols(accept: &str) -> String {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    )
}

/// Like `raw_server`, with the response head `head` makes from the accept
/// key (a head that breaks a rule, or ends its lines with bare LF).
pub async fn raw_server_answering(head: fn(&str) -> String, bytes: Vec<u8>) -> RawPeer {
    let (listener, address) = listen().await;
    let (sender, received) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let bytes = bytes.clone();
            let sender = sender.clone();
            tokio::spawn(async move {
                let Some(key) = read_request_key(&mut stream).await else { return };
                let response = head(&derive_accept_key(key.as_bytes()));
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.write_all(&bytes).await;
                let mut seen = Vec::new();
                let _ = tokio::time::timeout(LIMIT, stream.read_to_end(&mut seen)).await;
                let _ = sender.send(seen);
            });
        }
    });
    RawPeer { address, received }
}

/// A raw TCP server that completes the handshake, then writes `frame` over
/// and over as fast as the socket takes it, and never reads a byte.
pub async fn flooding_server(frame: Vec<u8>) -> SocketAddr {
    let (listener, address) = listen().await;
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let burst = frame.repeat(64);
            tokio::spawn(async move {
                let Some(key) = read_request_key(&mut stream).await else { return };
                let _ = stream.write_all(switching_protocols(&derive_accept_key(key.as_bytes())).as_bytes()).await;
                while stream.write_all(&burst).await.is_ok() {}
            });
        }
    });
    address
}

/// A raw TCP server that answers the upgrade request with `response`.
pub async fn http_server(response: &'static str) -> SocketAddr {
    let (listener, address) = listen().await;
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                if read_request_key(&mut stream).await.is_some() {
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                }
            });
        }
    });
    address
}

/// A server that accepts TCP and never says a word.
pub async fn mute_server() -> SocketAddr {
    let (listener, address) = listen().await;
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    address
}

/// A loopback port with nothing listening on it.
pub async fn closed_port() -> SocketAddr {
    let (listener, address) = listen().await;
    drop(listener);
    address
}

async fn read_request_key(stream: &mut TcpStream) -> Option<String> {
    header(&read_request(stream).await?, "sec-websocket-key")
}

/// The client's request head, read up to its blank line.
pub async fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut request = Vec::new();
    let mut buffer = [0u8; 1024];
    while !request.windows(4).any(|window| window == b"\r\n\r\n") {
        let read = stream.read(&mut buffer).await.ok()?;
        if read == 0 || request.len() > 16 * 1024 {
            return None;
        }
        request.extend_from_slice(&buffer[..read]);
    }
    Some(String::from_utf8_lossy(&request).into_owned())
}

/// The value of header `name` in a request head.
pub fn header(request: &str, name: &str) -> Option<String> {
    request.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim().to_string())
    })
}

/// An unmasked server frame.
pub fn frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126, "short frames only");
    let mut bytes = vec![first_byte, payload.len() as u8];
    bytes.extend_from_slice(payload);
    bytes
}

pub fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(reason.as_bytes());
    payload
}

/// The close code in the first close frame of a client's (masked) bytes.
pub fn client_close_code(bytes: &[u8]) -> Option<u16> {
    let mut at = 0;
    while at + 6 <= bytes.len() {
        let opcode = bytes[at] & 0x0F;
        let length = (bytes[at + 1] & 0x7F) as usize;
        let mask = &bytes[at + 2..at + 6];
        let payload = bytes.get(at + 6..at + 6 + length)?;
        if opcode == 0x8 && length >= 2 {
            return Some(u16::from_be_bytes([payload[0] ^ mask[0], payload[1] ^ mask[1]]));
        }
        at += 6 + length;
    }
    None
}

pub fn options() -> ConnOptions {
    ConnOptions { connect_timeout: Duration::from_secs(5), ..ConnOptions::default() }
}

pub fn spec(name: &str, url: &str, options: ConnOptions) -> ConnSpec {
    ConnSpec {
        name: name.into(),
        url: wsmon::engine::spec::parse_ws_url(url).expect("a test URL"),
        options: options.into(),
    }
}

/// Runs one connection and collects its events, as contract JSON, until
/// (and including) the first event for which `done` says yes.
pub async fn watch_until(spec: ConnSpec, done: impl Fn(&Value) -> bool) -> Vec<Value> {
    let (mut engine, mut events) = Engine::new();
    let (name, url) = (spec.name.clone(), spec.url.to_string());
    engine.add(spec);
    let mut lines = Vec::new();
    let collect = async {
        while let Some(event) = events.recv().await {
            if let Some(line) = wire::encode_event(&event, &name, &url) {
                let value: Value = serde_json::from_str(&line).expect("valid JSON");
                let finished = done(&value);
                lines.push(value);
                if finished {
                    return;
                }
            }
        }
    };
    tokio::time::timeout(LIMIT, collect).await.unwrap_or_else(|_| panic!("timed out; events so far: {lines:#?}"));
    engine.shutdown(Duration::from_millis(200)).await;
    lines
}

pub fn is(event: &'static str) -> impl Fn(&Value) -> bool {
    move |value| value["event"] == event
}

/// The first `closed` event of a connection to `url`.
pub async fn first_close(url: &str, options: ConnOptions) -> Value {
    let lines = watch_until(spec("t", url, options), is("closed")).await;
    lines.last().cloned().expect("a closed event")
}

/// The first `handshake_failed` event of a connection to `url`.
pub async fn first_failure(url: &str, options: ConnOptions) -> Value {
    let lines = watch_until(spec("t", url, options), is("handshake_failed")).await;
    lines.last().cloned().expect("a handshake_failed event")
}

/// A server that holds connections open (answering pings) until told to
/// restart: then it closes them all with 1012 "restart", stops listening
/// for `downtime`, and listens again on the same port.
pub struct RestartingServer {
    pub address: SocketAddr,
    restart: mpsc::UnboundedSender<()>,
}

impl RestartingServer {
    pub async fn start(downtime: Duration) -> RestartingServer {
        let (listener, address) = listen().await;
        let (restart, mut restarts) = mpsc::unbounded_channel::<()>();
        tokio::spawn(async move {
            let mut listener = Some(listener);
            loop {
                let current = match listener.take() {
                    Some(listener) => listener,
                    None => rebind(address).await,
                };
                let (close_all, _) = tokio::sync::broadcast::channel::<()>(1);
                loop {
                    tokio::select! {
                        accepted = current.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            tokio::spawn(hold_until_restart(stream, close_all.subscribe()));
                        }
                        restart = restarts.recv() => {
                            if restart.is_none() {
                                return;
                            }
                            break;
                        }
                    }
                }
                let _ = close_all.send(());
                drop(current);
                // The server's downtime: part of the scenario, not a wait for an event.
                tokio::time::sleep(downtime).await;
            }
        });
        RestartingServer { address, restart }
    }

    pub fn restart(&self) {
        self.restart.send(()).expect("the server task runs");
    }
}

async fn rebind(address: SocketAddr) -> TcpListener {
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket.set_reuseaddr(true).expect("SO_REUSEADDR");
    socket.bind(address).expect("the same port again");
    socket.listen(128).expect("listen")
}

async fn hold_until_restart(stream: TcpStream, mut restart: tokio::sync::broadcast::Receiver<()>) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else { return };
    loop {
        tokio::select! {
            message = ws.next() => if !matches!(message, Some(Ok(_))) { return },
            _ = restart.recv() => {
                let frame = CloseFrame { code: CloseCode::Restart, reason: "restart".into() };
                let _ = ws.close(Some(frame)).await;
                while let Some(Ok(_)) = ws.next().await {}
                return;
            }
        }
    }
}

/// A well-behaved server that echoes every text message back.
pub async fn echo_server() -> SocketAddr {
    let (listener, address) = listen().await;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else { return };
                while let Some(Ok(message)) = ws.next().await {
                    if message.is_text() && ws.send(message).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    address
}

/// Receive events until one matches; returns it. Bounded in time.
pub async fn next_matching(events: &mut UnboundedReceiver<Event>, wanted: impl Fn(&EventKind) -> bool) -> Event {
    let mut skipped = Vec::new();
    let find = async {
        while let Some(event) = events.recv().await {
            if wanted(&event.kind) {
                return event;
            }
            skipped.push(format!("{:?}", event.kind));
        }
        panic!("the engine stopped; events: {skipped:?}");
    };
    tokio::time::timeout(LIMIT, find).await.unwrap_or_else(|_| panic!("timed out; events: {skipped:?}"))
}
