//! The tunnel through a proxy: TCP to the proxy, then HTTP CONNECT (read
//! with httparse, the head bounded, nothing the proxy says trusted) or a
//! SOCKS5 CONNECT (tokio-socks). What comes out is a TCP stream to the
//! server, over which TLS and the WebSocket upgrade run as they would
//! directly. Each step runs under the connect timeout.
//!
//! Failures name the stage `proxy`, with the proxy's HTTP status when it
//! answered one, except a SOCKS5 proxy's word that the server itself
//! refused or could not be reached: that is the server's `tcp` stage, as
//! it would have been without the proxy.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_socks::tcp::Socks5Stream;

use super::{ProxyUrl, Scheme, authority};
use crate::close::Stage;
use crate::engine::handshake::{describe_io, fail, staged};
use crate::engine::spec::expand_env;
use crate::event::HandshakeFailure;

/// The most of a CONNECT answer's head wsmon reads: more is refused.
pub const MAX_HEAD: usize = 16 * 1024;
/// The most of a proxy's reason phrase kept in a failure's detail.
const MAX_REASON: usize = 120;

/// A TCP stream to `host:port` through `proxy`.
pub async fn tunnel(proxy: &ProxyUrl, host: &str, port: u16, limit: Duration) -> Result<TcpStream, HandshakeFailure> {
    let hop = Hop { proxy, target: authority(host, port) };
    let credentials = hop.credentials()?;
    let stream = hop.reach(limit).await?;
    match proxy.scheme {
        Scheme::Http => {
            let what = hop.doing("CONNECT");
            staged(limit, &what, Box::pin(http_connect(stream, &hop, credentials.as_ref()))).await?
        }
        Scheme::Socks5 => {
            // wsmon resolves the name and hands the proxy an address.
            let lookup = tokio::net::lookup_host((host, port));
            let address = staged(limit, "DNS lookup", lookup)
                .await?
                .map_err(|error| fail(Stage::Dns, format!("cannot resolve {host}: {error}")))?
                .next()
                .ok_or_else(|| fail(Stage::Dns, format!("{host} resolved to no address")))?;
            let (what, socks) =
                (hop.doing("SOCKS5 CONNECT"), socks5(stream, Target::Address(address), &hop, credentials.as_ref()));
            staged(limit, &what, Box::pin(socks)).await?
        }
        Scheme::Socks5h => {
            let (what, socks) =
                (hop.doing("SOCKS5 CONNECT"), socks5(stream, Target::Name(host, port), &hop, credentials.as_ref()));
            staged(limit, &what, Box::pin(socks)).await?
        }
    }
}

/// One connection's way through its proxy, for messages.
struct Hop<'a> {
    proxy: &'a ProxyUrl,
    /// `host:port` of the server.
    target: String,
}

/// The user name and password with their variables expanded.
struct Credentials {
    user: String,
    password: String,
}

impl Hop<'_> {
    /// "proxy http://u:***@h:3128 CONNECT to api:443".
    fn doing(&self, what: &str) -> String {
        format!("proxy {} {what} to {}", self.proxy.shown(), self.target)
    }

    fn failed(&self, what: &str, detail: impl std::fmt::Display) -> HandshakeFailure {
        fail(Stage::Proxy, format!("{}: {detail}", self.doing(what)))
    }

    fn credentials(&self) -> Result<Option<Credentials>, HandshakeFailure> {
        let Some(user) = &self.proxy.user else { return Ok(None) };
        let expand = |template: &str, what: &str| {
            expand_env(template).map_err(|variable| {
                fail(Stage::Proxy, format!("the proxy's {what} needs ${{{variable}}}, which is not set"))
            })
        };
        let password = self.proxy.password.as_deref().map(|password| expand(password, "password")).transpose()?;
        Ok(Some(Credentials { user: expand(user, "user name")?, password: password.unwrap_or_default() }))
    }

    /// TCP to the proxy, trying each of its addresses; the proxy's name is
    /// resolved here, whatever the scheme.
    async fn reach(&self, limit: Duration) -> Result<TcpStream, HandshakeFailure> {
        let proxy = self.proxy;
        let lookup = tokio::net::lookup_host((proxy.host.as_str(), proxy.port));
        let addresses: Vec<SocketAddr> = staged(limit, "proxy DNS lookup", lookup)
            .await?
            .map_err(|error| fail(Stage::Proxy, format!("cannot resolve the proxy {}: {error}", proxy.shown())))?
            .collect();
        let mut last_error = format!("the proxy {} resolved to no address", proxy.shown());
        for address in addresses {
            match staged(limit, "proxy TCP connect", TcpStream::connect(address)).await? {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    return Ok(stream);
                }
                Err(error) => {
                    last_error =
                        format!("cannot reach the proxy {} ({address}): {}", proxy.shown(), describe_io(&error))
                }
            }
        }
        Err(fail(Stage::Proxy, last_error))
    }
}

