//! Turns what tungstenite reports into close records: code, initiator,
//! class, cause. Pure functions; no I/O, no clock.
//!
//! The rules are the event contract's (docs/ARCHITECTURE.md): the code that explains
//! the end is the server's code when its close frame arrived, 1005 when that
//! frame had no code, 1006 when no close frame arrived at all, and the code
//! wsmon sends when wsmon itself fails the connection.

use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError, ProtocolError};

use super::observe::WriteStalled;
use crate::close::{Cause, Class, Initiator, Stage, may_be_sent};
use crate::event::{CloseRecord, HandshakeFailure};

/// A close frame exactly as it was on the wire, before tungstenite
/// rewrote any code it does not accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireClose {
    /// None when the frame had no payload.
    pub code: Option<u16>,
    pub reason: String,
}

/// How a live connection ended, and what wsmon must still send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    pub record: CloseRecord,
    /// The close code wsmon sends before dropping TCP (RFC 6455 §7.1.7):
    /// tungstenite reports a violation but sends nothing itself.
    pub send_close: Option<u16>,
}

/// The server's close frame arrived.
pub fn server_close(wire: &WireClose, connected_ms: u64) -> CloseRecord {
    let Some(code) = wire.code else {
        return record(1005, "", Initiator::Server, None, None, connected_ms);
    };
    if !may_be_sent(code) {
        // tungstenite has already answered with 1002, as RFC 6455 §7.4.1
        // asks; the server broke the rule, so this is a protocol error.
        let detail = format!("server sent close code {code}, which may not be sent in a close frame");
        return record(
            1002,
            &wire.reason,
            Initiator::Client,
            Some(Cause::InvalidCloseCode),
            Some(detail),
            connected_ms,
        );
    }
    let cause = (code == 1002).then_some(Cause::PeerReported);
    record(code, &wire.reason, Initiator::Server, cause, None, connected_ms)
}

/// tungstenite returned an error while the connection was open.
pub fn read_error(error: &WsError, connected_ms: u64) -> Ending {
    let violation = |cause: Cause, detail: String| Ending {
        record: record(1002, "", Initiator::Client, Some(cause), Some(detail), connected_ms),
        send_close: Some(1002),
    };
    match error {
        WsError::Protocol(protocol) => match protocol {
            ProtocolError::ResetWithoutClosingHandshake => {
                transport("connection closed without a close frame", connected_ms)
            }
            ProtocolError::MaskedFrameFromServer => {
                violation(Cause::MaskedFrame, "server sent a masked frame (RFC 6455 §5.1)".into())
            }
            ProtocolError::NonZeroReservedBits => violation(
                Cause::ReservedBits,
                "RSV1, RSV2 or RSV3 set with no extension negotiated (RFC 6455 §5.2)".into(),
            ),
            ProtocolError::UnknownControlFrameType(op)
            | ProtocolError::UnknownDataFrameType(op)
            | ProtocolError::InvalidOpcode(op) => {
                violation(Cause::ReservedOpcode, format!("reserved opcode 0x{op:X} (RFC 6455 §5.2)"))
            }
            ProtocolError::FragmentedControlFrame => {
                violation(Cause::FragmentedControlFrame, "control frame with FIN = 0 (RFC 6455 §5.5)".into())
            }
            ProtocolError::ControlFrameTooBig => {
                violation(Cause::ControlFrameTooBig, "control frame payload over 125 bytes (RFC 6455 §5.5)".into())
            }
            ProtocolError::UnexpectedContinueFrame => violation(
                Cause::UnexpectedContinuation,
                "continuation frame with no message to continue (RFC 6455 §5.4)".into(),
            ),
            ProtocolError::ExpectedFragment(data) => violation(
                Cause::ExpectedContinuation,
                format!("{data:?} frame while a fragmented message was open (RFC 6455 §5.4)").to_lowercase(),
            ),
            ProtocolError::InvalidCloseSequence => {
                violation(Cause::InvalidCloseFrame, "close frame with a 1-byte payload (RFC 6455 §5.5.1)".into())
            }
            other => violation(Cause::Other, other.to_string()),
        },
        WsError::Utf8(what) => Ending {
            record: record(1007, "", Initiator::Client, None, Some(format!("invalid UTF-8: {what}")), connected_ms),
            send_close: Some(1007),
        },
        WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => Ending {
            record: record(
                1009,
                "",
                Initiator::Client,
                None,
                Some(format!("message of {size} bytes over the limit of {max_size}")),
                connected_ms,
            ),
            send_close: Some(1009),
        },
        WsError::Capacity(other) => Ending {
            record: record(1009, "", Initiator::Client, None, Some(other.to_string()), connected_ms),
            send_close: Some(1009),
        },
        WsError::AttackAttempt => violation(Cause::Other, "frame flood (tungstenite's attack guard)".into()),
        // TLS is tokio-rustls's (tungstenite has no TLS of its own here): its
        // failures on an open connection arrive as I/O errors around a rustls one.
        WsError::Io(io) => {
            let inner = io.get_ref();
            if let Some(stalled) = inner.and_then(|inner| inner.downcast_ref::<WriteStalled>()) {
                return write_stalled(&stalled.to_string(), connected_ms);
            }
            match inner.and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
                Some(tls) => Ending {
                    record: record(1015, "", Initiator::Transport, None, Some(format!("TLS: {tls}")), connected_ms),
                    send_close: None,
                },
                None => transport(&io.to_string(), connected_ms),
            }
        }
        WsError::WriteBufferFull(_) => {
            write_stalled("the server stopped reading: wsmon's write buffer is full", connected_ms)
        }
        other => transport(&other.to_string(), connected_ms),
    }
}

