//! The floor for the scale benchmarks (benches/fleet.py): N WebSocket
//! connections held with bare tokio-tungstenite and nothing else. A 4 KiB
//! read buffer and no write buffer, a ping every 15 s, messages read and
//! dropped, a reconnect 1–5 s (uniform) after a 1012 or any failure.
//!
//!     cargo run --release --example floor -- 10000 41001 41002 41003 41004
//!
//! Connection i goes to the i-th port, round robin (as the benchmark's
//! wsmon profiles do).

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

const PING_EVERY: Duration = Duration::from_secs(15);

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().and_then(|n| n.parse().ok()).expect("usage: floor N PORT...");
    let ports: Vec<u16> = args.map(|port| port.parse().expect("a port")).collect();
    assert!(!ports.is_empty(), "usage: floor N PORT...");
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let tasks: Vec<_> =
        (0..count).map(|i| tokio::spawn(hold(SocketAddr::from(([127, 0, 0, 1], ports[i % ports.len()]))))).collect();
    for task in tasks {
        let _ = task.await;
    }
}

/// TCP, then the WebSocket handshake, in their own future: its state is
/// freed once the socket is open.
async fn connect(address: SocketAddr, config: WebSocketConfig) -> Option<WebSocketStream<TcpStream>> {
    let stream = TcpStream::connect(address).await.ok()?;
    let url = format!("ws://{address}/");
    let (ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(config)).await.ok()?;
    Some(ws)
}

async fn hold(address: SocketAddr) {
    let config = WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0);
    loop {
        if let Some(mut ws) = Box::pin(connect(address, config)).await {
            let mut pings = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
            loop {
                tokio::select! {
                    message = ws.next() => match message {
                        Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                        Some(Ok(_)) => {}
                    },
                    _ = pings.tick() => if ws.send(Message::Ping(Vec::new().into())).await.is_err() { break },
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(fastrand::u64(1_000..=5_000))).await;
    }
}
