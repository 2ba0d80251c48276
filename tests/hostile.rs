//! A hostile server on 127.0.0.1 tries to make wsmon misreport, leak a
//! secret or grow without bound; each test is one attack.

mod common;

use common::*;

/// The head ends with bare LF (httparse accepts it) and a binary frame's
/// payload holds CRLFCRLF and a forged close frame: wsmon reports the real
/// close that follows, not the forgery.
#[tokio::test]
async fn a_bare_lf_head_cannot_forge_a_close() {
    let bare_lf = |accept: &str| switching_protocols(accept).replace("\r\n", "\n");
    let mut payload = b"\r\n\r\n".to_vec();
    payload.extend(frame(0x88, &close_payload(1000, "forged")));
    let bytes = [frame(0x82, &payload), frame(0x88, &close_payload(1012, "real"))].concat();
    let peer = raw_server_answering(bare_lf, bytes).await;
    let event = first_close(&url(peer.address), options()).await;
    assert_eq!((&event["code"], &event["reason"]), (&1012.into(), &"real".into()), "{event}");
}
