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

/// Peak resident memory wsmon may reach whatever one peer does.
const RSS_LIMIT_KIB: u64 = 200 * 1024;

/// A figure of /proc/PID/status in KiB ("VmRSS", "VmHWM").
fn proc_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc is readable");
    let line = status.lines().find(|line| line.starts_with(field)).expect("the field is there");
    line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).expect("a number of KiB")
}

/// A server floods pings and never reads: wsmon owes it a pong for each,
/// which would pile up in the write buffer. With wsmon's own pings off,
/// the connection fails once the buffer is full, and the peak RSS stays
/// under the limit (sampled while waiting, so a leak fails fast).
#[tokio::test]
async fn a_ping_flood_from_a_peer_that_never_reads_is_bounded() {
    let address = flooding_server(frame(0x89, &[b'p'; 125])).await;
    let mut wsmon = child::Wsmon::start(&["watch", "--json", "--no-log", "--ping-interval", "0s", &url(address)]);
    let pid = wsmon.child.id().expect("running");
    let sample = async {
        loop {
            let rss = proc_kib(pid, "VmRSS:");
            if rss > RSS_LIMIT_KIB {
                return rss;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    let closed = tokio::select! {
        line = wsmon.until(|line| line.contains(r#""event":"closed""#)) => json(&line),
        rss = sample => panic!("wsmon grew to {rss} KiB under the ping flood"),
    };
    let peak = proc_kib(pid, "VmHWM:");
    assert!(peak < RSS_LIMIT_KIB, "peak RSS {peak} KiB");
    assert_eq!((&closed["code"], &closed["initiator"]), (&1006.into(), &"client".into()), "{closed}");
    assert!(closed["detail"].as_str().unwrap().contains("stopped reading"), "{closed}");
}
