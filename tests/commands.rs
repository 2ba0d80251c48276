//! Commands obeyed by a live connection: send text, pause and resume,
//! reconnect now (open or waiting), remove, and a rule set to `off`.

mod common;

use common::*;
use wsmon::close::{Class, Initiator};
use wsmon::engine::policy::{RuleSetting, Rules, Selector};
use wsmon::engine::{Command, ConnOptions, Engine};
use wsmon::event::{ConnId, EventKind, Traffic};

fn closed(kind: &EventKind) -> bool {
    matches!(kind, EventKind::Closed(_))
}

fn open(kind: &EventKind) -> bool {
    matches!(kind, EventKind::Open { .. })
}

/// Traffic deltas summed until one message went each way.
async fn traffic_both_ways(events: &mut tokio::sync::mpsc::UnboundedReceiver<wsmon::event::Event>) -> Traffic {
    let mut total = Traffic::default();
    while total.msgs_in < 1 || total.msgs_out < 1 {
        let EventKind::Traffic(delta) = next_matching(events, |k| matches!(k, EventKind::Traffic(_))).await.kind else {
            unreachable!()
        };
        total.add(&delta);
    }
    total
}

#[tokio::test]
async fn sent_text_is_counted_both_ways() {
    let address = echo_server().await;
    let (mut engine, mut events) = Engine::new();
    let id = engine.add(spec("echo", &url(address), options()));
    next_matching(&mut events, open).await;
    engine.command(id, Command::SendText("hello".into()));
    let total = traffic_both_ways(&mut events).await;
    assert_eq!((total.msgs_out, total.bytes_out, total.msgs_in, total.bytes_in), (1, 5, 1, 5));
}

#[tokio::test]
async fn messages_sent_on_open_are_counted_too() {
    let address = echo_server().await;
    let (mut engine, mut events) = Engine::new();
    let options = ConnOptions { send_on_open: vec!["subscribe".into()], ..options() };
    engine.add(spec("echo", &url(address), options));
    let total = traffic_both_ways(&mut events).await;
    assert_eq!((total.msgs_out, total.bytes_out, total.msgs_in, total.bytes_in), (1, 9, 1, 9));
}

#[tokio::test]
async fn pause_closes_and_holds_until_resume() {
    let address = echo_server().await;
    let (mut engine, mut events) = Engine::new();
    let id = engine.add(spec("echo", &url(address), options()));
    next_matching(&mut events, open).await;

    engine.command(id, Command::Pause);
    let EventKind::Closed(record) = next_matching(&mut events, closed).await.kind else { unreachable!() };
    assert_eq!((record.code, record.initiator, record.reason.as_str()), (1000, Initiator::Client, "paused"));
    let next = next_matching(&mut events, |_| true).await;
    assert_eq!(next.kind, EventKind::Paused, "no reconnect is scheduled while paused");

    engine.command(id, Command::Resume);
    assert_eq!(next_matching(&mut events, |_| true).await.kind, EventKind::Resumed);
    assert_eq!(next_matching(&mut events, |_| true).await.kind, EventKind::Connecting { attempt: 1 });
    next_matching(&mut events, open).await;
}

#[tokio::test]
async fn reconnect_now_skips_the_wait() {
    // A 1002 from the server means a 10 s wait; reconnect-now cuts it short.
    let address = closing_server(Some(1002), "bad").await;
    let (mut engine, mut events) = Engine::new();
    let id = engine.add(spec("bad", &url(address), options()));
    let scheduled = next_matching(&mut events, |k| matches!(k, EventKind::ReconnectScheduled { .. })).await;
    assert!(matches!(scheduled.kind, EventKind::ReconnectScheduled { delay_ms: 10_000, .. }));
    let asked = std::time::Instant::now();
    engine.command(id, Command::ReconnectNow);
    next_matching(&mut events, |k| matches!(k, EventKind::Connecting { .. })).await;
    assert!(asked.elapsed() < std::time::Duration::from_secs(5), "did not wait out the 10 s");
}

#[tokio::test]
async fn reconnect_now_while_open_closes_and_reopens() {
    let address = echo_server().await;
    let (mut engine, mut events) = Engine::new();
    let id = engine.add(spec("echo", &url(address), options()));
    next_matching(&mut events, open).await;
    engine.command(id, Command::ReconnectNow);
    let EventKind::Closed(record) = next_matching(&mut events, closed).await.kind else { unreachable!() };
    assert_eq!((record.code, record.reason.as_str()), (1000, "reconnect requested"));
    let next = next_matching(&mut events, |_| true).await;
    assert_eq!(next.kind, EventKind::Connecting { attempt: 1 }, "straight back, no delay");
    next_matching(&mut events, open).await;
}

