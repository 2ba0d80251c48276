//! `wsmon demo --headless --json` for a fixed seed, sped up twentyfold:
//! the deployment's wave comes back whole, the broken proxy's 1002s carry
//! the causes its script says, 1013 and 1006 show up; the report counts
//! what the events say; the session log is what was printed (traffic
//! summed) and replays to the same summary, even cut off mid-line.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use common::child::{Wsmon, run};
use common::json;
use serde_json::Value;
use wsmon::demo::script::{Action, Script, Violation};

const SEED: &str = "7";
const SERVICES: usize = 3;
const CONNECTIONS: usize = 8;

/// What the demo's script plays for SEED: the broken proxy's violations, in order.
fn scripted_causes() -> Vec<&'static str> {
    let mut script = Script::new(SEED.parse().unwrap(), SERVICES, Some(1));
    let steps: Vec<_> = (0..20).flat_map(|_| script.next_cycle()).collect();
    steps
        .iter()
        .filter_map(|step| match step.action {
            Action::Violate(Violation::MaskedFrame) => Some("masked_frame"),
            Action::Violate(Violation::ReservedOpcode) => Some("reserved_opcode"),
            Action::Violate(Violation::ReservedBits) => Some("reserved_bits"),
            _ => None,
        })
        .collect()
}

/// What the event lines say so far.
#[derive(Default)]
struct Tally {
    /// Connections closed by the deployment's 1012 and not open again.
    restarting: HashSet<String>,
    restarted: usize,
    causes: Vec<String>,
    by_code: BTreeMap<String, u64>,
    /// The reconnect rules that scheduled retries.
    rules: HashSet<String>,
}

impl Tally {
    fn add(&mut self, line: &str) {
        let event = json(line);
        let conn = event["conn"].as_str().unwrap_or_default().to_string();
        match event["event"].as_str() {
            Some("open") => {
                self.restarting.remove(&conn);
            }
            Some("reconnect_scheduled") => {
                self.rules.insert(event["rule"].as_str().unwrap().to_string());
            }
            Some("closed") => {
                let code = event["code"].as_u64().unwrap();
                *self.by_code.entry(code.to_string()).or_default() += 1;
                if code == 1012 {
                    self.restarting.insert(conn);
                    self.restarted += 1;
                }
                if code == 1002 {
                    self.causes.push(event["cause"].as_str().unwrap().to_string());
                }
            }
            _ => {}
        }
    }

    /// One whole deployment back, two violations, a 1013 and a 1006 seen.
    fn complete(&self) -> bool {
        self.restarted == SERVICES * CONNECTIONS
            && self.restarting.is_empty()
            && self.causes.len() >= 2
            && self.by_code.contains_key("1013")
            && self.by_code.contains_key("1006")
    }
}

/// The lines a session log keeps as they were printed: not the traffic it
/// sums, nor the RTT it summarises, nor its own first line (the session's
/// name and wave rules).
fn all_but_measurements(lines: &[String]) -> Vec<&String> {
    let left_out = ["\"event\":\"traffic\"", "\"event\":\"rtt\"", "\"event\":\"rtt_summary\"", "\"event\":\"session\""];
    lines.iter().filter(|line| !left_out.iter().any(|event| line.contains(event))).collect()
}

/// RTT samples per connection: an `rtt` line is one, an `rtt_summary` its `count`.
fn rtt_samples_by_connection(lines: &[String]) -> BTreeMap<String, u64> {
    let mut samples = BTreeMap::new();
    for value in lines.iter().map(|line| json(line)) {
        let count = match value["event"].as_str() {
            Some("rtt") => 1,
            Some("rtt_summary") => value["count"].as_u64().unwrap(),
            _ => continue,
        };
        *samples.entry(value["conn"].as_str().unwrap().to_string()).or_default() += count;
    }
    samples
}

/// Messages and bytes in, per connection, over every traffic line.
fn traffic_by_connection(lines: &[String]) -> BTreeMap<String, (u64, u64)> {
    let mut sums = BTreeMap::new();
    for value in lines.iter().map(|line| json(line)).filter(|value| value["event"] == "traffic") {
        let sum: &mut (u64, u64) = sums.entry(value["conn"].as_str().unwrap().to_string()).or_default();
        sum.0 += value["msgs_in"].as_u64().unwrap();
        sum.1 += value["bytes_in"].as_u64().unwrap();
    }
    sums
}