/// The stream ended (EOF) with no close frame.
pub fn end_of_stream(connected_ms: u64) -> Ending {
    transport("connection closed without a close frame", connected_ms)
}

/// No pong arrived within the ping timeout: wsmon gives up on the peer.
pub fn ping_timeout(timeout_ms: u64, connected_ms: u64) -> CloseRecord {
    let detail = format!("ping timeout: no pong within {}", crate::format::duration_ms(timeout_ms));
    record(1006, "", Initiator::Client, None, Some(detail), connected_ms)
}

/// A message could not be written within the limit: the peer stopped
/// reading, and wsmon gives up on it.
pub fn stalled_send(limit_ms: u64, connected_ms: u64) -> CloseRecord {
    let detail = format!("send stalled: not written within {}", crate::format::duration_ms(limit_ms));
    record(1006, "", Initiator::Client, None, Some(detail), connected_ms)
}

/// The peer does not read what wsmon must write: wsmon gives up on it
/// (a close frame would not fit either).
fn write_stalled(detail: &str, connected_ms: u64) -> Ending {
    Ending {
        record: record(1006, "", Initiator::Client, None, Some(detail.to_string()), connected_ms),
        send_close: None,
    }
}

/// The user closed the connection (pause, remove, reconnect now, quit).
pub fn user_close(code: u16, reason: &str, connected_ms: u64) -> CloseRecord {
    record(code, reason, Initiator::Client, None, None, connected_ms)
}

/// The HTTP upgrade failed after TCP (and TLS) connected. `status` is the
/// status code seen on the wire (None when no status line arrived): the
/// error alone cannot tell, since tungstenite refuses some responses before
/// it has a status to show (HTTP/1.0, too many headers) and fails with the
/// same errors while building the request, before anything is sent.
///
/// A TLS error before any status is a failure of the `tls` stage: in TLS
/// 1.3 the client's handshake is over before the server has checked the
/// client's certificate, so a server that wants one (or refuses the one
/// sent) says so with an alert while wsmon waits for the response.
/// `client_cert`: whether wsmon had a certificate to present.
pub fn upgrade_error(error: &WsError, status: Option<u16>, client_cert: bool) -> HandshakeFailure {
    if let (WsError::Io(io), None) = (error, status)
        && let Some(tls) = io.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return HandshakeFailure { stage: Stage::Tls, http_status: None, detail: tls_failure(tls, client_cert) };
    }
    let detail = match error {
        WsError::Http(response) => http_refusal(response),
        WsError::Protocol(
            why @ (ProtocolError::MissingUpgradeWebSocketHeader
            | ProtocolError::MissingConnectionUpgradeHeader
            | ProtocolError::SecWebSocketAcceptKeyMismatch
            | ProtocolError::SecWebSocketSubProtocolError(_)),
        ) => invalid_101(why),
        // tungstenite fails on text that is not ASCII in the subprotocol
        // of the 101 it checks, or in a header of the request it builds.
        WsError::Utf8(what) if status.is_some() => format!("101 response with a subprotocol that is not text: {what}"),
        WsError::Utf8(what) => format!("the request could not be built (nothing was sent): {what}"),
        other => other.to_string(),
    };
    HandshakeFailure { stage: Stage::Http, http_status: status, detail }
}

