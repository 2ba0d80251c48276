//! A full disk (a small tmpfs, mounted when the tests run as root) loses
//! no file: a profile save fails with the file named, and the old profile
//! and its old backup are whole; a session log that cannot be cut to its
//! cap stops growing and keeps every line it had.

mod common;

use std::path::Path;
use std::process::Command;

use common::child;

/// Unmounts the tmpfs however the test ends.
struct Mounted<'a>(&'a Path);

impl Drop for Mounted<'_> {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0).status();
    }
}

/// A tmpfs of `size` at `dir`, or None (and why) when this cannot mount one.
fn mount_small_disk<'a>(dir: &'a Path, size: &str) -> Option<Mounted<'a>> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        println!("skipped: mounting a small tmpfs needs root");
        return None;
    }
    std::fs::create_dir_all(dir).unwrap();
    let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]).arg(dir).status();
    if !mounted.as_ref().is_ok_and(|status| status.success()) {
        println!("skipped: cannot mount a tmpfs here ({mounted:?})");
        return None;
    }
    Some(Mounted(dir))
}

/// Fill the disk at `dir`, leaving `free` bytes.
fn fill(dir: &Path, free: usize) {
    std::fs::write(dir.join("reserve"), vec![b'r'; free]).unwrap();
    let mut filler = std::fs::File::create(dir.join("filler")).unwrap();
    let block = vec![b'x'; 1024];
    while std::io::Write::write_all(&mut filler, &block).is_ok() {}
    drop(filler);
    std::fs::remove_file(dir.join("reserve")).unwrap();
}

#[tokio::test]
async fn a_full_disk_loses_no_profile() {
    let dirs = tempfile::tempdir().unwrap();
    let config = dirs.path().join("config");
    let Some(_unmount) = mount_small_disk(&config, "128k") else { return };
    // A small profile, then a big one: the backup is small, the profile big.
    let many: Vec<String> = (1000..1300).map(|port| format!("ws://127.0.0.1:{port}/")).collect();
    for urls in [vec!["ws://127.0.0.1:1/".to_string()], many] {
        let mut args = vec!["profile".to_string(), "save".into(), "p".into()];
        args.extend(urls);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (status, _, stderr) = child::run(dirs.path(), &args).await;
        assert_eq!(status, 0, "{stderr}");
    }
    let profile = config.join("profiles/p.toml");
    let backup = config.join("profiles/p.toml.bak");
    let (before, backup_before) = (std::fs::read(&profile).unwrap(), std::fs::read(&backup).unwrap());
    assert!(before.len() > 16 * 1024 && backup_before.len() < 4096, "{} {}", before.len(), backup_before.len());

    // Fill the disk but 8 KiB: room for the new (small) profile, not for a
    // copy of the big one as the new backup.
    fill(&config, 8 * 1024);

    let (status, _, stderr) = child::run(dirs.path(), &["profile", "save", "p", "ws://127.0.0.1:2/"]).await;
    assert_ne!(status, 0, "the save cannot succeed on a full disk");
    assert!(stderr.contains("p.toml"), "the error names the file: {stderr}");
    assert!(std::fs::read(&profile).unwrap() == before, "the profile is whole");
    let backup_after = std::fs::read(&backup).unwrap();
    assert!(
        backup_after == backup_before,
        "the old backup is whole ({} bytes, was {})",
        backup_after.len(),
        backup_before.len()
    );
}

/// The log grows past its cap with the disk nearly full: cutting it down
/// needs room for a copy of half of it, which is not there. The log stays
/// as it was, every line whole, and no temporary file is left behind.
#[test]
fn a_full_disk_loses_no_session_log() {
    use wsmon::event::{ConnId, Event, EventKind, Ts};
    use wsmon::recording::{MIN_CAP, Recorder};

    let dirs = tempfile::tempdir().unwrap();
    let data = dirs.path().join("data");
    let Some(_unmount) = mount_small_disk(&data, "256k") else { return };
    let sessions = data.join("sessions");
    let header = wsmon::wire::SessionHeader { label: "t".into(), ..Default::default() };
    let mut recorder = Recorder::start_in(&sessions, &header, Ts(0), MIN_CAP).unwrap();
    let mut model = wsmon::model::Model::default();
    let mut write = |recorder: &mut Recorder, ms: i64, kind: EventKind| {
        let event = Event { at: Ts(ms), conn: ConnId(0), kind };
        model.apply(&event);
        recorder.record(&model, &event, None)?;
        recorder.flush(&model, Ts(ms))
    };
    write(
        &mut recorder,
        0,
        EventKind::Added { name: "c".into(), url: "ws://127.0.0.1:1/".into(), group: None, proxy: None },
    )
    .unwrap();
    let mut ms = 0;
    // Up to just under the cap (about 100 bytes a line).
    while std::fs::metadata(recorder.path()).unwrap().len() < MIN_CAP - 2_048 {
        ms += 1;
        write(&mut recorder, ms, EventKind::Paused).unwrap();
    }
    fill(&data, 8 * 1024);
    let failed = loop {
        ms += 1;
        assert!(ms < 10_000, "the log never reached its cap");
        if let Err(error) = write(&mut recorder, ms, EventKind::Paused) {
            break error;
        }
    };
    assert_eq!(failed.raw_os_error(), Some(libc::ENOSPC), "{failed}");
    let text = std::fs::read_to_string(recorder.path()).unwrap();
    let last = text.lines().last().unwrap();
    assert!(text.len() as u64 > MIN_CAP, "the log past its cap is kept as it was: {}", text.len());
    assert!(text.ends_with('\n') && last.contains("paused"), "every line whole: {last}");
    assert_eq!(text.lines().count() as i64, ms + 1, "no line lost: the header, then one per event");
    let names: Vec<_> = std::fs::read_dir(&sessions).unwrap().map(|entry| entry.unwrap().file_name()).collect();
    assert_eq!(names, [recorder.path().file_name().unwrap()], "no temporary file left");
}
