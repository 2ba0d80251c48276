//! The follower on real files: a file growing with a line written in two
//! parts, a file truncated, a file replaced by another, and a session log
//! cut to its cap while it is followed.

use std::io::Write;
use std::time::Duration;

use super::*;
use crate::event::{ConnId, Event, EventKind, Ts};
use crate::model::Model;
use crate::recording::{MIN_CAP, Recorder};
use crate::wire::SessionHeader;

const LIMIT: Duration = Duration::from_secs(10);

fn open_line(ms: i64, conn: &str) -> String {
    let at = Ts(1_795_000_000_000 + ms).rfc3339();
    format!(
        r#"{{"ts":"{at}","conn":"{conn}","url":"ws://127.0.0.1:9/","event":"open","handshake_ms":1,"subprotocol":null}}"#
    )
}

fn close_line(ms: i64, conn: &str) -> String {
    let at = Ts(1_795_000_000_000 + ms).rfc3339();
    format!(
        r#"{{"ts":"{at}","conn":"{conn}","url":"ws://127.0.0.1:9/","event":"closed","code":1012,"reason":"","initiator":"server","class":"service_restart","cause":null,"detail":null,"connected_ms":5}}"#
    )
}

/// The next message, within `LIMIT`.
async fn next(messages: &mut Receiver<Followed>) -> Followed {
    let message = tokio::time::timeout(LIMIT, messages.recv()).await.expect("a message in time");
    message.expect("the follower runs")
}

/// The events of a message that must be events only.
fn events(message: Followed) -> Vec<EventKind> {
    let Followed::Items(items) = message else { panic!("events expected: {message:?}") };
    items
        .into_iter()
        .flat_map(|item| match item {
            Item::Events(events) => events.into_iter().map(|event| event.kind),
            other => panic!("events expected: {other:?}"),
        })
        .collect()
}

fn append(path: &std::path::Path, text: &str) {
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

#[tokio::test]
async fn a_growing_file_is_followed_and_a_half_written_line_waits_for_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.jsonl");
    let close = close_line(5_000, "api-1");
    let (first, second) = close.split_at(60);
    std::fs::write(&path, format!("{}\n{first}", open_line(0, "api-1"))).unwrap();
    let mut messages = start(&Origin::File(path.clone())).unwrap();
    let kinds = events(next(&mut messages).await);
    assert!(matches!(kinds[..], [EventKind::Added { .. }, EventKind::Open { .. }]), "{kinds:?}");
    append(&path, second);
    append(&path, "\n");
    // Decoded only once whole: a half line decoded early would be skipped first.
    let kinds = events(next(&mut messages).await);
    assert!(matches!(kinds[..], [EventKind::Closed(ref record)] if record.code == 1012), "{kinds:?}");
    append(&path, "not json\n");
    let Followed::Items(items) = next(&mut messages).await else { panic!("a skipped line") };
    assert!(matches!(&items[..], [Item::Skipped(skipped)] if skipped.line == 3), "counted, by number: {items:?}");
}

#[tokio::test]
async fn a_truncated_file_is_a_new_stream_read_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.jsonl");
    std::fs::write(&path, format!("{}\n{}\n", open_line(0, "api-1"), close_line(5_000, "api-1"))).unwrap();
    let mut messages = start(&Origin::File(path.clone())).unwrap();
    assert_eq!(events(next(&mut messages).await).len(), 3);
    // `watch --json > FILE` run again: shorter than what was read.
    let file = std::fs::OpenOptions::new().write(true).truncate(true).open(&path).unwrap();
    drop(file);
    append(&path, &format!("{}\n", open_line(9_000, "b")));
    let Followed::Restarted(why) = next(&mut messages).await else { panic!("a restart") };
    assert!(why.contains("live.jsonl was truncated") && why.contains("start over"), "{why}");
    let kinds = events(next(&mut messages).await);
    assert!(matches!(&kinds[..], [EventKind::Added { name, .. }, EventKind::Open { .. }] if name == "b"), "{kinds:?}");
}