fn the_session_log(data: &Path) -> PathBuf {
    let logs: Vec<_> = std::fs::read_dir(data.join("sessions")).expect("a sessions directory").collect();
    assert_eq!(logs.len(), 1, "one session, one log");
    logs[0].as_ref().unwrap().path()
}

fn read_json(path: &Path) -> Value {
    json(&std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display())))
}

/// The report's summary fields, without what only a report has.
fn summary_of(report: &Value) -> Value {
    let mut summary = report.clone();
    let object = summary.as_object_mut().unwrap();
    object.remove("label");
    object.remove("ended");
    summary
}

/// The summary line's own fields.
fn summary_fields(line: &Value) -> Value {
    let mut summary = line.clone();
    let object = summary.as_object_mut().unwrap();
    for key in ["ts", "conn", "url", "event"] {
        object.remove(key);
    }
    summary
}

#[tokio::test]
async fn the_demo_plays_a_deployment_reports_it_and_its_log_replays() {
    let scratch = tempfile::tempdir().unwrap();
    let report = scratch.path().join("deploy.json");
    let report_arg = report.to_str().unwrap();
    let mut demo = Wsmon::start(&[
        "demo",
        "--headless",
        "--json",
        "--seed",
        SEED,
        "--speed",
        "20",
        "--deployments",
        "1",
        "--report",
        report_arg,
    ]);
    let mut tally = Tally::default();
    while !tally.complete() {
        let line = demo.until(|_| true).await;
        tally.add(&line);
    }
    let tallied = demo.seen.len();
    let (status, stderr) = demo.interrupt().await;
    assert_eq!(status, 0, "{stderr}");
    let (summary_line, events) = demo.seen.split_last().expect("output");
    events[tallied..].iter().for_each(|line| tally.add(line));

    // The deployment: every service's connections closed with 1012 and came back.
    let summary = json(summary_line);
    assert_eq!(summary["event"], "summary");
    let wave = &summary["waves"][0];
    assert_eq!(wave["kind"], "restart");
    assert!(wave["hit"].as_u64().unwrap() >= (SERVICES * CONNECTIONS) as u64, "{wave}");
    assert_eq!(summary["connections"], SERVICES * CONNECTIONS + 3, "the services plus three misbehaving endpoints");
    // The broken proxy broke the rules its script says, in that order (for
    // this seed they are seconds apart: the proxy's connection is back
    // before the next one, so none is missed).
    let scripted = scripted_causes();
    assert_eq!(tally.causes, scripted[..tally.causes.len()], "seed {SEED} scripts {scripted:?}");
    assert_ne!(tally.causes[0], tally.causes[1], "two different rules broken");
    // --speed divides the delays; the rules stay the defaults.
    assert!(tally.rules.contains("restart") && tally.rules.contains("protocol"), "{:?}", tally.rules);
    assert!(tally.rules.iter().all(|rule| rule.parse::<u16>().is_err()), "no per-code overrides: {:?}", tally.rules);
    let protocol_errors = summary["protocol_errors"].as_array().unwrap();
    assert!(protocol_errors.iter().all(|error| error["conn"] == "broken-proxy"), "{protocol_errors:?}");

    // The report counts what the events say.
    let reported = read_json(&report);
    assert_eq!(reported["label"], format!("demo (seed {SEED})"));
    let by_code: BTreeMap<String, u64> = serde_json::from_value(reported["by_code"].clone()).unwrap();
    assert_eq!(by_code, tally.by_code);
    let reported_causes: u64 = protocol_errors.iter().map(|error| error["count"].as_u64().unwrap()).sum();
    assert_eq!(reported_causes, tally.causes.len() as u64);
    assert_eq!(summary_of(&reported), summary_fields(&summary), "the report is the summary's figures");
    assert!(stderr.contains("report written to"), "{stderr}");

    // The session log holds what was printed, traffic summed and RTT summarised,
    // and replays to the same summary.
    let data = demo.dirs.path().join("data");
    let log = the_session_log(&data);
    let logged = std::fs::read_to_string(&log).unwrap();
    let logged_lines: Vec<String> = logged.lines().map(String::from).collect();
    assert_eq!(all_but_measurements(&logged_lines), all_but_measurements(&demo.seen));
    assert_eq!(traffic_by_connection(&logged_lines), traffic_by_connection(&demo.seen), "summed, not lost");
    assert_eq!(rtt_samples_by_connection(&logged_lines), rtt_samples_by_connection(&demo.seen), "summarised");
    let replayed = scratch.path().join("replayed.json");
    let (status, _, stderr) =
        run(scratch.path(), &["replay", log.to_str().unwrap(), "--report", replayed.to_str().unwrap()]).await;
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(summary_of(&read_json(&replayed)), summary_fields(&summary));

    // Cut off in the middle of its last close, the log still replays: the
    // broken line is reported and skipped, every close before it counts.
    let last_close = logged.rfind("\"event\":\"closed\"").expect("closes in the log");
    let cut = scratch.path().join("cut.jsonl");
    std::fs::write(&cut, &logged[..last_close]).unwrap();
    let broken_line = logged[..last_close].lines().count();
    let (status, _, stderr) =
        run(scratch.path(), &["replay", cut.to_str().unwrap(), "--report", replayed.to_str().unwrap()]).await;
    assert_eq!(status, 0, "{stderr}");
    assert!(stderr.contains(&format!("cut.jsonl:{broken_line}: skipped")), "{stderr}");
    assert!(stderr.contains("ends mid-line"), "{stderr}");
    let closes: u64 = tally.by_code.values().sum();
    assert_eq!(read_json(&replayed)["closes"], closes - 1);
}