/// Where to cut `bytes` to at most `limit` without splitting a UTF-8
/// character (a Japanese error page would end in U+FFFD otherwise).
fn utf8_cut(bytes: &[u8], limit: usize) -> usize {
    let cut = bytes.len().min(limit);
    // Continuation bytes are 0b10xx_xxxx, at most three after a character's first.
    (cut.saturating_sub(3)..=cut)
        .rev()
        .find(|&end| bytes.get(end).is_none_or(|byte| byte & 0xC0 != 0x80))
        .unwrap_or(cut)
}

/// The TLS handshake failed (`client_cert`: wsmon had a certificate to
/// present). An alert from the server is named as RFC 8446 spells it, and
/// one about the client's certificate says so; any other error is rustls's
/// own words ("invalid peer certificate: UnknownIssuer").
pub fn tls_io_error(error: &std::io::Error, client_cert: bool) -> String {
    match error.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
        Some(tls) => tls_failure(tls, client_cert),
        None => error.to_string(),
    }
}

fn tls_failure(error: &rustls::Error, client_cert: bool) -> String {
    use rustls::AlertDescription as Alert;
    let rustls::Error::AlertReceived(alert) = error else { return error.to_string() };
    let name = alert_name(*alert);
    let about_a_certificate = matches!(
        alert,
        Alert::BadCertificate
            | Alert::UnsupportedCertificate
            | Alert::CertificateRevoked
            | Alert::CertificateExpired
            | Alert::CertificateUnknown
            | Alert::UnknownCA
            | Alert::AccessDenied
    );
    match alert {
        Alert::CertificateRequired => format!("the server asked for a client certificate (TLS alert {name})"),
        // The server's complaint can only be about the client's certificate.
        _ if about_a_certificate && client_cert => {
            format!("the server refused the client certificate (TLS alert {name})")
        }
        _ if about_a_certificate => format!("the server asked for a client certificate (TLS alert {name})"),
        _ => format!("the server ended the handshake (TLS alert {name})"),
    }
}

/// `unknown_ca` for rustls's `UnknownCA`: the alert's name in the RFCs.
fn alert_name(alert: rustls::AlertDescription) -> String {
    let Some(camel) = alert.as_str() else { return format!("number {}", u8::from(alert)) };
    let chars: Vec<char> = camel.chars().collect();
    let mut name = String::with_capacity(camel.len() + 4);
    for (index, &c) in chars.iter().enumerate() {
        let after_lower = index > 0 && chars[index - 1].is_ascii_lowercase();
        let ends_acronym = index > 0
            && chars[index - 1].is_ascii_uppercase()
            && chars.get(index + 1).is_some_and(char::is_ascii_lowercase);
        if c.is_ascii_uppercase() && (after_lower || ends_acronym) {
            name.push('_');
        }
        name.push(c.to_ascii_lowercase());
    }
    name
}

/// A response other than 101: its status line and the start of its body
/// (an HTML error page by its title: nginx's "400 No required SSL
/// certificate was sent").
fn http_refusal(response: &tokio_tungstenite::tungstenite::http::Response<Option<Vec<u8>>>) -> String {
    let status = response.status();
    let body = response.body().as_deref().map(body_text).filter(|body| !body.is_empty());
    let mut detail = format!("HTTP {} {}", status.as_u16(), status.canonical_reason().unwrap_or(""));
    if let Some(body) = body {
        detail.push_str(": ");
        detail.push_str(&body);
    }
    detail.trim_end().into()
}

