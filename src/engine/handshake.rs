//! Opening a connection, one stage at a time (DNS, TCP, TLS, HTTP upgrade;
//! through a proxy, its tunnel instead of DNS and TCP), each under the
//! connect timeout, so a failure names the stage it failed in.
//!
//! The caller runs this in its own boxed future: the state of a handshake is
//! freed once the socket is open instead of living as long as the connection.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::classify;
use super::observe::{MAX_CONTROL_FRAME, Observed, StatusSeen};
use super::proxy;
use super::spec::{ConnOptions, ConnSpec, expand_env, parse_subprotocol};
use crate::close::Stage;
use crate::event::{HandshakeFailure, Via};

/// An open WebSocket, with the frame observer under it.
pub type Socket = WebSocketStream<Observed<Transport>>;

/// A read buffer this small keeps an idle connection at a few KiB:
/// tungstenite zero-fills its whole read buffer before every read.
const READ_BUFFER: usize = 4 * 1024;
/// Room in the write buffer beyond the largest message wsmon sends, for
/// what it owes the peer: pongs (131 bytes at most each) and a close frame.
/// It only fills while the peer does not read, and when it is full the
/// connection fails (`observe::WriteStalled`) instead of growing.
const WRITE_ROOM: usize = 64 * 1024;
/// The most a frame adds to its payload: a 10-byte length header and the
/// 4-byte mask every client frame carries.
const FRAME_OVERHEAD: usize = 14;

pub struct Opened {
    pub socket: Socket,
    pub subprotocol: Option<String>,
    pub handshake: Duration,
    /// The proxy it went through, and how long its tunnel took.
    pub via: Option<Via>,
}

pub async fn open(spec: &ConnSpec) -> Result<Opened, HandshakeFailure> {
    let started = Instant::now();
    let limit = spec.options.connect_timeout;
    let host = spec.url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_string();
    let port = spec.url.port_or_known_default().unwrap_or(80);

    // Boxed: a route's strings stay off the handshake's future.
    let route = proxy::route(spec).map_err(|error| fail(Stage::Proxy, error))?.map(Box::new);
    let (tcp, via) = match route {
        None => (connect_direct(&host, port, limit).await?, None),
        Some(route) => {
            let tcp = Box::pin(proxy::connect::tunnel(&route.proxy, &host, port, limit)).await?;
            (tcp, Some(Via { proxy: route.proxy.shown(), tunnel_ms: started.elapsed().as_millis() as u64 }))
        }
    };

    let client_cert = spec.options.tls.client.is_some();
    let transport = if spec.url.scheme() == "wss" {
        // Through a proxy too: TLS runs inside the tunnel, named for the server.
        let name = ServerName::try_from(host.clone())
            .map_err(|error| fail(Stage::Tls, format!("'{host}' is not a valid TLS server name: {error}")))?;
        let connector = super::tls::connector(&spec.options.tls).map_err(|detail| fail(Stage::Tls, detail))?;
        // Each stage's future is boxed: inline, the biggest of them would
        // size every stage (and the holes it leaves in the heap).
        let tls = staged(limit, "TLS handshake", Box::pin(connector.connect(name, tcp)))
            .await?
            .map_err(|error| fail(Stage::Tls, classify::tls_io_error(&error, client_cert)))?;
        Transport::Tls(Box::new(tls))
    } else {
        Transport::Plain(tcp)
    };

    let request = build_request(spec)?;
    let config = config(&spec.options);
    let status = StatusSeen::default();
    let stream = Observed::new(transport, config.max_write_buffer_size, status.clone());
    let upgrade = tokio_tungstenite::client_async_with_config(request, stream, Some(config));
    // The status comes from the wire, whatever tungstenite made of it.
    let (socket, response) = staged(limit, "HTTP upgrade response", Box::pin(upgrade))
        .await
        .map_err(|timeout| HandshakeFailure { http_status: status.get(), ..timeout })?
        .map_err(|error| classify::upgrade_error(&error, status.get(), client_cert))?;
    let subprotocol = response
        .headers()
        .get("sec-websocket-protocol")
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    Ok(Opened { socket, subprotocol, handshake: started.elapsed(), via })
}

/// DNS, then TCP to the first address that takes it.
async fn connect_direct(host: &str, port: u16, limit: Duration) -> Result<TcpStream, HandshakeFailure> {
    let addresses = staged(limit, "DNS lookup", tokio::net::lookup_host((host, port)))
        .await?
        .map_err(|error| fail(Stage::Dns, format!("cannot resolve {host}: {error}")))?
        .collect::<Vec<_>>();
    if addresses.is_empty() {
        return Err(fail(Stage::Dns, format!("{host} resolved to no address")));
    }
    let tcp = connect_any(&addresses, limit).await?;
    // Small frames (pings, short messages) should leave at once.
    let _ = tcp.set_nodelay(true);
    Ok(tcp)
}

/// tungstenite's settings for a connection: limits on what the peer may
/// send (max_message) and on what wsmon may queue for it (`write_limit`).
fn config(options: &ConnOptions) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_write_buffer_size(write_limit(options))
        .max_message_size(Some(options.max_message_size))
        .max_frame_size(Some(options.max_message_size))
}