/// Three deployments at twentyfold speed are three restart waves (its
/// waves end twentyfold sooner too), and every one that ended is back
/// whole, broken down per service: api, chat and feed.
#[tokio::test]
async fn each_deployment_is_one_wave_back_whole_per_service() {
    let args = ["demo", "--headless", "--json", "--no-log", "--seed", SEED, "--speed", "20", "--deployments", "3"];
    let mut demo = Wsmon::start(&args);
    let mut tally = Tally::default();
    while tally.restarted < 3 * SERVICES * CONNECTIONS || !tally.restarting.is_empty() {
        let line = demo.until(|_| true).await;
        tally.add(&line);
    }
    let (status, stderr) = demo.interrupt().await;
    assert_eq!(status, 0, "{stderr}");
    let summary = json(demo.seen.last().unwrap());
    let waves: Vec<&Value> = summary["waves"].as_array().unwrap().iter().filter(|w| w["kind"] == "restart").collect();
    assert!(waves.len() >= 3, "one wave per deployment: {waves:#?}");
    let ended: Vec<&&Value> = waves.iter().filter(|wave| !wave["ended"].is_null()).collect();
    assert!(ended.len() >= 2, "the first deployments' waves ended: {waves:#?}");
    for wave in ended {
        assert_eq!(wave["still_down"], 0, "{wave}");
        assert_eq!(wave["hit"], wave["back"], "{wave}");
        assert!(wave["duration_ms"].as_u64().is_some(), "{wave}");
        let services: Vec<(&str, u64, u64)> = wave["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|group| {
                (group["name"].as_str().unwrap(), group["hit"].as_u64().unwrap(), group["back"].as_u64().unwrap())
            })
            .collect();
        let names: Vec<&str> = services.iter().map(|(name, ..)| *name).collect();
        assert_eq!(names, ["api", "chat", "feed"], "{wave}");
        assert!(services.iter().all(|(_, hit, back)| hit == back && *hit == CONNECTIONS as u64), "{wave}");
    }
}

/// `watch`'s readable lines tell a wave's end as it happens (its quiet
/// period over, all back), with its services, not only in the summary.
#[tokio::test]
async fn readable_lines_tell_each_wave_as_it_ends() {
    let args = ["demo", "--headless", "--no-log", "--seed", SEED, "--speed", "20", "--deployments", "1"];
    let mut demo = Wsmon::start(&args);
    let line = demo.until(|line| line.contains("wave 1 (restart) ended after")).await;
    assert!(line.contains("24/24 back") && line.contains("api 8/8 back p95"), "{line}");
    assert!(line.contains("chat 8/8") && line.contains("feed 8/8"), "{line}");
    assert!(!demo.seen.iter().any(|line| line.contains(" traffic ")), "no traffic lines: {:#?}", demo.seen);
    assert_eq!(demo.interrupt().await.0, 0);
}
