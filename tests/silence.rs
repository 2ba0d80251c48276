//! `expect_message_within`: a feed that stops while the connection stays
//! open (and keeps answering pings) becomes silent after the configured
//! time, a steady feed never does, and the next message clears it; through
//! the engine and through the real binary.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::child::Wsmon;
use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;
use wsmon::engine::Engine;
use wsmon::event::EventKind;

const WITHIN: Duration = Duration::from_millis(300);

/// A feed: `burst` messages 20 ms apart, then nothing until `resume` is
/// notified, then one more. It keeps reading, so pings are answered.
async fn stopping_feed(burst: usize, resume: Arc<Notify>) -> std::net::SocketAddr {
    let (listener, address) = listen().await;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let resume = resume.clone();
            tokio::spawn(async move {
                let Ok(ws) = tokio_tungstenite::accept_async(stream).await else { return };
                let (mut sink, mut stream) = ws.split();
                tokio::spawn(async move { while let Some(Ok(_)) = stream.next().await {} });
                for n in 0..burst {
                    if sink.send(Message::text(format!("tick {n}"))).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                resume.notified().await;
                let _ = sink.send(Message::text("back")).await;
                std::future::pending::<()>().await;
            });
        }
    });
    address
}

fn feed_spec(address: std::net::SocketAddr) -> wsmon::engine::ConnSpec {
    let mut options = options();
    options.expect_message_within = Some(WITHIN);
    options.ping_interval = Some(Duration::from_millis(50));
    spec("feed", &url(address), options)
}

#[tokio::test]
async fn a_feed_that_stops_becomes_silent_and_the_next_message_clears_it() {
    let resume = Arc::new(Notify::new());
    let address = stopping_feed(5, resume.clone()).await;
    let (mut engine, mut events) = Engine::new();
    engine.add(feed_spec(address));
    next_matching(&mut events, |kind| matches!(kind, EventKind::Open { .. })).await;
    let mut received = 0;
    let mut pongs = 0;
    let silent = loop {
        let event = next_matching(&mut events, |_| true).await;
        match event.kind {
            EventKind::Traffic(traffic) => received += traffic.msgs_in,
            EventKind::Rtt { .. } => pongs += 1,
            EventKind::Silent { silent_ms } => break silent_ms,
            EventKind::Closed(record) => panic!("closed: {record:?}"),
            _ => {}
        }
    };
    assert_eq!(received, 5, "the whole burst came before the silence");
    assert!(pongs > 0, "pings kept answering: silence is about messages");
    assert!(silent_ms_in_range(silent), "{silent} ms");
    resume.notify_one();
    let ended = next_matching(&mut events, |kind| matches!(kind, EventKind::SilenceEnded { .. })).await;
    let EventKind::SilenceEnded { silent_ms } = ended.kind else { unreachable!() };
    assert!(silent_ms >= silent, "the silence lasted at least as long as when it was told: {silent_ms} < {silent}");
    engine.shutdown(Duration::from_millis(200)).await;
}

fn silent_ms_in_range(silent_ms: u64) -> bool {
    silent_ms >= WITHIN.as_millis() as u64 && silent_ms < 10 * WITHIN.as_millis() as u64
}

/// A feed with a message every 20 ms is never silent with 200 ms allowed:
/// watched for 60 messages (six windows), no `silent`.
#[tokio::test]
async fn a_steady_feed_is_never_silent() {
    let (listener, address) = listen().await;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else { return };
                for n in 0..10_000 {
                    if ws.send(Message::text(format!("tick {n}"))).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            });
        }
    });
    let mut options = options();
    options.expect_message_within = Some(Duration::from_millis(200));
    let (mut engine, mut events) = Engine::new();
    engine.add(spec("steady", &url(address), options));
    let mut received = 0;
    while received < 60 {
        let event = next_matching(&mut events, |_| true).await;
        match event.kind {
            EventKind::Traffic(traffic) => received += traffic.msgs_in,
            EventKind::Silent { silent_ms } => panic!("silent after {silent_ms} ms with a message every 20 ms"),
            _ => {}
        }
    }
    engine.shutdown(Duration::from_millis(200)).await;
}

/// Through the binary: the `silent` line, the summary's `silent_at_end`,
/// and the readable line.
#[tokio::test]
async fn watch_reports_a_silent_feed_in_its_lines_and_summary() {
    let resume = Arc::new(Notify::new());
    let address = stopping_feed(2, resume.clone()).await;
    let target = format!("feed={}", url(address));
    let mut wsmon = Wsmon::start(&["watch", "--json", "--expect-message-within", "300ms", &target]);
    let line = wsmon.until(|line| json(line)["event"] == "silent").await;
    assert!(silent_ms_in_range(json(&line)["silent_ms"].as_u64().unwrap()), "{line}");
    assert_eq!(wsmon.interrupt().await.0, 0);
    let summary = wsmon.seen.iter().map(|line| json(line)).find(|value| value["event"] == "summary").unwrap();
    assert_eq!(summary["silent_at_end"], serde_json::json!(["feed"]), "{summary}");

    let resume = Arc::new(Notify::new());
    let address = stopping_feed(2, resume.clone()).await;
    let target = format!("feed={}", url(address));
    let mut wsmon = Wsmon::start(&["watch", "--expect-message-within", "300ms", &target]);
    wsmon.until(|line| line.contains("feed silent: no message for")).await;
    resume.notify_one();
    wsmon.until(|line| line.contains("feed a message again after")).await;
    assert_eq!(wsmon.interrupt().await.0, 0);
}