/// The bound of the write buffer: what wsmon itself sends (its largest
/// configured message) plus room for what it owes the peer. wsmon writes
/// pongs, close frames and the user's text messages, nothing else; the
/// largest message it *accepts* has no part in it, or a peer that floods
/// pings and never reads could make it queue that much in pongs.
fn write_limit(options: &ConnOptions) -> usize {
    let largest = options.send_on_open.iter().map(String::len).max().unwrap_or(0);
    WRITE_ROOM.saturating_add(largest).saturating_add(FRAME_OVERHEAD)
}

/// The largest text message (in bytes) that can be queued under the write
/// bound with room left for a control frame: every `send_on_open` message,
/// and a typed one up to about 64 KiB. A larger one must be refused, or
/// tungstenite would fail the connection as if the peer had stopped reading.
pub(super) fn largest_message(options: &ConnOptions) -> usize {
    write_limit(options).saturating_sub(FRAME_OVERHEAD + MAX_CONTROL_FRAME)
}

/// Try each resolved address in turn; report the last refusal.
async fn connect_any(addresses: &[std::net::SocketAddr], limit: Duration) -> Result<TcpStream, HandshakeFailure> {
    let mut last_error = None;
    for address in addresses {
        match staged(limit, "TCP connect", TcpStream::connect(address)).await? {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = Some(format!("{address}: {}", describe_io(&error))),
        }
    }
    Err(fail(Stage::Tcp, last_error.unwrap_or_default()))
}

fn build_request(
    spec: &ConnSpec,
) -> Result<tokio_tungstenite::tungstenite::handshake::client::Request, HandshakeFailure> {
    let invalid = |what: String| fail(Stage::Http, what);
    let mut request =
        spec.url.as_str().into_client_request().map_err(|error| invalid(format!("cannot build request: {error}")))?;
    let headers = request.headers_mut();
    let options = &spec.options;
    if let Some(origin) = &options.origin {
        let value = HeaderValue::from_str(origin).map_err(|_| invalid(format!("invalid origin '{origin}'")))?;
        headers.insert("origin", value);
    }
    if !options.subprotocols.is_empty() {
        // Checked again here for specs made without the command line or a profile.
        for name in &options.subprotocols {
            parse_subprotocol(name).map_err(invalid)?;
        }
        let joined = options.subprotocols.join(", ");
        let value = HeaderValue::from_str(&joined).map_err(|_| invalid(format!("invalid subprotocols '{joined}'")))?;
        headers.insert("sec-websocket-protocol", value);
    }
    for (name, value) in &options.headers {
        let header =
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid(format!("invalid header '{name}'")))?;
        // Secrets (`${TOKEN}`) are expanded here and nowhere else.
        let value = expand_env(value)
            .map_err(|variable| invalid(format!("header '{name}' needs ${{{variable}}}, which is not set")))?;
        let value = HeaderValue::from_str(&value).map_err(|_| invalid(format!("invalid value for header '{name}'")))?;
        headers.append(header, value);
    }
    Ok(request)
}

/// Run one stage under the connect timeout; a timeout is its own stage.
pub(super) async fn staged<T>(
    limit: Duration,
    what: &str,
    stage: impl Future<Output = T>,
) -> Result<T, HandshakeFailure> {
    tokio::time::timeout(limit, stage).await.map_err(|_| {
        fail(
            Stage::Timeout,
            format!("{what} did not finish within {}", crate::format::duration_ms(limit.as_millis() as u64)),
        )
    })
}

pub(super) fn fail(stage: Stage, detail: String) -> HandshakeFailure {
    HandshakeFailure { stage, http_status: None, detail }
}

pub(super) fn describe_io(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused".into(),
        _ => error.to_string(),
    }
}

/// A TCP stream, with or without TLS over it.
pub enum Transport {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Transport {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(stream) => Pin::new(stream).poll_read(cx, buf),
            Transport::Tls(stream) => Pin::new(stream.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Plain(stream) => Pin::new(stream).poll_write(cx, data),
            Transport::Tls(stream) => Pin::new(stream.as_mut()).poll_write(cx, data),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(stream) => Pin::new(stream).poll_flush(cx),
            Transport::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            Transport::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the peer may send has no part in what wsmon may queue for it:
    /// a 1 GiB max_message leaves the write bound where 64 KiB put it.
    #[test]
    fn the_write_bound_does_not_depend_on_max_message() {
        let small = ConnOptions { max_message_size: 64 * 1024, ..ConnOptions::default() };
        let huge = ConnOptions { max_message_size: 1 << 30, ..ConnOptions::default() };
        assert_eq!(config(&small).max_write_buffer_size, config(&huge).max_write_buffer_size);
        assert!(config(&huge).max_write_buffer_size < 128 * 1024, "{}", config(&huge).max_write_buffer_size);
        assert_eq!(config(&huge).max_message_size, Some(1 << 30), "what wsmon accepts is unchanged");
    }

    /// The bound makes room for the largest message wsmon sends on open,
    /// and a message of that size still leaves room for a control frame.
    #[test]
    fn the_write_bound_holds_the_largest_message_wsmon_sends() {
        let long = "x".repeat(200_000);
        let options = ConnOptions { send_on_open: vec!["hello".into(), long.clone()], ..ConnOptions::default() };
        assert!(largest_message(&options) >= long.len());
        assert!(config(&options).max_write_buffer_size >= long.len() + FRAME_OVERHEAD + MAX_CONTROL_FRAME);
        let plain = ConnOptions::default();
        assert!((60 * 1024..64 * 1024).contains(&largest_message(&plain)), "{}", largest_message(&plain));
    }
}
