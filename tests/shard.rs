//! `--shard K/N` through the real binary: three agents given the same
//! profile split its connections disjointly and completely, each says
//! which shard it is in its summary and in every metric, and a shard with
//! nothing in it is refused.

mod common;

use std::collections::BTreeSet;

use common::child::{Wsmon, run};
use common::scrape::{announced, scrape};
use common::*;

const CONNECTIONS: usize = 12;

/// A profile `fleet` of twelve connections to one local echo server.
fn profile_dirs(address: std::net::SocketAddr) -> tempfile::TempDir {
    let dirs = tempfile::tempdir().unwrap();
    let profiles = dirs.path().join("config/profiles");
    std::fs::create_dir_all(&profiles).unwrap();
    let mut text = String::new();
    for n in 0..CONNECTIONS {
        text.push_str(&format!("[[connection]]\nname = \"conn-{n}\"\nurl = \"{}\"\n\n", url(address)));
    }
    std::fs::write(profiles.join("fleet.toml"), text).unwrap();
    dirs
}

/// Run shard `shard` of the profile until all its connections are open;
/// returns their names and the summary.
async fn agent(address: std::net::SocketAddr, shard: &str) -> (BTreeSet<String>, serde_json::Value) {
    let mut wsmon = Wsmon::start_in(profile_dirs(address), &["watch", "-p", "fleet", "--json", "--shard", shard]);
    let told = wsmon.stderr_until(|line| line.contains("watching")).await;
    // "wsmon: shard 2/3: watching 5 of 12 connections"
    let count: usize = told.split("watching ").nth(1).and_then(|rest| rest.split(' ').next()).unwrap().parse().unwrap();
    assert!(told.contains(&format!("shard {shard}")) && told.contains(&format!("of {CONNECTIONS}")), "{told}");
    let mut open = BTreeSet::new();
    while open.len() < count {
        let line = wsmon.until(|line| json(line)["event"] == "open").await;
        open.insert(json(&line)["conn"].as_str().unwrap().to_string());
    }
    let (status, _) = wsmon.interrupt().await;
    assert_eq!(status, 0);
    let summary = wsmon.seen.iter().map(|line| json(line)).find(|value| value["event"] == "summary").unwrap();
    assert_eq!(summary["connections"], count, "{summary}");
    // Every event is of a connection in this shard.
    for value in wsmon.seen.iter().map(|line| json(line)).filter(|value| value["conn"] != "*") {
        assert!(open.contains(value["conn"].as_str().unwrap()), "{value}");
    }
    (open, summary)
}

#[tokio::test]
async fn three_shards_split_a_profile_disjointly_and_completely() {
    let address = echo_server().await;
    let mut seen = BTreeSet::new();
    for shard in ["1/3", "2/3", "3/3"] {
        let (names, summary) = agent(address, shard).await;
        assert!(!names.is_empty(), "shard {shard} is empty: pick names that spread");
        assert_eq!(summary["shard"], shard, "{summary}");
        assert!(seen.is_disjoint(&names), "{shard}: {names:?} overlaps {seen:?}");
        seen.extend(names);
    }
    let all: BTreeSet<String> = (0..CONNECTIONS).map(|n| format!("conn-{n}")).collect();
    assert_eq!(seen, all, "every connection in exactly one shard");
}

/// The metrics of an agent carry its shard on every series.
#[tokio::test]
async fn every_metric_of_a_shard_says_which() {
    let address = echo_server().await;
    let dirs = profile_dirs(address);
    let mut wsmon = Wsmon::start_in(dirs, &["watch", "-p", "fleet", "--shard", "2/3", "--metrics", "127.0.0.1:0"]);
    let line = wsmon.stderr_until(|line| line.contains("metrics on http://")).await;
    let metrics = scrape(announced(&line).unwrap()).await;
    let samples: Vec<_> = metrics.samples("wsmon_connections", &[]).collect();
    assert!(!samples.is_empty(), "{}", metrics.text);
    assert!(metrics.text.lines().filter(|line| line.starts_with("wsmon_")).all(|line| line.contains("shard=\"2/3\"")));
    assert_eq!(wsmon.interrupt().await.0, 0);
}

#[tokio::test]
async fn an_empty_shard_or_a_bad_one_is_refused_with_how_to_fix_it() {
    let address = echo_server().await;
    let dirs = tempfile::tempdir().unwrap();
    let one = format!("solo={}", url(address));
    // One connection: it falls in one of two shards, the other is empty.
    let mut outcomes = Vec::new();
    for shard in ["1/2", "2/2"] {
        let (status, _, stderr) = run(dirs.path(), &["watch", "--shard", shard, "--duration", "1ms", &one]).await;
        outcomes.push((status, stderr));
    }
    let refusals: Vec<_> = outcomes.iter().filter(|(_, stderr)| stderr.contains("none of the 1 connections")).collect();
    assert_eq!(refusals.len(), 1, "{outcomes:?}");
    assert!(refusals[0].0 == 2 && refusals[0].1.contains("use fewer shards"), "{:?}", refusals[0]);
    let (status, _, stderr) = run(dirs.path(), &["watch", "--shard", "4/3", &one]).await;
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.contains("--shard 2/3"), "{stderr}");
}
