//! A profile saved onto a full disk (a 128 KiB tmpfs, mounted when the
//! tests run as root): the save fails with the file named, and the old
//! profile and its old backup are whole.

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

#[tokio::test]
async fn a_full_disk_loses_no_profile() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        println!("skipped: mounting a small tmpfs needs root");
        return;
    }
    let dirs = tempfile::tempdir().unwrap();
    let config = dirs.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "size=128k", "tmpfs"]).arg(&config).status();
    if !mounted.as_ref().is_ok_and(|status| status.success()) {
        println!("skipped: cannot mount a tmpfs here ({mounted:?})");
        return;
    }
    let _unmount = Mounted(&config);
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

    // Fill the disk, then free 8 KiB: room for the new (small) profile,
    // not for a copy of the big one as the new backup.
    std::fs::write(config.join("reserve"), vec![b'r'; 8 * 1024]).unwrap();
    let mut filler = std::fs::File::create(config.join("filler")).unwrap();
    let block = vec![b'x'; 1024];
    while std::io::Write::write_all(&mut filler, &block).is_ok() {}
    drop(filler);
    std::fs::remove_file(config.join("reserve")).unwrap();

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
