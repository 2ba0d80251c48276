//! The demo's broken proxy: a TCP relay in front of a healthy demo service
//! that, when told, slips a frame breaking RFC 6455 into the stream towards
//! the client, between two of the server's frames (a real proxy bug looks
//! like this: the server is fine, the bytes on the wire are not).

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;

use super::script::Violation;

pub struct Proxy {
    pub address: SocketAddr,
    violations: broadcast::Sender<Violation>,
}

impl Proxy {
    pub async fn start(backend: SocketAddr) -> io::Result<Proxy> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let address = listener.local_addr()?;
        let (violations, _) = broadcast::channel(8);
        let sender = violations.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, backend, sender.subscribe()));
            }
        });
        Ok(Proxy { address, violations })
    }

    /// Every connection through the proxy gets the bad frame.
    pub fn violate(&self, violation: Violation) {
        let _ = self.violations.send(violation);
    }
}

async fn relay(client: TcpStream, backend: SocketAddr, violations: broadcast::Receiver<Violation>) {
    let Ok(server) = TcpStream::connect(backend).await else { return };
    let (mut client_in, client_out) = client.into_split();
    let (server_in, mut server_out) = server.into_split();
    let upstream = async { tokio::io::copy(&mut client_in, &mut server_out).await };
    // Whichever direction ends first ends the relay, closing both sockets.
    tokio::select! {
        _ = upstream => {}
        _ = downstream(server_in, client_out, violations) => {}
    }
}

/// Server → client, frame by frame, with bad frames slipped in between.
async fn downstream(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    mut violations: broadcast::Receiver<Violation>,
) -> io::Result<()> {
    let mut frames = FrameCursor::default();
    let mut buffer = vec![0; 4096];
    loop {
        tokio::select! {
            read = from.read(&mut buffer) => {
                let n = read?;
                if n == 0 {
                    return Ok(());
                }
                frames.push(&buffer[..n]);
                let ready = frames.take_ready();
                to.write_all(&ready).await?;
            }
            violation = violations.recv() => {
                if let Ok(violation) = violation {
                    frames.inject(violation.frame());
                    let ready = frames.take_ready();
                    to.write_all(&ready).await?;
                }
            }
        }
    }
}

/// Follows the server's byte stream (the HTTP head, then frame headers and
/// payload lengths) so that injected bytes land between frames.
#[derive(Debug, Default)]
struct FrameCursor {
    /// Received, not yet released.
    pending: Vec<u8>,
    /// Set once the HTTP response head has passed.
    upgraded: bool,
    /// Bytes of the current frame not yet released.
    frame_left: u64,
    /// Bytes waiting for the next frame boundary.
    injected: Vec<u8>,
}

impl FrameCursor {
    fn push(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
    }

    fn inject(&mut self, bytes: &[u8]) {
        self.injected.extend_from_slice(bytes);
    }

    /// Everything that can be sent now, in order.
    fn take_ready(&mut self) -> Vec<u8> {
        let mut ready = Vec::new();
        if !self.upgraded {
            let Some(end) = self.pending.windows(4).position(|w| w == b"\r\n\r\n") else { return ready };
            ready.extend(self.pending.drain(..end + 4));
            self.upgraded = true;
        }
        loop {
            if self.frame_left > 0 {
                let n = self.frame_left.min(self.pending.len() as u64) as usize;
                ready.extend(self.pending.drain(..n));
                self.frame_left -= n as u64;
                if self.frame_left > 0 {
                    return ready;
                }
            }
            // At a frame boundary.
            ready.append(&mut self.injected);
            match frame_length(&self.pending) {
                Some(length) => self.frame_left = length,
                None => {
                    // Hold a partial header until the rest arrives.
                    return ready;
                }
            }
        }
    }
}

/// The whole length of the frame starting at `bytes[0]`, once its header is in.
fn frame_length(bytes: &[u8]) -> Option<u64> {
    let second = *bytes.get(1)?;
    let mask = if second & 0x80 != 0 { 4 } else { 0 };
    let (header, payload) = match second & 0x7f {
        126 => (4, u64::from(u16::from_be_bytes(bytes.get(2..4)?.try_into().ok()?))),
        127 => (10, u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?)),
        short => (2, u64::from(short)),
    };
    Some(header + mask + payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";

    #[test]
    fn injected_bytes_wait_for_a_frame_boundary() {
        let mut cursor = FrameCursor::default();
        cursor.push(HEAD);
        cursor.push(&[0x81, 0x05, b'h', b'e']);
        let mut sent = cursor.take_ready();
        cursor.inject(&[0x83, 0x00]);
        sent.extend(cursor.take_ready());
        assert_eq!(&sent[HEAD.len()..], &[0x81, 0x05, b'h', b'e'], "mid-frame: nothing injected yet");
        cursor.push(&[b'l', b'l', b'o', 0x81]);
        sent.extend(cursor.take_ready());
        assert_eq!(&sent[HEAD.len()..], &[0x81, 0x05, b'h', b'e', b'l', b'l', b'o', 0x83, 0x00]);
        cursor.push(&[0x00]);
        sent.extend(cursor.take_ready());
        assert_eq!(&sent[sent.len() - 2..], &[0x81, 0x00], "a header split across reads is released whole");
    }

    #[test]
    fn long_frames_are_followed_by_their_extended_length() {
        assert_eq!(frame_length(&[0x82, 126, 0x01, 0x00]), Some(4 + 256));
        assert_eq!(frame_length(&[0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]), Some(10 + 65_536));
        assert_eq!(frame_length(&[0x81, 0x80 | 2]), Some(2 + 4 + 2));
        assert_eq!(frame_length(&[0x82, 126, 0x01]), None);
    }
}
