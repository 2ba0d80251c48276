//! A local WebSocket server that restarts on a schedule, for trying wsmon
//! before `wsmon demo` exists:
//!
//!     cargo run --example restarting_server -- 9001 10s 1s
//!     cargo run -- watch ws://127.0.0.1:9001/ --json
//!
//! Arguments: port (9001), time between restarts (10s), downtime (1s).
//! Every restart closes all connections with 1012 "restart", stops
//! listening for the downtime, then listens again on the same port.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().map_or(9001, |port| port.parse().expect("a port number"));
    let every =
        args.next().map_or(Duration::from_secs(10), |text| humantime::parse_duration(&text).expect("a duration"));
    let down = args.next().map_or(Duration::from_secs(1), |text| humantime::parse_duration(&text).expect("a duration"));
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    loop {
        let listener = bind(address);
        eprintln!("listening on ws://{address}/ for {}", humantime::format_duration(every));
        let (restart, _) = broadcast::channel(1);
        let serving = async {
            loop {
                if let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(serve(stream, restart.subscribe()));
                }
            }
        };
        let _ = tokio::time::timeout(every, serving).await;
        let _ = restart.send(());
        drop(listener);
        eprintln!("restarting: 1012 to every connection, down for {}", humantime::format_duration(down));
        tokio::time::sleep(down).await;
    }
}

fn bind(address: SocketAddr) -> TcpListener {
    let socket = TcpSocket::new_v4().expect("a socket");
    socket.set_reuseaddr(true).expect("SO_REUSEADDR");
    socket.bind(address).expect("the port is free");
    socket.listen(1024).expect("listen")
}

async fn serve(stream: TcpStream, mut restart: broadcast::Receiver<()>) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else { return };
    let mut ticks = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            message = ws.next() => if !matches!(message, Some(Ok(_))) { return },
            _ = ticks.tick() => if ws.send(Message::text("tick")).await.is_err() { return },
            _ = restart.recv() => {
                let frame = CloseFrame { code: CloseCode::Restart, reason: "restart".into() };
                let _ = ws.close(Some(frame)).await;
                while let Some(Ok(_)) = ws.next().await {}
                return;
            }
        }
    }
}
