//! One test per row of the outcome tables: a real server on 127.0.0.1 does
//! one thing, and the `closed` / `handshake_failed` event says exactly what
//! the contract says it must.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};

/// Asserts code, initiator, class and cause of a `closed` event.
fn assert_close(event: &Value, code: u16, initiator: &str, class: &str, cause: Option<&str>) {
    assert_eq!(event["event"], "closed", "{event}");
    assert_eq!(
        (&event["code"], &event["initiator"], &event["class"], &event["cause"]),
        (&json!(code), &json!(initiator), &json!(class), &json!(cause)),
        "{event}"
    );
    assert!(event["connected_ms"].is_u64(), "{event}");
}

async fn server_closes_with(code: u16, reason: &'static str) -> Value {
    let address = closing_server(Some(code), reason).await;
    first_close(&url(address), options()).await
}

/// A raw server writes `bytes` after the handshake; returns the close event
/// and the close code wsmon sent back, if any.
async fn raw_bytes(bytes: Vec<u8>) -> (Value, Option<u16>) {
    let mut peer = raw_server(bytes).await;
    let event = first_close(&url(peer.address), options()).await;
    let sent = tokio::time::timeout(LIMIT, peer.received.recv()).await.expect("the server saw the client go").unwrap();
    (event, client_close_code(&sent))
}

#[tokio::test]
async fn close_1012_is_a_service_restart() {
    let event = server_closes_with(1012, "restart").await;
    assert_close(&event, 1012, "server", "service_restart", None);
    assert_eq!(event["reason"], "restart");
    assert_eq!(event["detail"], Value::Null);
}

#[tokio::test]
async fn ordinary_close_codes_keep_their_class() {
    for (code, class) in
        [(1000, "normal"), (1001, "going_away"), (1011, "internal_error"), (1013, "try_again_later"), (4001, "private")]
    {
        let event = server_closes_with(code, "bye").await;
        assert_close(&event, code, "server", class, None);
    }
}

#[tokio::test]
async fn close_without_payload_is_no_status() {
    let address = closing_server(None, "").await;
    let event = first_close(&url(address), options()).await;
    assert_close(&event, 1005, "server", "no_status", None);
}

#[tokio::test]
async fn close_1014_stays_bad_gateway_although_tungstenite_rewrites_it() {
    let event = server_closes_with(1014, "upstream restarting").await;
    assert_close(&event, 1014, "server", "bad_gateway", None);
    assert_eq!(event["reason"], "upstream restarting", "the reason on the wire, not tungstenite's");
}

#[tokio::test]
async fn registered_codes_are_registered() {
    for code in [3000, 3003, 3008] {
        let event = server_closes_with(code, "").await;
        assert_close(&event, code, "server", "registered", None);
    }
}

#[tokio::test]
async fn close_1002_from_the_server_is_peer_reported() {
    let event = server_closes_with(1002, "you broke it").await;
    assert_close(&event, 1002, "server", "protocol_error", Some("peer_reported"));
}

/// Protocol violations: wsmon reports 1002 with the rule broken, and sends
/// close 1002 to the server before dropping TCP (RFC 6455 §7.1.7).
async fn violation(bytes: Vec<u8>, cause: &str) -> Value {
    let (event, sent) = raw_bytes(bytes).await;
    assert_close(&event, 1002, "client", "protocol_error", Some(cause));
    assert!(event["detail"].as_str().is_some_and(|d| !d.is_empty()), "{event}");
    assert_eq!(sent, Some(1002), "wsmon tells the server why: {event}");
    event
}

#[tokio::test]
async fn a_masked_frame_is_a_protocol_error() {
    let masked = vec![0x81, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2];
    violation(masked, "masked_frame").await;
}

#[tokio::test]
async fn reserved_bits_are_a_protocol_error() {
    for first_byte in [0xC1, 0xA1, 0x91] {
        violation(frame(first_byte, b"x"), "reserved_bits").await;
    }
}

#[tokio::test]
async fn reserved_opcodes_are_a_protocol_error() {
    let data = violation(frame(0x83, b"x"), "reserved_opcode").await;
    assert!(data["detail"].as_str().unwrap().contains("0x3"), "{data}");
    let control = violation(frame(0x8B, b""), "reserved_opcode").await;
    assert!(control["detail"].as_str().unwrap().contains("0xB"), "{control}");
}

#[tokio::test]
async fn a_fragmented_ping_is_a_protocol_error() {
    violation(frame(0x09, b"ping"), "fragmented_control_frame").await;
}

#[tokio::test]
async fn a_ping_of_126_bytes_is_a_protocol_error() {
    let mut bytes = vec![0x89, 126, 0, 126];
    bytes.extend(std::iter::repeat_n(b'p', 126));
    violation(bytes, "control_frame_too_big").await;
}

#[tokio::test]
async fn a_continuation_with_nothing_to_continue_is_a_protocol_error() {
    violation(frame(0x80, b"tail"), "unexpected_continuation").await;
}

