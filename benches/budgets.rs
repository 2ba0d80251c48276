//! The in-process budgets (docs/ARCHITECTURE.md, "Budgets"), measured
//! with criterion:
//! * drawing one frame with 10,000 connections at 200×50: under 2 ms;
//! * `Model::apply`: over 1,000,000 events per second;
//! * one metrics scrape (the registry encoded as Prometheus text) with
//!   10,000 connections: under 5 ms.
//!
//! `cargo bench --bench budgets` prints all three (`-- scrape` only the
//! scrape); the model figure is also reported as throughput (events per
//! second).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use wsmon::close::{Class, Initiator};
use wsmon::engine::ConnOptions;
use wsmon::event::{CloseRecord, ConnId, Event, EventKind, Traffic, Ts};
use wsmon::metrics::{Families, Format, Options};
use wsmon::model::{Model, Shown};
use wsmon::session::{MetricsOutput, Output};
use wsmon::tui::app::App;
use wsmon::tui::theme::Theme;

const CONNECTIONS: u32 = 10_000;
const T0: i64 = 1_795_000_000_000;

fn event(at: i64, conn: u32, kind: EventKind) -> Event {
    Event { at: Ts(T0 + at), conn: ConnId(conn), kind }
}

fn restart(connected_ms: u64) -> EventKind {
    EventKind::Closed(CloseRecord {
        code: 1012,
        reason: "restart".into(),
        initiator: Initiator::Server,
        class: Class::ServiceRestart,
        cause: None,
        detail: None,
        connected_ms,
    })
}

/// A fleet of 10,000, all open, a tenth of them in a restart wave.
fn fleet() -> Vec<Event> {
    let mut events = Vec::new();
    for conn in 0..CONNECTIONS {
        let name = format!("svc-{:02}-conn-{conn:05}", conn % 40);
        let url = format!("wss://svc-{:02}.example.com/feed", conn % 40);
        events.push(event(0, conn, EventKind::Added { name, url, group: None, proxy: None }));
        events.push(event(1, conn, EventKind::Connecting { attempt: 1 }));
        events.push(event(5, conn, EventKind::Open { handshake_ms: 4, subprotocol: None, via: None }));
        events.push(event(1_000, conn, EventKind::Rtt { rtt_ms: 0.4 }));
        if conn % 10 == 0 {
            events.push(event(50_000 + i64::from(conn), conn, restart(50_000)));
            let delay_ms = 1_000 + u64::from(conn % 4_000);
            events.push(event(
                50_000 + i64::from(conn),
                conn,
                EventKind::ReconnectScheduled { delay_ms, attempt: 1, rule: "restart".into(), attention: Some(false) },
            ));
        }
    }
    events
}

fn draw_one_frame(c: &mut Criterion) {
    let mut app = App::new("bench", ConnOptions::default(), Theme { color: true });
    app.utc = true;
    let mut model = Model::default();
    for event in fleet() {
        model.apply(&event);
    }
    app.refresh(&model);
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("a test terminal");
    let now = Ts(T0 + 52_000);
    c.bench_function("draw one frame, 10,000 connections, 200x50", |b| {
        b.iter(|| {
            let mut drawn = Default::default();
            terminal.draw(|frame| drawn = wsmon::tui::view::draw(frame, &app, &model, black_box(now))).expect("draws");
            app.laid_out(drawn);
        })
    });
}

fn model_apply(c: &mut Criterion) {
    let mut setup = Model::default();
    for event in fleet() {
        setup.apply(&event);
    }
    // The steady mix of a large fleet: traffic and RTT deltas, with closes,
    // reconnect schedules and opens in between.
    let mut stream = Vec::new();
    for i in 0..100_000u32 {
        let conn = i % CONNECTIONS;
        let at = 60_000 + i64::from(i);
        let kind = match i % 10 {
            0 => restart(10_000),
            1 => EventKind::ReconnectScheduled {
                delay_ms: 2_000,
                attempt: 1,
                rule: "restart".into(),
                attention: Some(false),
            },
            2 => EventKind::Open { handshake_ms: 3, subprotocol: None, via: None },
            3..=5 => EventKind::Rtt { rtt_ms: 0.5 },
            _ => EventKind::Traffic(Traffic { msgs_in: 1, bytes_in: 64, msgs_out: 0, bytes_out: 0 }),
        };
        stream.push(event(at, conn, kind));
    }
    let mut group = c.benchmark_group("model");
    group.throughput(Throughput::Elements(stream.len() as u64));
    group.bench_function("apply 100,000 events", |b| {
        b.iter_batched_ref(
            || setup.clone(),
            |model| {
                for event in &stream {
                    model.apply(black_box(event));
                }
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// What a scrape encodes after the fleet's events: the fleet-wide series
/// (the default), and with series of their own for as many connections as
/// `--metrics-per-connection` takes by default.
fn scrape(c: &mut Criterion) {
    let events = fleet();
    let mut model = Model::default();
    for event in &events {
        model.apply(event);
    }
    for (name, per_connection) in [
        ("scrape: encode the registry, 10,000 connections", None),
        ("scrape: encode the registry, 10,000 connections, 1,000 with series of their own", Some(1_000)),
    ] {
        let options = Options {
            states: Shown::COUNTED.iter().map(|shown| shown.name()).collect(),
            const_labels: Vec::new(),
            per_connection: per_connection.is_some(),
        };
        let (families, exposition) = Families::new(options);
        let mut output = MetricsOutput::new(families, per_connection.unwrap_or(0));
        output.on_events(&model, &events).expect("the series follow the events");
        c.bench_function(name, |b| b.iter(|| black_box(exposition.encode(black_box(Format::Prometheus)))));
    }
}

criterion_group!(benches, draw_one_frame, model_apply, scrape);
criterion_main!(benches);