#[tokio::test]
async fn remove_closes_and_ends_the_connection() {
    let address = echo_server().await;
    let (mut engine, mut events) = Engine::new();
    let id = engine.add(spec("echo", &url(address), options()));
    next_matching(&mut events, open).await;
    engine.command(id, Command::Remove);
    next_matching(&mut events, closed).await;
    assert_eq!(next_matching(&mut events, |_| true).await.kind, EventKind::Removed);
    // Commands to a removed connection are ignored, not a panic.
    engine.command(id, Command::ReconnectNow);
    engine.command(ConnId(99), Command::Pause);
}

#[tokio::test]
async fn a_rule_set_to_off_holds_the_connection_until_asked() {
    let address = closing_server(Some(1002), "bad").await;
    let rules = Rules { overrides: vec![(Selector::Class(Class::ProtocolError), RuleSetting::Off)] };
    let (mut engine, mut events) = Engine::new();
    let id = engine.add(spec("bad", &url(address), wsmon::engine::ConnOptions { rules, ..options() }));
    next_matching(&mut events, closed).await;
    let held = next_matching(&mut events, |_| true).await;
    assert_eq!(held.kind, EventKind::ReconnectOff { rule: "protocol_error".into() });
    engine.command(id, Command::ReconnectNow);
    assert_eq!(next_matching(&mut events, |_| true).await.kind, EventKind::Resumed);
    next_matching(&mut events, |k| matches!(k, EventKind::Connecting { .. })).await;
}

/// After a 1002 the reconnect is refused (the server is gone): the policy
/// keeps waiting on the protocol rule, and says the connection still needs
/// attention in the event, so no one downstream has to guess.
#[tokio::test]
async fn a_refused_retry_after_a_1002_still_needs_attention() {
    use futures_util::StreamExt;
    let (listener, address) = listen().await;
    tokio::spawn(async move {
        let Ok((stream, _)) = listener.accept().await else { return };
        drop(listener); // the next try is refused
        let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else { return };
        let frame = tokio_tungstenite::tungstenite::protocol::CloseFrame { code: 1002.into(), reason: "broken".into() };
        let _ = ws.close(Some(frame)).await;
        while let Some(Ok(_)) = ws.next().await {}
    });
    let (mut engine, mut events) = Engine::new();
    // The protocol rule's 10 s and 20 s, a thousand times shorter.
    engine.add(spec("api", &url(address), ConnOptions { delay_divisor: 1_000.0, ..options() }));
    let scheduled = |kind: &EventKind| matches!(kind, EventKind::ReconnectScheduled { .. });
    let first = next_matching(&mut events, scheduled).await;
    next_matching(&mut events, |kind| matches!(kind, EventKind::HandshakeFailed(_))).await;
    let second = next_matching(&mut events, scheduled).await;
    for event in [first, second] {
        let EventKind::ReconnectScheduled { rule, attention, .. } = event.kind else { unreachable!() };
        assert_eq!((rule.as_str(), attention), ("protocol", Some(true)));
    }
}

/// A service that restarts again soon after it came back, over and over
/// (here 10× faster than 1012 every 8 s with 2 s down): the first delay
/// after every 1012 is the restart rule's 1–5 s (÷ 10), however many
/// retries the earlier restarts needed.
#[tokio::test]
async fn the_first_delay_after_every_1012_is_one_to_five_seconds() {
    use std::time::Duration;
    let server = RestartingServer::start(Duration::from_millis(300)).await;
    let (mut engine, mut events) = Engine::new();
    let options =
        ConnOptions { delay_divisor: 10.0, stability_window: Duration::from_secs(1), ping_interval: None, ..options() };
    engine.add(spec("api", &url(server.address), options));
    for cycle in 0..5 {
        next_matching(&mut events, open).await;
        server.restart();
        let closed = next_matching(&mut events, closed).await;
        let EventKind::Closed(record) = closed.kind else { unreachable!() };
        assert_eq!(record.code, 1012);
        let scheduled = next_matching(&mut events, |kind| matches!(kind, EventKind::ReconnectScheduled { .. })).await;
        let EventKind::ReconnectScheduled { delay_ms, rule, .. } = scheduled.kind else { unreachable!() };
        assert_eq!(rule, "restart", "cycle {cycle}");
        assert!((100..=500).contains(&delay_ms), "cycle {cycle}: first delay {delay_ms} ms after a 1012");
    }
}
