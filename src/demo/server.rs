//! A demo service: a tokio-tungstenite server on 127.0.0.1 that sends each
//! connection a small message every second and does what the script says:
//! restart (close with 1012, stop listening, listen again on the same
//! port), shed load (1013, also to every new connection for a while) or
//! drop every TCP connection without a close frame.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::engine::sleep_until_or_never;

/// Time between the messages each connection receives.
const TRAFFIC_EVERY: Duration = Duration::from_secs(1);
/// How long a closing connection waits for the client's close reply.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// A port still held by the previous listener is retried this often.
const REBIND_RETRY: Duration = Duration::from_millis(50);

#[derive(Debug, Clone)]
enum Kick {
    Close { code: u16, reason: String },
    Drop,
}

#[derive(Debug)]
enum Control {
    Restart { down: Duration, reason: String },
    Overload { for_: Duration },
    Drop,
}

/// A running service; it stops when this handle is dropped.
pub struct Server {
    pub address: SocketAddr,
    control: mpsc::UnboundedSender<Control>,
}

impl Server {
    pub async fn start() -> io::Result<Server> {
        let listener = bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let address = listener.local_addr()?;
        let (control, commands) = mpsc::unbounded_channel();
        tokio::spawn(serve(listener, address, commands));
        Ok(Server { address, control })
    }

    /// Close every connection with 1012 and stop listening for `down`.
    pub fn restart(&self, down: Duration, reason: String) {
        let _ = self.control.send(Control::Restart { down, reason });
    }

    /// Close every connection with 1013, and every new one for `for_`.
    pub fn overload(&self, for_: Duration) {
        let _ = self.control.send(Control::Overload { for_ });
    }

    /// Drop every TCP connection, no close frame.
    pub fn drop_connections(&self) {
        let _ = self.control.send(Control::Drop);
    }
}

fn bind(address: SocketAddr) -> io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    // The previous listener's connections may linger in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(1024)
}

async fn accept(listener: Option<&TcpListener>) -> io::Result<TcpStream> {
    match listener {
        Some(listener) => listener.accept().await.map(|(stream, _)| stream),
        None => std::future::pending().await,
    }
}

async fn serve(listener: TcpListener, address: SocketAddr, mut commands: mpsc::UnboundedReceiver<Control>) {
    let mut listener = Some(listener);
    let (kicks, _) = broadcast::channel(8);
    let mut listen_again_at: Option<Instant> = None;
    let mut refuse_until: Option<Instant> = None;
    loop {
        tokio::select! {
            accepted = accept(listener.as_ref()) => {
                let Ok(stream) = accepted else { continue };
                let refusal = refuse_until
                    .is_some_and(|until| Instant::now() < until)
                    .then(|| Kick::Close { code: 1013, reason: "overloaded, try again later".into() });
                tokio::spawn(connection(stream, kicks.subscribe(), refusal));
            }
            () = sleep_until_or_never(listen_again_at) => match bind(address) {
                Ok(bound) => {
                    listener = Some(bound);
                    listen_again_at = None;
                }
                Err(error) => {
                    tracing::debug!(%address, %error, "demo service cannot listen yet");
                    listen_again_at = Some(Instant::now() + REBIND_RETRY);
                }
            },
            command = commands.recv() => match command {
                None => return,
                Some(Control::Restart { down, reason }) => {
                    let _ = kicks.send(Kick::Close { code: 1012, reason });
                    listener = None;
                    listen_again_at = Some(Instant::now() + down);
                }
                Some(Control::Overload { for_ }) => {
                    let _ = kicks.send(Kick::Close { code: 1013, reason: "overloaded, try again later".into() });
                    refuse_until = Some(Instant::now() + for_);
                }
                Some(Control::Drop) => {
                    let _ = kicks.send(Kick::Drop);
                }
            },
        }
    }
}

async fn connection(stream: TcpStream, mut kicks: broadcast::Receiver<Kick>, refusal: Option<Kick>) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else { return };
    if let Some(Kick::Close { code, reason }) = refusal {
        return close(ws, code, reason).await;
    }
    let mut ticks = tokio::time::interval(TRAFFIC_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sequence: u64 = 0;
    loop {
        tokio::select! {
            // Reading also answers the client's pings.
            message = ws.next() => if !matches!(message, Some(Ok(_))) { return },
            _ = ticks.tick() => {
                sequence += 1;
                if ws.send(Message::text(format!("{{\"seq\":{sequence}}}"))).await.is_err() {
                    return;
                }
            }
            kick = kicks.recv() => match kick {
                Ok(Kick::Close { code, reason }) => return close(ws, code, reason).await,
                // Dropping the stream sends FIN with no close frame first.
                Ok(Kick::Drop) | Err(broadcast::error::RecvError::Closed) => return,
                Err(broadcast::error::RecvError::Lagged(_)) => {}
            },
        }
    }
}

async fn close(mut ws: tokio_tungstenite::WebSocketStream<TcpStream>, code: u16, reason: String) {
    let frame = CloseFrame { code: CloseCode::from(code), reason: reason.into() };
    let _ = ws.close(Some(frame)).await;
    let drain = async { while let Some(Ok(_)) = ws.next().await {} };
    let _ = tokio::time::timeout(CLOSE_GRACE, drain).await;
}