/// A refusal's body in a few words: an HTML page's title, else its start.
fn body_text(body: &[u8]) -> String {
    let start = String::from_utf8_lossy(&body[..body.len().min(1024)]);
    // ASCII lowercasing keeps every byte offset.
    let lower = start.to_ascii_lowercase();
    let title = lower.find("<title>").and_then(|open| {
        let from = open + "<title>".len();
        lower[from..].find("</title>").map(|length| &start[from..from + length])
    });
    match title {
        Some(title) => title.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(120).collect(),
        None => String::from_utf8_lossy(&body[..utf8_cut(body, 120)]).trim().to_string(),
    }
}

/// Why a 101 response was refused, in the words of RFC 6455 §4.1.
fn invalid_101(why: &ProtocolError) -> String {
    use tokio_tungstenite::tungstenite::error::SubProtocolError;
    let rule = match why {
        ProtocolError::MissingUpgradeWebSocketHeader => "no 'Upgrade: websocket' header",
        ProtocolError::MissingConnectionUpgradeHeader => "no 'Connection: Upgrade' header",
        ProtocolError::SecWebSocketAcceptKeyMismatch => "wrong Sec-WebSocket-Accept",
        ProtocolError::SecWebSocketSubProtocolError(SubProtocolError::ServerSentSubProtocolNoneRequested) => {
            "a subprotocol that was not requested"
        }
        ProtocolError::SecWebSocketSubProtocolError(SubProtocolError::InvalidSubProtocol) => {
            "a subprotocol other than those requested"
        }
        ProtocolError::SecWebSocketSubProtocolError(SubProtocolError::NoSubProtocol) => {
            "no subprotocol although one was required"
        }
        other => return format!("invalid 101 response: {other}"),
    };
    format!("{rule} in the 101 response (RFC 6455 §4.1)")
}

fn transport(detail: &str, connected_ms: u64) -> Ending {
    Ending {
        record: record(1006, "", Initiator::Transport, None, Some(detail.to_string()), connected_ms),
        send_close: None,
    }
}

