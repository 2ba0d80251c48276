//! A frame observer in the read path below tungstenite.
//!
//! tungstenite 0.30 rewrites a close code it does not accept (1014, 1004,
//! 1005, 1006, 1015, 1016–2999, < 1000, >= 5000) into 1002 "Protocol
//! violation" before the application sees it (snapview/tungstenite-rs#502).
//! wsmon must report the code that was on the wire, so this wrapper reads
//! the server's bytes as they pass, skips the HTTP response head, follows
//! the frame headers (payloads are skipped, not copied) and keeps the first
//! close frame's payload. It never changes a byte.
//!
//! The head ends where tungstenite's parser (httparse) says it ends, never
//! where a byte pattern is found: httparse accepts bare-LF heads, so a
//! search for CRLFCRLF would start following frames inside a later payload,
//! where a server can plant a forged close frame.
//!
//! It keeps the status code of the response too: tungstenite's error for a
//! refused response says what it disliked, not whether a status line had
//! arrived (an HTTP/1.0 101, a 101 with too many headers), and some of its
//! errors come before a byte was sent (a request it cannot write). The
//! handshake reports the status seen here instead.
//!
//! It also watches the write side: tungstenite answers every ping with a
//! pong queued in its write buffer, so a peer that floods pings and never
//! reads would fill that buffer; once it is full (no room for one more
//! control frame) the next read fails with `WriteStalled`, and the
//! connection ends instead of silently dropping the replies it owes.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::classify::WireClose;

const OPCODE_CLOSE: u8 = 0x8;
/// Control frames carry at most 125 bytes; a longer close frame is an error
/// tungstenite reports on its own.
const MAX_CONTROL_PAYLOAD: usize = 125;
/// tungstenite gives up on a response head longer than this (its attack
/// check), so the observer never holds more.
const MAX_HEAD: usize = 64 * 1024;

/// The largest control frame a client writes (2 + 4 mask + 125 bytes).
pub(super) const MAX_CONTROL_FRAME: usize = 131;

pub struct Observed<S> {
    inner: S,
    scanner: FrameScanner,
    /// tungstenite's write buffer limit (`max_write_buffer_size`).
    write_limit: usize,
    /// Set once the peer left the write buffer full: the bytes unsent.
    stalled: Option<usize>,
}

/// The peer stopped reading and wsmon's write buffer is full.
#[derive(Debug, thiserror::Error)]
#[error("the server stopped reading: {unsent} bytes wsmon owes it (pongs, pings, messages) are unsent")]
pub struct WriteStalled {
    pub unsent: usize,
}

/// The status code of the server's response, once its status line has
/// arrived. Shared: when the upgrade fails (or times out) tungstenite drops
/// the stream, and the handshake still needs to know.
#[derive(Debug, Clone, Default)]
pub struct StatusSeen(Arc<OnceLock<u16>>);

impl StatusSeen {
    pub fn get(&self) -> Option<u16> {
        self.0.get().copied()
    }

    fn record(&self, code: u16) {
        // The first status line is the response's; nothing later replaces it.
        let _ = self.0.set(code);
    }
}

impl<S> Observed<S> {
    pub fn new(inner: S, write_limit: usize, status: StatusSeen) -> Observed<S> {
        Observed { inner, scanner: FrameScanner::new(status), write_limit, stalled: None }
    }

