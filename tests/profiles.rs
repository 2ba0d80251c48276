//! Profiles through the real binary, with WSMON_CONFIG_DIR in a temporary
//! directory: save, list, show, rm, bad input, and `watch --profile` end to
//! end against a local server.

mod common;

use std::process::Stdio;

use common::*;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const WSMON: &str = env!("CARGO_BIN_EXE_wsmon");

async fn wsmon(config: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let output = tokio::time::timeout(
        LIMIT,
        Command::new(WSMON)
            .args(args)
            .env("WSMON_CONFIG_DIR", config)
            .env("WSMON_DATA_DIR", config.join("data"))
            .output(),
    )
    .await
    .expect("wsmon ends")
    .expect("wsmon runs");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8");
    (output.status.code().expect("an exit code"), text(output.stdout), text(output.stderr))
}

#[tokio::test]
async fn save_list_show_and_remove() {
    let config = tempfile::tempdir().unwrap();
    let dir = config.path();
    let (status, out, _) = wsmon(
        dir,
        &["profile", "save", "prod", "api=ws://127.0.0.1:9/", "-H", "X-Key: ${KEY}", "--ping-interval", "5s"],
    )
    .await;
    assert_eq!(status, 0, "{out}");
    assert!(out.contains("saved 1 connections"), "{out}");
    let file = dir.join("profiles/prod.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("${KEY}") && text.contains("ping_interval = \"5s\""), "{text}");

    let (status, out, _) = wsmon(dir, &["profile", "list"]).await;
    assert_eq!(status, 0);
    assert!(out.contains("prod") && out.contains("1 connections"), "{out}");
    let (_, out, _) = wsmon(dir, &["profile", "show", "prod"]).await;
    assert!(out.contains("ws://127.0.0.1:9/"), "{out}");
    let (_, out, _) = wsmon(dir, &["profile", "path"]).await;
    assert_eq!(out.trim(), dir.join("profiles").display().to_string());

    let (status, out, _) = wsmon(dir, &["profile", "rm", "prod"]).await;
    assert_eq!(status, 0, "{out}");
    assert!(!file.exists() && dir.join("profiles/prod.toml.bak").exists());
}

#[tokio::test]
async fn bad_profiles_and_names_are_usage_errors_that_say_where() {
    let config = tempfile::tempdir().unwrap();
    let dir = config.path();
    let (status, _, err) = wsmon(dir, &["profile", "save", "../x", "ws://127.0.0.1:9/"]).await;
    assert_eq!(status, 2);
    assert!(err.contains("'../x' is not a profile name"), "{err}");

    std::fs::create_dir_all(dir.join("profiles")).unwrap();
    let broken = "[[connection]]\nname = \"a\"\nurl = \"ws://h/\"\nping_intreval = \"5s\"\n";
    std::fs::write(dir.join("profiles/bad.toml"), broken).unwrap();
    let (status, _, err) = wsmon(dir, &["watch", "--profile", "bad"]).await;
    assert_eq!(status, 2);
    assert!(err.contains("bad.toml:4:1:") && err.contains("ping_intreval"), "{err}");
    let (status, _, err) = wsmon(dir, &["profile", "save", "bad", "ws://127.0.0.1:9/"]).await;
    assert_eq!(status, 2);
    assert!(err.contains("left as it is"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.join("profiles/bad.toml")).unwrap(), broken);

    let (status, _, err) = wsmon(dir, &["watch", "--profile", "missing"]).await;
    assert_eq!(status, 2);
    assert!(err.contains("no profile 'missing'"), "{err}");
}

#[tokio::test]
async fn watch_a_profile_end_to_end() {
    let (address, mut tokens) = closing_server_seeing("x-token", 1012, "deploy").await;
    let config = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(config.path().join("profiles")).unwrap();
    let profile = format!(
        "[defaults.reconnect]\n1012 = \"off\"\n\n[[connection]]\nname = \"edge\"\nurl = \"{}\"\nheaders = {{ X-Token = \"${{WSMON_PROFILE_TEST_TOKEN}}\" }}\n",
        url(address)
    );
    std::fs::write(config.path().join("profiles/prod.toml"), profile).unwrap();

    let mut child = Command::new(WSMON)
        .args(["watch", "--profile", "prod", "--json"])
        .env("WSMON_CONFIG_DIR", config.path())
        .env("WSMON_DATA_DIR", config.path().join("data"))
        .env("WSMON_PROFILE_TEST_TOKEN", "s3cret-value")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    let read = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let done = line.contains("\"reconnect_off\"");
            seen.push(line);
            if done {
                return;
            }
        }
    };
    tokio::time::timeout(LIMIT, read).await.expect("the profile's rule holds the connection");
    let all = seen.join("\n");
    assert!(all.contains("\"conn\":\"edge\"") && all.contains("\"code\":1012"), "{all}");
    assert!(all.contains("\"rule\":\"1012\""), "the profile's own rule applied: {all}");
    assert!(!all.contains("s3cret-value"), "secrets never reach the events");
    let sent = tokio::time::timeout(LIMIT, tokens.recv()).await.expect("an upgrade request").unwrap();
    assert_eq!(sent.as_deref(), Some("s3cret-value"), "the server gets the secret, expanded");
    let logs: Vec<_> = std::fs::read_dir(config.path().join("data/sessions")).unwrap().collect();
    assert_eq!(logs.len(), 1, "the session is logged");
    let log = std::fs::read_to_string(logs[0].as_ref().unwrap().path()).unwrap();
    assert!(log.contains("\"rule\":\"1012\"") && !log.contains("s3cret-value"), "nor the session log: {log}");
}

/// A relative --ca-file, --cert or --key is a file of the current
/// directory: saved into a profile, it stays that file rather than one
/// beside the profile.
#[tokio::test]
async fn tls_files_given_on_the_command_line_are_saved_as_the_files_they_were() {
    let config = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["client".to_string()]).unwrap().self_signed(&key).unwrap();
    std::fs::write(work.path().join("client.pem"), cert.pem()).unwrap();
    std::fs::write(work.path().join("client-key.pem"), key.serialize_pem()).unwrap();
    let args =
        ["profile", "save", "p", "wss://h/", "--ca-file", "ca.pem", "--cert", "client.pem", "--key", "client-key.pem"];
    let output = Command::new(WSMON)
        .args(args)
        .current_dir(work.path())
        .env("WSMON_CONFIG_DIR", config.path())
        .env("WSMON_DATA_DIR", config.path().join("data"))
        .output();
    let output = tokio::time::timeout(LIMIT, output).await.expect("wsmon ends").expect("wsmon runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = std::fs::read_to_string(config.path().join("profiles/p.toml")).unwrap();
    for file in ["ca.pem", "client.pem", "client-key.pem"] {
        let absolute = work.path().join(file).display().to_string();
        assert!(text.contains(&format!("\"{absolute}\"")), "{file} saved as {absolute}: {text}");
    }
}