#[tokio::test]
async fn a_new_message_inside_a_fragmented_one_is_a_protocol_error() {
    let bytes = [frame(0x01, b"first half"), frame(0x81, b"intruder")].concat();
    violation(bytes, "expected_continuation").await;
}

#[tokio::test]
async fn a_close_frame_of_one_byte_is_a_protocol_error() {
    violation(frame(0x88, &[0x03]), "invalid_close_frame").await;
}

#[tokio::test]
async fn close_codes_that_may_not_be_sent_are_invalid_close_codes() {
    for code in [1005, 1006, 1015, 999] {
        let (event, sent) = raw_bytes(frame(0x88, &close_payload(code, ""))).await;
        assert_close(&event, 1002, "client", "protocol_error", Some("invalid_close_code"));
        assert!(event["detail"].as_str().unwrap().contains(&code.to_string()), "detail names {code}: {event}");
        assert_eq!(sent, Some(1002), "the reply to a bad close code is 1002");
    }
}

#[tokio::test]
async fn invalid_utf8_in_a_text_frame_is_1007() {
    let (event, sent) = raw_bytes(frame(0x81, &[0xC3, 0x28])).await;
    assert_close(&event, 1007, "client", "invalid_payload", None);
    assert_eq!(sent, Some(1007));
}

#[tokio::test]
async fn a_message_over_the_limit_is_1009() {
    let address = sending_server(4_096).await;
    let options = wsmon::engine::ConnOptions { max_message_size: 1_024, ..options() };
    let event = first_close(&url(address), options).await;
    assert_close(&event, 1009, "client", "message_too_big", None);
}

/// A server that completes the handshake and then drops TCP: with a FIN
/// (EOF), or with `reset`, an RST.
async fn dropping_server(reset: bool) -> std::net::SocketAddr {
    let (listener, address) = listen().await;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                if reset {
                    // SO_LINGER 0 makes the drop an RST; blocking on drop is
                    // exactly what this test wants.
                    #[allow(deprecated)]
                    stream.set_linger(Some(Duration::ZERO)).expect("SO_LINGER");
                }
                if let Ok(ws) = tokio_tungstenite::accept_async(stream).await {
                    drop(ws); // no close frame
                }
            });
        }
    });
    address
}

#[tokio::test]
async fn eof_or_reset_without_a_close_frame_is_1006_by_the_transport() {
    for reset in [false, true] {
        let address = dropping_server(reset).await;
        let event = first_close(&url(address), options()).await;
        assert_close(&event, 1006, "transport", "abnormal", None);
    }
}

#[tokio::test]
async fn a_peer_that_stops_answering_pings_is_1006_by_the_client() {
    let address = silent_server().await;
    let options = wsmon::engine::ConnOptions {
        ping_interval: Some(Duration::from_millis(100)),
        ping_timeout: Duration::from_millis(300),
        ..options()
    };
    let event = first_close(&url(address), options).await;
    assert_close(&event, 1006, "client", "abnormal", None);
    assert!(event["detail"].as_str().unwrap().contains("ping timeout"), "{event}");
}

fn assert_failure(event: &Value, stage: &str, status: Option<u16>) {
    assert_eq!(event["event"], "handshake_failed", "{event}");
    assert_eq!((&event["stage"], &event["http_status"]), (&json!(stage), &json!(status)), "{event}");
    assert_eq!(event["class"], "handshake");
    assert!(event["detail"].as_str().is_some_and(|d| !d.is_empty()), "{event}");
}