#[tokio::test]
async fn a_file_replaced_by_another_stream_is_read_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.jsonl");
    std::fs::write(&path, format!("{}\n", open_line(0, "api-1"))).unwrap();
    let mut messages = start(&Origin::File(path.clone())).unwrap();
    assert_eq!(events(next(&mut messages).await).len(), 2);
    let other = dir.path().join("other.jsonl");
    std::fs::write(&other, format!("{}\n{}\n", open_line(0, "x"), close_line(1_000, "x"))).unwrap();
    std::fs::rename(&other, &path).unwrap();
    let Followed::Restarted(why) = next(&mut messages).await else { panic!("a restart") };
    assert!(why.contains("replaced by another file"), "{why}");
    let kinds = events(next(&mut messages).await);
    assert!(matches!(&kinds[..], [EventKind::Added { name, .. }, _, EventKind::Closed(_)] if name == "x"), "{kinds:?}");
}

/// A session log at the smallest cap, written batch by batch while it is
/// followed: each cut renames a new file over it, and every close is
/// counted once, none twice, with no restart.
#[tokio::test]
async fn a_session_log_cut_to_its_cap_is_followed_on_counting_each_line_once() {
    let dir = tempfile::tempdir().unwrap();
    let header = SessionHeader { label: "capped".into(), ..Default::default() };
    let mut log = Recorder::start_in(dir.path(), &header, Ts(1_795_000_000_000), MIN_CAP).unwrap();
    let mut model = Model::default();
    let added = EventKind::Added { name: "api-1".into(), url: "ws://127.0.0.1:9/".into(), group: None, proxy: None };
    model.apply(&Event { at: Ts(1_795_000_000_000), conn: ConnId(0), kind: added });
    log.flush(&model, Ts(1_795_000_000_000)).unwrap();
    let mut messages = start(&Origin::File(log.path().to_path_buf())).unwrap();

    let (mut written, mut closes, mut rewrites) = (0, 0, 0);
    let reason = "x".repeat(100);
    for _batch in 0..12 {
        for _ in 0..50 {
            written += 1;
            let record = crate::event::CloseRecord {
                code: 1012,
                reason: reason.clone(),
                initiator: crate::close::Initiator::Server,
                class: crate::close::Class::ServiceRestart,
                cause: None,
                detail: None,
                connected_ms: 5,
            };
            let event = Event { at: Ts(1_795_000_000_000 + written), conn: ConnId(0), kind: EventKind::Closed(record) };
            model.apply(&event);
            log.record(&model, &event, None).unwrap();
        }
        log.flush(&model, Ts(1_795_000_000_000 + written)).unwrap();
        // The follower catches up before the next batch may cut the log again.
        while closes < written {
            match next(&mut messages).await {
                Followed::Items(items) => {
                    for item in items {
                        if let Item::Events(events) = item {
                            closes +=
                                events.iter().filter(|event| matches!(event.kind, EventKind::Closed(_))).count() as i64;
                        }
                    }
                }
                Followed::Notice(why) => {
                    assert!(why.contains("cut to its cap"), "{why}");
                    rewrites += 1;
                }
                other => panic!("nothing else expected: {other:?}"),
            }
        }
        assert_eq!(closes, written, "no close counted twice");
    }
    assert!(rewrites >= 1, "the log was cut while followed");
    let text = std::fs::read_to_string(log.path()).unwrap();
    assert!(text.contains(r#""event":"log_gap""#) && text.len() < MIN_CAP as usize, "cut to its cap");
}

/// A stream read faster than the session applies it waits in the file:
/// the follower holds at most `QUEUED` messages, however long the file.
#[tokio::test]
async fn the_follower_reads_no_further_ahead_than_its_queue() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    // About 300 reads' worth of lines.
    let line = close_line(5_000, "api-1") + "\n";
    let text = format!("{}\n{}", open_line(0, "api-1"), line.repeat((300 * (64 << 10)) / line.len()));
    std::fs::write(&path, text).unwrap();
    let messages = start(&Origin::File(path)).unwrap();
    // Nothing is taken: the follower fills its queue, then must wait. There
    // is no event for "it waits", so its queue is watched for a while.
    let watch = Duration::from_millis(5);
    let mut full = false;
    for _ in 0..2_000 {
        full |= messages.len() >= QUEUED;
        assert!(messages.len() <= QUEUED, "{} messages read ahead", messages.len());
        if full {
            break;
        }
        tokio::time::sleep(watch).await;
    }
    assert!(full, "the follower never filled its queue");
    for _ in 0..20 {
        tokio::time::sleep(watch).await;
        assert_eq!(messages.len(), QUEUED, "it read on while nobody took anything");
    }
}
