//! Scraping wsmon's metrics endpoint: a plain HTTP/1.1 request over a
//! loopback TCP connection, and the exposition read by a real parser
//! (prometheus-parse). Every wait is bounded by `LIMIT`.

use std::net::SocketAddr;
use std::time::Duration;

use prometheus_parse::{Sample, Scrape, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::LIMIT;

/// How often a poll scrapes again.
const POLL: Duration = Duration::from_millis(50);

pub struct Response {
    pub status: u16,
    /// The status line and headers.
    pub head: String,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<String> {
        super::header(&self.head, name)
    }
}

/// One request (`Connection: close`), read to its end.
pub async fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.expect("the endpoint accepts");
        let mut text = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        for (name, value) in headers {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        text.push_str("\r\n");
        stream.write_all(text.as_bytes()).await.expect("the request goes out");
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).await.expect("the response comes back");
        bytes
    };
    let bytes = tokio::time::timeout(LIMIT, exchange).await.expect("the endpoint answers in time");
    let text = String::from_utf8(bytes).expect("a UTF-8 response");
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no head: {text}"));
    let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or_else(|| panic!("{head}"));
    Response { status, head: head.to_string(), body: body.to_string() }
}

/// A scrape: the text as served, and as parsed.
pub struct Metrics {
    pub text: String,
    pub parsed: Scrape,
}

impl Metrics {
    /// The samples of `metric` whose labels include `labels`.
    pub fn samples<'a>(&'a self, metric: &'a str, labels: &'a [(&str, &str)]) -> impl Iterator<Item = &'a Sample> {
        self.parsed.samples.iter().filter(move |sample| {
            sample.metric == metric && labels.iter().all(|(name, value)| sample.labels.get(name) == Some(*value))
        })
    }

    /// The value of the one sample of `metric` with `labels` (counters,
    /// gauges, a histogram's `_count` and `_sum`).
    pub fn value(&self, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let sample = self.samples(metric, labels).next()?;
        match sample.value {
            Value::Counter(value) | Value::Gauge(value) | Value::Untyped(value) => Some(value),
            _ => None,
        }
    }

    /// Like `value`, 0 when the sample is missing (for `>=` conditions).
    pub fn at(&self, metric: &str, labels: &[(&str, &str)]) -> f64 {
        self.value(metric, labels).unwrap_or(0.0)
    }
}

/// GET /metrics, checked to be a 200 in the Prometheus text format.
pub async fn scrape(addr: SocketAddr) -> Metrics {
    let response = request(addr, "GET", "/metrics", &[]).await;
    assert_eq!(response.status, 200, "{}", response.head);
    let content_type = response.header("content-type").unwrap_or_default();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let parsed = Scrape::parse(response.body.lines().map(|line| Ok(line.to_string()))).expect("the exposition parses");
    Metrics { text: response.body, parsed }
}

/// Scrape every 50 ms until `done` holds, within `LIMIT`.
pub async fn scrape_until(addr: SocketAddr, what: &str, done: impl Fn(&Metrics) -> bool) -> Metrics {
    let started = tokio::time::Instant::now();
    loop {
        let metrics = scrape(addr).await;
        if done(&metrics) {
            return metrics;
        }
        if started.elapsed() > LIMIT {
            panic!("timed out waiting for: {what}\n{}", metrics.text);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The address in "wsmon: metrics on http://ADDR/metrics".
pub fn announced(line: &str) -> Option<SocketAddr> {
    let rest = &line[line.find("metrics on http://")? + "metrics on http://".len()..];
    rest.split_once("/metrics")?.0.parse().ok()
}