#[tokio::test]
async fn http_404_and_500_fail_the_http_stage() {
    for (status, response) in [
        (404, "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nno route\n"),
        (500, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"),
    ] {
        let address = http_server(response).await;
        let event = first_failure(&url(address), options()).await;
        assert_failure(&event, "http", Some(status));
    }
}

#[tokio::test]
async fn a_wrong_accept_key_fails_the_http_stage() {
    let response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: d3Jvbmc=\r\n\r\n";
    let address = http_server(response).await;
    let event = first_failure(&url(address), options()).await;
    assert_failure(&event, "http", Some(101));
    assert!(event["detail"].as_str().unwrap().contains("Sec-WebSocket-Accept"));
}

/// A 101 that fails validation still had a status line: it is 101.
#[tokio::test]
async fn a_101_that_breaks_the_upgrade_rules_keeps_its_status() {
    let address = http_server("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n").await;
    let event = first_failure(&url(address), options()).await;
    assert_failure(&event, "http", Some(101));
    assert!(event["detail"].as_str().unwrap().contains("Upgrade: websocket"), "{event}");

    let unrequested =
        |accept: &str| switching_protocols(accept).replace("\r\n\r\n", "\r\nSec-WebSocket-Protocol: chat\r\n\r\n");
    let peer = raw_server_answering(unrequested, Vec::new()).await;
    let event = first_failure(&url(peer.address), options()).await;
    assert_failure(&event, "http", Some(101));
    assert!(event["detail"].as_str().unwrap().contains("subprotocol that was not requested"), "{event}");
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_timeout() {
    let address = mute_server().await;
    let options = wsmon::engine::ConnOptions { connect_timeout: Duration::from_millis(300), ..options() };
    let event = first_failure(&url(address), options).await;
    assert_failure(&event, "timeout", None);
    assert!(event["detail"].as_str().unwrap().contains("HTTP upgrade"), "{event}");
}

#[tokio::test]
async fn a_closed_port_fails_the_tcp_stage() {
    let address = closed_port().await;
    let event = first_failure(&url(address), options()).await;
    assert_failure(&event, "tcp", None);
    assert!(event["detail"].as_str().unwrap().contains("refused"), "{event}");
}

#[tokio::test]
async fn an_unknown_host_fails_the_dns_stage() {
    // A label over 63 bytes in the reserved .invalid domain: the resolver
    // refuses it locally, so no query leaves the machine.
    let host = format!("{}.invalid", "x".repeat(70));
    let event = first_failure(&format!("ws://{host}/"), options()).await;
    assert_failure(&event, "dns", None);
}

#[tokio::test]
async fn wss_to_a_server_that_speaks_no_tls_fails_the_tls_stage() {
    let address = echo_server().await;
    let event = first_failure(&format!("wss://{address}/"), options()).await;
    assert_failure(&event, "tls", None);
}

/// tungstenite refuses a 101 in HTTP/1.0, but a status line arrived: the
/// failure says 101, as for any other 101 it refuses.
#[tokio::test]
async fn an_http_1_0_101_keeps_its_status() {
    let http_1_0 = |accept: &str| switching_protocols(accept).replacen("HTTP/1.1", "HTTP/1.0", 1);
    let peer = raw_server_answering(http_1_0, Vec::new()).await;
    let event = first_failure(&url(peer.address), options()).await;
    assert_failure(&event, "http", Some(101));
}

/// A 101 with more headers than tungstenite parses (124) fails with "too
/// many headers", after its status line arrived: 101.
#[tokio::test]
async fn a_101_with_too_many_headers_keeps_its_status() {
    let crowded = |accept: &str| {
        let extra: String = (0..130).map(|n| format!("X-Filler-{n}: x\r\n")).collect();
        switching_protocols(accept).replace("\r\n\r\n", &format!("\r\n{extra}\r\n"))
    };
    let peer = raw_server_answering(crowded, Vec::new()).await;
    let event = first_failure(&url(peer.address), options()).await;
    assert_failure(&event, "http", Some(101));
}

/// A subprotocol that cannot go in a request (not ASCII) fails before a
/// byte is sent, against a server that never answers: no status arrived.
#[tokio::test]
async fn a_request_that_cannot_be_sent_has_no_status() {
    let address = mute_server().await;
    let options = wsmon::engine::ConnOptions {
        subprotocols: vec!["chät".into()],
        connect_timeout: Duration::from_millis(300),
        ..options()
    };
    let event = first_failure(&url(address), options).await;
    assert_eq!(event["http_status"], Value::Null, "{event}");
    assert!(event["detail"].as_str().unwrap().contains("subprotocol"), "{event}");
}

/// The command line refuses a subprotocol that is not a token at start-up,
/// saying why and what to write instead.
#[tokio::test]
async fn a_subprotocol_that_is_not_a_token_is_refused_at_start_up() {
    let dirs = tempfile::tempdir().unwrap();
    let args = ["watch", "--json", "--no-log", "--duration", "1s", "--subprotocol", "chät", "ws://127.0.0.1:9/"];
    let (status, _, stderr) = child::run(dirs.path(), &args).await;
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.contains("chät") && stderr.contains("token"), "{stderr}");
}

/// A typed message larger than what wsmon may queue for the peer (about
/// 64 KiB unless a `send_on_open` message is longer) is refused: the
/// connection stays open and the next message goes out, where queuing it
/// would have failed the connection as if the server had stopped reading.
#[tokio::test]
async fn a_typed_message_over_the_write_bound_is_refused_and_the_connection_stays() {
    use wsmon::engine::{Command, Engine};
    use wsmon::event::{EventKind, Traffic};
    let address = echo_server().await;
    let (mut engine, mut events) = Engine::new();
    let id = engine.add(spec("t", &url(address), options()));
    next_matching(&mut events, |kind| matches!(kind, EventKind::Open { .. })).await;
    engine.command(id, Command::SendText("x".repeat(100 * 1024)));
    engine.command(id, Command::SendText("small".into()));
    let mut total = Traffic::default();
    while total.msgs_in < 1 {
        let wanted = |kind: &EventKind| matches!(kind, EventKind::Traffic(_) | EventKind::Closed(_));
        match next_matching(&mut events, wanted).await.kind {
            EventKind::Traffic(delta) => total.add(&delta),
            other => panic!("the connection ended: {other:?}"),
        }
    }
    assert_eq!((total.msgs_out, total.bytes_out, total.msgs_in, total.bytes_in), (1, 5, 1, 5));
    engine.shutdown(Duration::from_millis(200)).await;
}