/// Ask an HTTP proxy for a tunnel and read its answer.
async fn http_connect(
    mut stream: TcpStream,
    hop: &Hop<'_>,
    credentials: Option<&Credentials>,
) -> Result<TcpStream, HandshakeFailure> {
    let request = connect_request(&hop.target, credentials);
    stream.write_all(request.as_bytes()).await.map_err(|error| hop.failed("CONNECT", describe_io(&error)))?;
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let read = stream.read(&mut chunk).await.map_err(|error| hop.failed("CONNECT", describe_io(&error)))?;
        if read == 0 {
            let when = if head.is_empty() { "before answering" } else { "in the middle of its answer" };
            return Err(hop.failed("CONNECT", format!("the proxy closed the connection {when}")));
        }
        head.extend_from_slice(&chunk[..read]);
        match parse_answer(&head).map_err(|why| hop.failed("CONNECT", why))? {
            None if head.len() > MAX_HEAD => {
                return Err(hop.failed("CONNECT", format!("the proxy's answer has a head over {MAX_HEAD} bytes")));
            }
            None => continue,
            Some(Answer { status, reason, length }) if (200..300).contains(&status) => {
                // The client speaks first in a WebSocket upgrade and in TLS:
                // bytes already here are not the server's.
                if length < head.len() {
                    return Err(hop.failed(
                        "CONNECT",
                        format!("HTTP {status} {reason}, then {} bytes before wsmon sent any", head.len() - length),
                    ));
                }
                return Ok(stream);
            }
            Some(Answer { status, reason, .. }) => {
                let mut failure = hop.failed("CONNECT", format!("HTTP {status} {reason}"));
                failure.http_status = Some(status);
                return Err(failure);
            }
        }
    }
}

/// `CONNECT host:port`, with Basic credentials when the proxy URL has a user.
fn connect_request(target: &str, credentials: Option<&Credentials>) -> String {
    let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some(Credentials { user, password }) = credentials {
        request
            .push_str(&format!("Proxy-Authorization: Basic {}\r\n", base64(format!("{user}:{password}").as_bytes())));
    }
    request.push_str(concat!("User-Agent: wsmon/", env!("CARGO_PKG_VERSION"), "\r\n\r\n"));
    request
}

/// A complete answer head: its status, its reason (cut and escaped: the
/// proxy is not trusted) and its length.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: u16,
    reason: String,
    length: usize,
}

/// None while the head is incomplete.
fn parse_answer(bytes: &[u8]) -> Result<Option<Answer>, String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(bytes) {
        Ok(httparse::Status::Complete(length)) => {
            let status = response.code.unwrap_or_default();
            // From the status line itself: httparse leaves out a reason
            // that is not ASCII, which is worth showing, escaped.
            let line_end = bytes.iter().position(|&byte| byte == b'\n').unwrap_or(bytes.len());
            let line = String::from_utf8_lossy(&bytes[..line_end]);
            let reason = line.trim_end_matches('\r').splitn(3, ' ').nth(2).unwrap_or_default();
            let cut = reason.char_indices().nth(MAX_REASON).map_or(reason.len(), |(at, _)| at);
            let reason = crate::text::escape(reason[..cut].trim()).into_owned();
            Ok(Some(Answer { status, reason, length }))
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Err(error) => Err(format!("the proxy's answer is not an HTTP response ({error})")),
    }
}

/// What a SOCKS5 proxy is asked to reach.
enum Target<'a> {
    Address(SocketAddr),
    Name(&'a str, u16),
}

