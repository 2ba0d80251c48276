//! The endpoint: `GET /metrics` over HTTP/1.1 (hyper) on the session's
//! tokio runtime. The address is bound before the session starts, so a bad
//! or busy one is a start-up error. A scrape encodes the registry and
//! nothing else; 404 for other paths, 405 for other methods. Requests are
//! bounded: a few connections at a time, one request each, headers within
//! seconds, a whole exchange within half a minute.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{ACCEPT, ALLOW, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use super::families::{Exposition, Format};

/// Scrapes served at once; more wait in the listen backlog.
const CONCURRENT: usize = 8;
/// A client gets this long to send its request head.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// And this long for the whole exchange.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(30);

/// `--metrics ADDR`: an IP address and port (`127.0.0.1:9464`,
/// `[::1]:9464`) or `localhost:PORT`. Port 0 picks a free port.
pub fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    let trimmed = text.trim();
    let localhost = || {
        let port = trimmed.strip_prefix("localhost:")?.parse::<u16>().ok()?;
        Some(SocketAddr::from(([127, 0, 0, 1], port)))
    };
    trimmed
        .parse::<SocketAddr>()
        .ok()
        .or_else(localhost)
        .ok_or_else(|| format!("not an address: '{text}' — give HOST:PORT, e.g. 127.0.0.1:9464"))
}

/// A listening socket, not served yet.
#[derive(Debug)]
pub struct Bound {
    listener: std::net::TcpListener,
    addr: SocketAddr,
}

/// Listen on `addr`; the error names it and says what went wrong.
pub fn bind(addr: SocketAddr) -> Result<Bound, String> {
    let failed = |error: io::Error| match error.kind() {
        io::ErrorKind::AddrInUse => format!("cannot listen on {addr}: address in use"),
        _ => format!("cannot listen on {addr}: {error}"),
    };
    let listener = std::net::TcpListener::bind(addr).map_err(failed)?;
    listener.set_nonblocking(true).map_err(failed)?;
    let addr = listener.local_addr().map_err(failed)?;
    Ok(Bound { listener, addr })
}

impl Bound {
    /// The address bound (with the port chosen for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serve `exposition` on the current tokio runtime until the returned
    /// handle is dropped.
    pub fn serve(self, exposition: Exposition) -> io::Result<Serving> {
        let listener = TcpListener::from_std(self.listener)?;
        let task = tokio::spawn(accept(listener, exposition));
        Ok(Serving { addr: self.addr, task })
    }
}

/// What the user is told when the endpoint starts: where it is, and a
/// warning when it is reachable from other hosts.
pub fn notices(addr: SocketAddr) -> Vec<String> {
    let mut notices = vec![format!("metrics on http://{addr}/metrics")];
    if !addr.ip().is_loopback() {
        notices.push(format!(
            "warning: the metrics endpoint on {addr} is reachable from other hosts and has no authentication \
             (--metrics 127.0.0.1:{} keeps it local)",
            addr.port()
        ));
    }
    notices
}

/// The endpoint while it serves; dropping it stops the server.
#[derive(Debug)]
pub struct Serving {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Serving {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept(listener: TcpListener, exposition: Exposition) {
    let slots = Arc::new(Semaphore::new(CONCURRENT));
    loop {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else { return };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of file descriptors, most likely: the connections come first.
                tracing::debug!(%error, "metrics: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let exposition = exposition.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let response = respond(&exposition, &request);
                async move { Ok::<_, Infallible>(response) }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(EXCHANGE_TIMEOUT, connection).await;
            drop(slot);
        });
    }
}

fn respond(exposition: &Exposition, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    if request.uri().path() != "/metrics" {
        return plain(StatusCode::NOT_FOUND, "not found: wsmon serves /metrics\n");
    }
    if request.method() != Method::GET {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed: GET /metrics\n");
        response.headers_mut().insert(ALLOW, HeaderValue::from_static("GET"));
        return response;
    }
    let accept = request.headers().get_all(ACCEPT).iter().filter_map(|value| value.to_str().ok());
    let format = if accept.into_iter().any(asks_for_openmetrics) { Format::OpenMetrics } else { Format::Prometheus };
    let mut response = Response::new(Full::new(Bytes::from(exposition.encode(format))));
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

/// Whether an `Accept` header lists OpenMetrics text (with a q above 0),
/// as Prometheus does when it prefers it.
fn asks_for_openmetrics(accept: &str) -> bool {
    accept.split(',').any(|range| {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default();
        let refused = parts.any(|param| {
            param.split_once('=').is_some_and(|(key, value)| {
                key.trim().eq_ignore_ascii_case("q") && value.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
            })
        });
        media.eq_ignore_ascii_case("application/openmetrics-text") && !refused
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_or_say_how_to_write_them() {
        assert_eq!(parse_addr("127.0.0.1:9464"), Ok(SocketAddr::from(([127, 0, 0, 1], 9464))));
        assert_eq!(parse_addr("localhost:0"), Ok(SocketAddr::from(([127, 0, 0, 1], 0))));
        assert_eq!(parse_addr("[::1]:9464").map(|addr| addr.ip().is_loopback()), Ok(true));
        for bad in ["9464", "127.0.0.1", "metrics.example.com:9464", "127.0.0.1:99999", ""] {
            let error = parse_addr(bad).unwrap_err();
            assert_eq!(error, format!("not an address: '{bad}' — give HOST:PORT, e.g. 127.0.0.1:9464"));
        }
    }

    #[test]
    fn only_loopback_goes_unwarned() {
        assert_eq!(notices(parse_addr("127.0.0.1:9464").unwrap()), ["metrics on http://127.0.0.1:9464/metrics"]);
        assert_eq!(notices(parse_addr("[::1]:9464").unwrap()).len(), 1);
        for open in ["0.0.0.0:9464", "[::]:9464", "192.0.2.7:9464"] {
            let notices = notices(parse_addr(open).unwrap());
            assert!(notices[1].starts_with("warning:") && !notices[1].contains('\n'), "{notices:?}");
        }
    }

    #[test]
    fn openmetrics_is_served_when_asked_for() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,\
                          text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert!(asks_for_openmetrics(prometheus));
        assert!(asks_for_openmetrics("Application/OpenMetrics-Text"));
        assert!(!asks_for_openmetrics("text/plain;version=0.0.4"));
        assert!(!asks_for_openmetrics("*/*"));
        assert!(!asks_for_openmetrics("application/openmetrics-text;q=0"));
    }

    #[test]
    fn a_busy_address_is_named() {
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = held.local_addr().unwrap();
        assert_eq!(bind(addr).unwrap_err(), format!("cannot listen on {addr}: address in use"));
    }
}