fn record(
    code: u16,
    reason: &str,
    initiator: Initiator,
    cause: Option<Cause>,
    detail: Option<String>,
    connected_ms: u64,
) -> CloseRecord {
    CloseRecord {
        code,
        reason: reason.to_string(),
        initiator,
        class: Class::of_code(code),
        cause,
        detail,
        connected_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_cut_between_characters() {
        let body = "エラー".repeat(20); // 3 bytes each: 120 falls on a boundary, 119 does not
        assert_eq!(utf8_cut(body.as_bytes(), 120), 120);
        assert_eq!(utf8_cut(body.as_bytes(), 119), 117);
        assert_eq!(utf8_cut(b"short", 120), 5);
        assert_eq!(utf8_cut(&[0x80; 10], 5), 5, "not UTF-8: cut where asked");
    }
    use tokio_tungstenite::tungstenite::protocol::frame::coding::Data;

    fn wire(code: u16, reason: &str) -> WireClose {
        WireClose { code: Some(code), reason: reason.into() }
    }

    #[test]
    fn server_close_frames_keep_their_code() {
        let cases = [
            (1012, Class::ServiceRestart, None),
            (1000, Class::Normal, None),
            (1001, Class::GoingAway, None),
            (1011, Class::InternalError, None),
            (1013, Class::TryAgainLater, None),
            (1014, Class::BadGateway, None),
            (4001, Class::Private, None),
            (3000, Class::Registered, None),
            (3003, Class::Registered, None),
            (3008, Class::Registered, None),
            (1002, Class::ProtocolError, Some(Cause::PeerReported)),
        ];
        for (code, class, cause) in cases {
            let record = server_close(&wire(code, "bye"), 5_000);
            assert_eq!(
                (record.code, record.initiator, record.class, record.cause),
                (code, Initiator::Server, class, cause),
                "code {code}"
            );
            assert_eq!(record.reason, "bye");
            assert_eq!(record.connected_ms, 5_000);
        }
    }

    #[test]
    fn close_frame_without_payload_is_no_status() {
        let record = server_close(&WireClose { code: None, reason: String::new() }, 10);
        assert_eq!((record.code, record.initiator, record.class), (1005, Initiator::Server, Class::NoStatus));
        assert_eq!(record.cause, None);
    }

    #[test]
    fn codes_that_may_not_be_sent_are_invalid_close_codes_never_peer_reported() {
        for code in [1004, 1005, 1006, 1015, 999, 2000, 5000] {
            let record = server_close(&wire(code, ""), 0);
            assert_eq!(
                (record.code, record.initiator, record.class, record.cause),
                (1002, Initiator::Client, Class::ProtocolError, Some(Cause::InvalidCloseCode)),
                "code {code}"
            );
            assert!(record.detail.unwrap().contains(&code.to_string()));
        }
    }

    #[test]
    fn protocol_violations_map_to_their_cause_and_send_1002() {
        let cases = [
            (ProtocolError::MaskedFrameFromServer, Cause::MaskedFrame),
            (ProtocolError::NonZeroReservedBits, Cause::ReservedBits),
            (ProtocolError::UnknownDataFrameType(3), Cause::ReservedOpcode),
            (ProtocolError::UnknownControlFrameType(0xB), Cause::ReservedOpcode),
            (ProtocolError::FragmentedControlFrame, Cause::FragmentedControlFrame),
            (ProtocolError::ControlFrameTooBig, Cause::ControlFrameTooBig),
            (ProtocolError::UnexpectedContinueFrame, Cause::UnexpectedContinuation),
            (ProtocolError::ExpectedFragment(Data::Text), Cause::ExpectedContinuation),
            (ProtocolError::InvalidCloseSequence, Cause::InvalidCloseFrame),
            (ProtocolError::ReceivedAfterClosing, Cause::Other),
        ];
        for (error, cause) in cases {
            let ending = read_error(&WsError::Protocol(error), 7);
            assert_eq!(ending.send_close, Some(1002));
            assert_eq!(
                (ending.record.code, ending.record.initiator, ending.record.class, ending.record.cause),
                (1002, Initiator::Client, Class::ProtocolError, Some(cause))
            );
            assert!(ending.record.detail.is_some());
        }
    }

    #[test]
    fn reserved_opcode_detail_names_the_opcode() {
        let ending = read_error(&WsError::Protocol(ProtocolError::UnknownControlFrameType(0xB)), 0);
        assert!(ending.record.detail.unwrap().contains("0xB"));
    }

    #[test]
    fn reset_without_closing_handshake_is_a_dropped_connection() {
        let ending = read_error(&WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake), 3);
        assert_eq!((ending.record.code, ending.record.initiator), (1006, Initiator::Transport));
        assert_eq!(ending.record.class, Class::Abnormal);
        assert_eq!(ending.send_close, None);
        let io = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let ending = read_error(&WsError::Io(io), 3);
        assert_eq!((ending.record.code, ending.record.initiator), (1006, Initiator::Transport));
    }

    #[test]
    fn a_tls_failure_on_an_open_connection_is_1015() {
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, rustls::Error::DecryptError);
        let ending = read_error(&WsError::Io(io), 3);
        assert_eq!((ending.record.code, ending.record.initiator), (1015, Initiator::Transport));
        assert!(ending.record.detail.as_deref().is_some_and(|detail| detail.starts_with("TLS: ")), "{ending:?}");
    }

    #[test]
    fn invalid_utf8_and_oversized_messages_fail_with_their_own_code() {
        let ending = read_error(&WsError::Utf8("bad byte".into()), 0);
        assert_eq!(
            (ending.record.code, ending.record.class, ending.send_close),
            (1007, Class::InvalidPayload, Some(1007))
        );
        let too_long = WsError::Capacity(CapacityError::MessageTooLong { size: 70_000, max_size: 65_536 });
        let ending = read_error(&too_long, 0);
        assert_eq!(
            (ending.record.code, ending.record.class, ending.send_close),
            (1009, Class::MessageTooBig, Some(1009))
        );
        assert_eq!(ending.record.initiator, Initiator::Client);
    }

    #[test]
    fn ping_timeout_is_1006_by_the_client() {
        let record = ping_timeout(10_000, 42_000);
        assert_eq!((record.code, record.initiator, record.class), (1006, Initiator::Client, Class::Abnormal));
        assert!(record.detail.unwrap().contains("ping timeout"));
    }

    #[test]
    fn accept_key_mismatch_is_an_http_stage_failure() {
        let failure = upgrade_error(&WsError::Protocol(ProtocolError::SecWebSocketAcceptKeyMismatch), Some(101), false);
        assert_eq!((failure.stage, failure.http_status), (Stage::Http, Some(101)));
        assert!(failure.detail.contains("Sec-WebSocket-Accept"));
    }

    /// The status is the one seen on the wire, whatever the error.
    #[test]
    fn the_status_comes_from_the_wire_not_from_the_error() {
        let version = WsError::Protocol(ProtocolError::WrongHttpVersion);
        assert_eq!(upgrade_error(&version, Some(101), false).http_status, Some(101));
        let crowded = WsError::Capacity(CapacityError::TooManyHeaders);
        assert_eq!(upgrade_error(&crowded, Some(101), false).http_status, Some(101));
        let request = upgrade_error(&WsError::Utf8("failed to convert header to a str".into()), None, false);
        assert_eq!(request.http_status, None);
        assert!(request.detail.contains("request could not be built"), "{request:?}");
        let response = upgrade_error(&WsError::Utf8("failed to convert header to a str".into()), Some(101), false);
        assert_eq!(response.http_status, Some(101));
        assert!(response.detail.contains("subprotocol that is not text"), "{response:?}");
    }

    fn alert(alert: rustls::AlertDescription) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, rustls::Error::AlertReceived(alert))
    }

    #[test]
    fn tls_alerts_about_client_certificates_are_named() {
        use rustls::AlertDescription as Alert;
        let required = "the server asked for a client certificate (TLS alert certificate_required)";
        assert_eq!(tls_io_error(&alert(Alert::CertificateRequired), false), required);
        assert_eq!(
            tls_io_error(&alert(Alert::UnknownCA), true),
            "the server refused the client certificate (TLS alert unknown_ca)"
        );
        assert_eq!(
            tls_io_error(&alert(Alert::BadCertificate), false),
            "the server asked for a client certificate (TLS alert bad_certificate)",
            "without one, a complaint about a certificate means the server wants one"
        );
        assert_eq!(
            tls_io_error(&alert(Alert::HandshakeFailure), false),
            "the server ended the handshake (TLS alert handshake_failure)"
        );
        assert_eq!(alert_name(Alert::UnknownPSKIdentity), "unknown_psk_identity");
        assert_eq!(alert_name(Alert::BadRecordMac), "bad_record_mac");
        assert_eq!(alert_name(Alert::Unknown(200)), "number 200");
        let other = std::io::Error::new(std::io::ErrorKind::InvalidData, rustls::Error::DecryptError);
        assert_eq!(tls_io_error(&other, false), rustls::Error::DecryptError.to_string());
    }

    /// TLS 1.3: the alert comes after the client's handshake, while wsmon
    /// waits for the HTTP response. It is still the TLS stage's failure.
    #[test]
    fn a_tls_alert_before_any_response_fails_the_tls_stage() {
        let failure = upgrade_error(&WsError::Io(alert(rustls::AlertDescription::CertificateRequired)), None, false);
        assert_eq!((failure.stage, failure.http_status), (Stage::Tls, None));
        assert!(failure.detail.contains("asked for a client certificate"), "{failure:?}");
        let reset = upgrade_error(&WsError::Io(std::io::ErrorKind::ConnectionReset.into()), None, false);
        assert_eq!(reset.stage, Stage::Http, "any other I/O error stays the HTTP stage's");
    }

    #[test]
    fn an_html_error_page_is_told_by_its_title() {
        let page = "<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n<body>\r\n\
                    <center><h1>400 Bad Request</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
        assert_eq!(body_text(page.as_bytes()), "400 No required SSL certificate was sent");
        assert_eq!(body_text(b"  plain words  "), "plain words");
        assert_eq!(body_text("<TITLE>\n  Caf\u{e9}\n  closed </TITLE>".as_bytes()), "Caf\u{e9} closed");
    }
}
