//! A load fleet for the scale benchmarks (benches/fleet.py): WebSocket
//! servers on several 127.0.0.1 ports (one port runs out of ephemeral
//! client ports near 28,000 connections) that send each connection a small
//! message every `--every`, and on command close every connection with 1012,
//! stay down for `--down` and listen again: a "1012 storm".
//!
//!     cargo run --release --example load_fleet -- --ports 4
//!
//! Commands, one per line on stdin:
//!   expect N   say "open N after MS ms" once N connections are open
//!   storm      close all with 1012, stop listening for --down, come back;
//!              says so again once the expected number are open
//!   count      print the number of open connections
//! The first line printed is "ports P1 P2 ...".

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncBufReadExt;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::broadcast;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};

#[derive(Parser)]
struct Args {
    /// Ports to listen on (ephemeral, on 127.0.0.1).
    #[arg(long, default_value_t = 4)]
    ports: usize,
    /// Time between the messages each connection receives.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    every: Duration,
    /// How long a storm keeps the fleet down.
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration)]
    down: Duration,
}

/// What the fleet waits for: `expected` open connections, timed from `since`.
struct Goal {
    expected: usize,
    since: Instant,
    reported: bool,
}

struct Fleet {
    open: AtomicUsize,
    goal: Mutex<Goal>,
}

impl Fleet {
    fn opened(&self) {
        self.open.fetch_add(1, Ordering::SeqCst);
        self.check();
    }

    fn closed(&self) {
        self.open.fetch_sub(1, Ordering::SeqCst);
    }

    /// Time from now (or from the coming storm) until `expected` are open.
    fn expect(&self, expected: usize) {
        *self.goal.lock().unwrap() = Goal { expected, since: Instant::now(), reported: false };
        self.check();
    }

    fn restart_clock(&self) {
        let mut goal = self.goal.lock().unwrap();
        goal.since = Instant::now();
        goal.reported = false;
    }

    fn check(&self) {
        let open = self.open.load(Ordering::SeqCst);
        let mut goal = self.goal.lock().unwrap();
        if !goal.reported && goal.expected > 0 && open >= goal.expected {
            goal.reported = true;
            println!("open {open} after {} ms", goal.since.elapsed().as_millis());
        }
    }
}

fn bind(address: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(4096)
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let listeners: Vec<TcpListener> =
        (0..args.ports).map(|_| bind(SocketAddr::from(([127, 0, 0, 1], 0))).expect("a port")).collect();
    let addresses: Vec<SocketAddr> = listeners.iter().map(|listener| listener.local_addr().unwrap()).collect();
    let ports: Vec<String> = addresses.iter().map(|address| address.port().to_string()).collect();
    println!("ports {}", ports.join(" "));
    let fleet = Arc::new(Fleet {
        open: AtomicUsize::new(0),
        goal: Mutex::new(Goal { expected: 0, since: Instant::now(), reported: true }),
    });
    let (storms, _) = broadcast::channel::<()>(4);
    let start = |listener| tokio::spawn(serve(listener, fleet.clone(), storms.clone(), args.every));
    let mut serving: Vec<_> = listeners.into_iter().map(start).collect();

    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        match line.split_whitespace().collect::<Vec<_>>()[..] {
            ["expect", n] => fleet.expect(n.parse().expect("expect N")),
            ["count"] => println!("count {}", fleet.open.load(Ordering::SeqCst)),
            ["storm"] => {
                // Stop accepting (the listeners close), then close everyone.
                serving.drain(..).for_each(|task| task.abort());
                fleet.restart_clock();
                let _ = storms.send(());
                tokio::time::sleep(args.down).await;
                for address in &addresses {
                    serving.push(start(bind(*address).expect("the same port again")));
                }
            }
            _ => eprintln!("unknown command: {line}"),
        }
    }
}

async fn serve(listener: TcpListener, fleet: Arc<Fleet>, storms: broadcast::Sender<()>, every: Duration) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(connection(stream, fleet.clone(), storms.subscribe(), every));
            }
            // Out of file descriptors, say: spinning would skew the figures.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

async fn connection(stream: TcpStream, fleet: Arc<Fleet>, mut storm: broadcast::Receiver<()>, every: Duration) {
    let config = WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0);
    let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else { return };
    fleet.opened();
    // Spread the messages over the interval.
    let first = Instant::now() + every.mul_f64(fastrand::f64());
    let mut ticks = tokio::time::interval_at(first, every);
    loop {
        tokio::select! {
            message = ws.next() => if !matches!(message, Some(Ok(_))) { break },
            _ = ticks.tick() => if ws.send(Message::text("{\"price\":101.25}")).await.is_err() { break },
            _ = storm.recv() => {
                let frame = CloseFrame { code: CloseCode::Restart, reason: "restart".into() };
                let _ = ws.close(Some(frame)).await;
                let drain = async { while let Some(Ok(_)) = ws.next().await {} };
                let _ = tokio::time::timeout(Duration::from_secs(2), drain).await;
                break;
            }
        }
    }
    fleet.closed();
}