async fn socks5(
    stream: TcpStream,
    target: Target<'_>,
    hop: &Hop<'_>,
    credentials: Option<&Credentials>,
) -> Result<TcpStream, HandshakeFailure> {
    let result = match (target, credentials) {
        (Target::Address(address), None) => Socks5Stream::connect_with_socket(stream, address).await,
        (Target::Name(host, port), None) => Socks5Stream::connect_with_socket(stream, (host, port)).await,
        (Target::Address(address), Some(Credentials { user, password })) => {
            Socks5Stream::connect_with_password_and_socket(stream, address, user, password).await
        }
        (Target::Name(host, port), Some(Credentials { user, password })) => {
            Socks5Stream::connect_with_password_and_socket(stream, (host, port), user, password).await
        }
    };
    result.map(Socks5Stream::into_inner).map_err(|error| socks_failure(&error, hop))
}

fn socks_failure(error: &tokio_socks::Error, hop: &Hop<'_>) -> HandshakeFailure {
    use tokio_socks::Error;
    let what = "SOCKS5 CONNECT";
    match error {
        // The proxy reached out and the server was not there: the
        // server's TCP stage, as without a proxy.
        Error::ConnectionRefused | Error::HostUnreachable | Error::NetworkUnreachable | Error::TtlExpired => {
            let why = error.to_string().to_lowercase();
            fail(Stage::Tcp, format!("{}: the proxy could not reach the server: {why}", hop.doing(what)))
        }
        Error::Io(io) => hop.failed(what, describe_io(io)),
        Error::PasswordAuthFailure(code) => {
            hop.failed(what, format!("the proxy refused the user name and password (status {code})"))
        }
        Error::NoAcceptableAuthMethods => {
            hop.failed(what, "the proxy accepts none of the ways wsmon offered to log in (a user and password?)")
        }
        other => hop.failed(what, other.to_string().to_lowercase()),
    }
}

/// Standard base64, padded: for `Proxy-Authorization: Basic`.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let value = group.iter().enumerate().fold(0u32, |value, (i, byte)| value | u32::from(*byte) << (16 - 8 * i));
        for i in 0..4 {
            if i <= group.len() {
                out.push(char::from(DIGITS[((value >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_4648_vectors() {
        let vectors =
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("foobar", "Zm9vYmFy")];
        for (text, encoded) in vectors {
            assert_eq!(base64(text.as_bytes()), encoded, "{text}");
        }
        assert_eq!(base64(b"alice:hunter2"), "YWxpY2U6aHVudGVyMg==");
    }

    #[test]
    fn the_connect_request_names_the_target_and_the_credentials() {
        let credentials = Credentials { user: "alice".into(), password: "hunter2".into() };
        let request = connect_request("[::1]:443", Some(&credentials));
        assert!(request.starts_with("CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n"), "{request}");
        assert!(request.contains("\r\nProxy-Authorization: Basic YWxpY2U6aHVudGVyMg==\r\n"), "{request}");
        assert!(request.ends_with("\r\n\r\n"));
        assert!(!connect_request("h:80", None).contains("Proxy-Authorization"));
    }

    #[test]
    fn answers_are_parsed_bounded_and_their_reason_escaped() {
        assert_eq!(parse_answer(b"HTTP/1.1 200 Connection established\r\n"), Ok(None));
        let ok = parse_answer(b"HTTP/1.0 200 Connection established\r\nVia: x\r\n\r\n").unwrap().unwrap();
        assert_eq!((ok.status, ok.reason.as_str(), ok.length), (200, "Connection established", 47));
        // Bare line feeds are HTTP to httparse, as to tungstenite.
        let denied = parse_answer(b"HTTP/1.1 407 Proxy Authentication Required\n\nbody").unwrap().unwrap();
        assert_eq!((denied.status, denied.reason.as_str()), (407, "Proxy Authentication Required"));
        let hostile = parse_answer("HTTP/1.1 403 No\u{9b}2J\u{202e} entry\r\n\r\n".as_bytes()).unwrap().unwrap();
        assert_eq!(hostile.reason, "No\\x9b2J\\u{202e} entry");
        // httparse refuses C0 controls in a reason outright.
        assert!(parse_answer(b"HTTP/1.1 403 No\x1b[2J\r\n\r\n").is_err());
        let long = format!("HTTP/1.1 502 {}\r\n\r\n", "x".repeat(1000));
        assert_eq!(parse_answer(long.as_bytes()).unwrap().unwrap().reason.len(), MAX_REASON);
        assert!(parse_answer(b"SSH-2.0-OpenSSH\r\n\r\n").unwrap_err().contains("not an HTTP response"));
    }
}