    /// The first close frame the server sent, as it was on the wire.
    pub fn wire_close(&self) -> Option<WireClose> {
        self.scanner.close.as_ref().map(|payload| {
            if payload.len() < 2 {
                return WireClose { code: None, reason: String::new() };
            }
            let code = u16::from_be_bytes([payload[0], payload[1]]);
            WireClose { code: Some(code), reason: String::from_utf8_lossy(&payload[2..]).into_owned() }
        })
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Observed<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(unsent) = this.stalled {
            return Poll::Ready(Err(io::Error::other(WriteStalled { unsent })));
        }
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = poll {
            this.scanner.feed(&buf.filled()[before..]);
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Observed<S> {
    /// tungstenite hands over its whole write buffer on every write, so a
    /// write that cannot proceed with the buffer this full means no further
    /// reply fits.
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, data);
        if poll.is_pending() && data.len() + MAX_CONTROL_FRAME > this.write_limit {
            this.stalled = Some(data.len());
        }
        poll
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Follows the server's byte stream frame by frame.
#[derive(Debug, Default)]
struct FrameScanner {
    state: ScanState,
    /// The first close frame's (unmasked) payload, once complete.
    close: Option<Vec<u8>>,
}

#[derive(Debug)]
enum ScanState {
    /// Inside the HTTP response: the bytes so far, parsed again after each
    /// read exactly as tungstenite parses them, and where its status goes.
    HttpHead { seen: Vec<u8>, status: StatusSeen },
    /// Collecting a frame header (2 to 14 bytes).
    Header { bytes: [u8; 14], have: usize },
    /// Inside a payload.
    Payload { remaining: u64, capture: Option<Capture> },
    /// The first close frame is in; nothing more to learn.
    Done,
}

#[derive(Debug)]
struct Capture {
    mask: Option<[u8; 4]>,
    payload: Vec<u8>,
}

impl Default for ScanState {
    fn default() -> Self {
        ScanState::HttpHead { seen: Vec::new(), status: StatusSeen::default() }
    }
}

impl FrameScanner {
    fn new(status: StatusSeen) -> FrameScanner {
        FrameScanner { state: ScanState::HttpHead { seen: Vec::new(), status }, close: None }
    }

    fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            match &mut self.state {
                ScanState::Done => return,
                ScanState::HttpHead { seen, status } => {
                    seen.extend_from_slice(data);
                    data = &[];
                    let head = parse_head(seen);
                    if let Some(code) = head.status {
                        status.record(code);
                    }
                    match head.end {
                        Some(Ok(length)) => {
                            let frames = seen.split_off(length);
                            self.state = ScanState::Header { bytes: [0; 14], have: 0 };
                            self.feed(&frames);
                        }
                        // tungstenite fails this handshake too: nothing to follow.
                        Some(Err(())) => self.state = ScanState::Done,
                        None if seen.len() > MAX_HEAD => self.state = ScanState::Done,
                        None => {}
                    }
                }
                ScanState::Header { bytes, have } => {
                    let needed = header_len(&bytes[..*have]);
                    let take = (needed - *have).min(data.len());
                    bytes[*have..*have + take].copy_from_slice(&data[..take]);
                    *have += take;
                    data = &data[take..];
                    if *have == header_len(&bytes[..*have]) {
                        let header = *bytes;
                        self.start_payload(&header);
                    }
                }
                ScanState::Payload { remaining, capture } => {
                    let take = usize::try_from(*remaining).unwrap_or(usize::MAX).min(data.len());
                    if let Some(capture) = capture {
                        let room = MAX_CONTROL_PAYLOAD.saturating_sub(capture.payload.len()).min(take);
                        capture.payload.extend_from_slice(&data[..room]);
                    }
                    *remaining -= take as u64;
                    data = &data[take..];
                    if *remaining == 0 {
                        self.finish_payload();
                    }
                }
            }
        }
    }

    fn start_payload(&mut self, header: &[u8; 14]) {
        let opcode = header[0] & 0x0F;
        let masked = header[1] & 0x80 != 0;
        let (length, mask_at) = match header[1] & 0x7F {
            126 => (u64::from(u16::from_be_bytes([header[2], header[3]])), 4),
            127 => (u64::from_be_bytes(header[2..10].try_into().expect("8 bytes")), 10),
            short => (u64::from(short), 2),
        };
        let mask = masked.then(|| header[mask_at..mask_at + 4].try_into().expect("4 bytes"));
        let capture = (opcode == OPCODE_CLOSE).then(|| Capture { mask, payload: Vec::new() });
        self.state = ScanState::Payload { remaining: length, capture };
        if length == 0 {
            self.finish_payload();
        }
    }

    fn finish_payload(&mut self) {
        let state = std::mem::replace(&mut self.state, ScanState::Header { bytes: [0; 14], have: 0 });
        if let ScanState::Payload { capture: Some(Capture { mask, mut payload }), .. } = state {
            if let Some(mask) = mask {
                payload.iter_mut().enumerate().for_each(|(i, byte)| *byte ^= mask[i % 4]);
            }
            self.close = Some(payload);
            self.state = ScanState::Done;
        }
    }
}

/// What the bytes so far say about the response head.
struct Head {
    /// The status code, once the status line is complete.
    status: Option<u16>,
    /// Where the head ends (None while partial), or an error where
    /// tungstenite fails the handshake.
    end: Option<Result<usize, ()>>,
}

/// Parse the response head at the start of `seen` as tungstenite parses it
/// (the same parser, the same header limit).
fn parse_head(seen: &[u8]) -> Head {
    use tokio_tungstenite::tungstenite::handshake::headers::MAX_HEADERS;
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(seen) {
        Ok(httparse::Status::Complete(length)) => Head { status: response.code, end: Some(Ok(length)) },
        // Headers still to come, too many of them, or a bad one: the
        // status line may be whole all the same.
        Ok(httparse::Status::Partial) => Head { status: status_line(seen), end: None },
        Err(_) => Head { status: status_line(seen), end: Some(Err(())) },
    }
}

/// The status code of the first line of `seen`, when that line is a whole
/// HTTP status line: parsed by httparse as a head of its own, with the
/// headers that follow it left out.
fn status_line(seen: &[u8]) -> Option<u16> {
    // httparse skips empty lines before the status line; so does this.
    let start = seen.iter().position(|&byte| byte != b'\r' && byte != b'\n')?;
    let length = seen[start..].iter().position(|&byte| byte == b'\n')? + 1;
    let line = [&seen[start..start + length], b"\r\n"].concat();
    let mut response = httparse::Response::new(&mut []);
    match response.parse(&line) {
        Ok(httparse::Status::Complete(_)) => response.code,
        _ => None,
    }
}

/// How long a frame header is, from the bytes seen so far (at least 2
/// bytes are needed before the answer is final).
fn header_len(seen: &[u8]) -> usize {
    let Some(&second) = seen.get(1) else {
        return 2;
    };
    let extended = match second & 0x7F {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    let mask = if second & 0x80 != 0 { 4 } else { 0 };
    2 + extended + mask
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";

    fn scan(chunks: &[&[u8]]) -> Option<Vec<u8>> {
        let mut scanner = FrameScanner::default();
        for chunk in chunks {
            scanner.feed(chunk);
        }
        scanner.close
    }

    fn close_frame(code: u16, reason: &str) -> Vec<u8> {
        let mut frame = vec![0x88, (2 + reason.len()) as u8];
        frame.extend_from_slice(&code.to_be_bytes());
        frame.extend_from_slice(reason.as_bytes());
        frame
    }

    #[test]
    fn finds_a_close_frame_after_the_http_head_and_other_frames() {
        let text = [0x81, 0x05, b'h', b'e', b'l', b'l', b'o'];
        let mut medium = vec![0x82, 126, 0x01, 0x00];
        medium.extend(std::iter::repeat_n(0x88, 256)); // payload bytes that look like close headers
        let close = close_frame(1014, "upstream gone");
        let whole = [RESPONSE, &text, &medium, &close].concat();
        let mut expected = 1014u16.to_be_bytes().to_vec();
        expected.extend_from_slice(b"upstream gone");
        assert_eq!(scan(&[&whole]), Some(expected.clone()));

        let split: Vec<&[u8]> = whole.chunks(1).collect();
        assert_eq!(scan(&split), Some(expected), "byte by byte");
    }

    #[test]
    fn an_empty_close_frame_has_no_code() {
        let whole = [RESPONSE, &[0x88, 0x00]].concat();
        assert_eq!(scan(&[&whole]), Some(Vec::new()));
    }

    #[test]
    fn masked_close_payloads_are_unmasked() {
        let mask = [1, 2, 3, 4];
        let payload = 1005u16.to_be_bytes();
        let frame = [0x88, 0x82, mask[0], mask[1], mask[2], mask[3], payload[0] ^ 1, payload[1] ^ 2];
        let whole = [RESPONSE, &frame].concat();
        assert_eq!(scan(&[&whole]), Some(payload.to_vec()));
    }

    #[test]
    fn sixty_four_bit_lengths_are_skipped_without_copying() {
        let mut frame = vec![0x82, 127];
        frame.extend_from_slice(&70_000u64.to_be_bytes());
        let mut scanner = FrameScanner::default();
        scanner.feed(RESPONSE);
        scanner.feed(&frame);
        scanner.feed(&vec![0x88; 70_000]);
        scanner.feed(&close_frame(1012, ""));
        assert_eq!(scanner.close, Some(1012u16.to_be_bytes().to_vec()));
    }

    /// A bare-LF head (which httparse accepts) followed by a binary frame
    /// whose payload holds CRLFCRLF and a forged close: the forged frame is
    /// payload, the real close is the one after it.
    #[test]
    fn a_bare_lf_head_does_not_let_a_payload_forge_a_close() {
        let head = b"HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\n\n";
        let mut payload = b"\r\n\r\n".to_vec();
        payload.extend(close_frame(1000, "forged"));
        let binary = [&[0x82, payload.len() as u8][..], &payload].concat();
        let whole = [&head[..], &binary, &close_frame(1012, "real")].concat();
        let mut expected = 1012u16.to_be_bytes().to_vec();
        expected.extend_from_slice(b"real");
        assert_eq!(scan(&[&whole]), Some(expected.clone()));
        let split: Vec<&[u8]> = whole.chunks(3).collect();
        assert_eq!(scan(&split), Some(expected), "in small reads");
    }

    #[test]
    fn a_head_tungstenite_rejects_is_not_followed() {
        let whole = [&b"NOT HTTP\r\n\r\n"[..], &close_frame(1000, "x")].concat();
        assert_eq!(scan(&[&whole]), None);
    }

    /// The status the scanner records from `chunks`, fed in turn.
    fn status_of(chunks: &[&[u8]]) -> Option<u16> {
        let status = StatusSeen::default();
        let mut scanner = FrameScanner::new(status.clone());
        for chunk in chunks {
            scanner.feed(chunk);
        }
        status.get()
    }

    #[test]
    fn the_status_of_a_whole_head_is_recorded() {
        assert_eq!(status_of(&[RESPONSE]), Some(101));
        assert_eq!(status_of(&[b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"]), Some(404));
        assert_eq!(status_of(&[b"\r\nHTTP/1.1 101 Switching Protocols\nUpgrade: websocket\n\n"]), Some(101));
        let split: Vec<&[u8]> = RESPONSE.chunks(1).collect();
        assert_eq!(status_of(&split), Some(101), "byte by byte");
    }

    /// Heads tungstenite refuses after their status line arrived.
    #[test]
    fn a_refused_head_keeps_its_status() {
        assert_eq!(status_of(&[b"HTTP/1.0 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"]), Some(101));
        let crowded: String = (0..130).map(|n| format!("X-Filler-{n}: x\r\n")).collect();
        let head = format!("HTTP/1.1 101 Switching Protocols\r\n{crowded}\r\n");
        assert_eq!(status_of(&[head.as_bytes()]), Some(101), "too many headers");
        assert_eq!(status_of(&[b"HTTP/1.1 101 OK\r\nBad Header\r\n\r\n"]), Some(101), "a bad header");
        assert_eq!(status_of(&[b"HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n"]), Some(101), "headers to come");
    }

    #[test]
    fn no_status_line_no_status() {
        assert_eq!(status_of(&[]), None);
        assert_eq!(status_of(&[b"HTTP/1.1 10"]), None, "a status line still arriving");
        assert_eq!(status_of(&[b"HTTP/1.1 101 Switching"]), None, "no end of line yet");
        assert_eq!(status_of(&[b"NOT HTTP\r\n\r\n"]), None);
        assert_eq!(status_of(&[b"HTTP/2 101\r\n\r\n"]), None, "httparse speaks HTTP/1 only");
    }

    #[test]
    fn no_close_frame_no_record() {
        let whole = [RESPONSE, &[0x81, 0x01, b'x']].concat();
        assert_eq!(scan(&[&whole]), None);
    }
}
