//! The monitoring assets wsmon ships: the Grafana dashboard
//! (assets/grafana/wsmon.json), the alerting rules
//! (assets/prometheus/alerts.yml) and the example scrape configuration
//! (assets/prometheus/prometheus.yml). Every query must name only metrics
//! that wsmon's /metrics serves, and the dashboard's must follow its `job`
//! and `instance` variables. When `promtool` is installed, it checks the
//! rules, the configuration and the dashboard's PromQL, and runs the rules'
//! unit tests (tests/data/alerts_test.yml): series in, alerts out.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// What /metrics serves. Histograms are listed apart: they are read through
/// their `_bucket`, `_sum` and `_count` series.
const METRICS: &[&str] = &[
    "wsmon_connections",
    "wsmon_closes_total",
    "wsmon_protocol_errors_total",
    "wsmon_handshake_failures_total",
    "wsmon_reconnects_total",
    "wsmon_restart_waves_total",
    "wsmon_build_info",
];
const HISTOGRAMS: &[&str] = &["wsmon_rtt_seconds", "wsmon_wave_recovery_seconds"];
/// Prometheus's own series for every target.
const PROMETHEUS: &[&str] = &["up"];

const JOB: &str = r#"job=~"$job""#;
const INSTANCE: &str = r#"instance=~"$instance""#;

fn path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(path(relative)).unwrap_or_else(|error| panic!("{relative}: {error}"))
}

fn known_metric(name: &str) -> bool {
    METRICS.contains(&name)
        || PROMETHEUS.contains(&name)
        || HISTOGRAMS.iter().any(|histogram| {
            name.strip_prefix(histogram).is_some_and(|suffix| ["_bucket", "_sum", "_count"].contains(&suffix))
        })
}

/// A series selector in a PromQL expression: the metric's name (None for
/// `{__name__=...}`) and what was between its braces.
#[derive(Debug, PartialEq)]
struct Selector {
    name: Option<String>,
    matchers: String,
}

/// Words that are PromQL, not metric names, even when not followed by `(`:
/// operators, modifiers, and aggregations (`sum by (le) (...)`).
const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "offset",
    "bool",
    "atan2",
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "limitk",
    "limit_ratio",
];
/// Keywords followed by a list of label names in parentheses.
const LABEL_LISTS: &[&str] = &["by", "without", "on", "ignoring", "group_left", "group_right"];

/// The selectors of `expr`, read loosely: enough to know which metrics it
/// names, not to check its syntax (promtool does that).
fn selectors(expr: &str) -> Vec<Selector> {
    let chars: Vec<char> = expr.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    // Index of the byte after `close` matching the `open` at `start`, quotes skipped.
    let skip_group = |start: usize, open: char, close: char| -> usize {
        let mut depth = 0;
        let mut j = start;
        while j < chars.len() {
            match chars[j] {
                '"' | '\'' | '`' => j = skip_string(&chars, j) - 1,
                c if c == open => depth += 1,
                c if c == close => {
                    depth -= 1;
                    if depth == 0 {
                        return j + 1;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        panic!("unbalanced {open}{close} in {expr}");
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' || c == '`' {
            i = skip_string(&chars, i);
        } else if c == '[' {
            i = skip_group(i, '[', ']');
        } else if c == '{' {
            let end = skip_group(i, '{', '}');
            found.push(Selector { name: None, matchers: chars[i + 1..end - 1].iter().collect() });
            i = end;
        } else if c == '$' || c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            // A Grafana variable, a number or a duration.
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.') {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let mut next = i;
            while next < chars.len() && chars[next].is_whitespace() {
                next += 1;
            }
            let followed_by = chars.get(next).copied();
            if LABEL_LISTS.contains(&word.as_str()) && followed_by == Some('(') {
                i = skip_group(next, '(', ')');
            } else if followed_by == Some('(')
                || KEYWORDS.contains(&word.as_str())
                || ["inf", "nan"].contains(&word.to_ascii_lowercase().as_str())
            {
                // A function, an aggregation, an operator.
            } else if followed_by == Some('{') {
                let end = skip_group(next, '{', '}');
                found.push(Selector { name: Some(word), matchers: chars[next + 1..end - 1].iter().collect() });
                i = end;
            } else {
                found.push(Selector { name: Some(word), matchers: String::new() });
            }
        } else {
            i += 1;
        }
    }
    found
}

/// Index of the character after the string literal that opens at `start`.
fn skip_string(chars: &[char], start: usize) -> usize {
    let quote = chars[start];
    let mut j = start + 1;
    while j < chars.len() {
        match chars[j] {
            '\\' if quote != '`' => j += 2,
            c if c == quote => return j + 1,
            _ => j += 1,
        }
    }
    panic!("unterminated string in {}", chars.iter().collect::<String>());
}

/// Every metric `expr` names must be one /metrics serves.
fn unknown_metrics(expr: &str) -> Vec<String> {
    selectors(expr)
        .into_iter()
        .filter_map(|selector| match selector.name {
            Some(name) if known_metric(&name) => None,
            Some(name) => Some(name),
            None => Some(format!("{{{}}} (a selector without a metric name)", selector.matchers)),
        })
        .collect()
}

#[test]
fn the_promql_reader_finds_metric_names_and_their_matchers() {
    let expr = r#"histogram_quantile(0.95, sum by (le) (rate(wsmon_rtt_seconds_bucket{job=~"$job", x="a}b"}[$__rate_interval])))
        / on (job) group_left (version) max without (instance) (wsmon_build_info offset 5m) > bool 1e-3
        or absent(up{job=~"wsmon.*"}) unless sum(rate(foo[5m:1m] @ end())) * Inf"#;
    let selectors = selectors(expr);
    let found: Vec<(Option<&str>, &str)> = selectors.iter().map(|s| (s.name.as_deref(), s.matchers.as_str())).collect();
    assert_eq!(
        found,
        [
            (Some("wsmon_rtt_seconds_bucket"), r#"job=~"$job", x="a}b""#),
            (Some("wsmon_build_info"), ""),
            (Some("up"), r#"job=~"wsmon.*""#),
            (Some("foo"), ""),
        ]
    );
    assert_eq!(unknown_metrics(expr), ["foo"]);
    assert_eq!(unknown_metrics(r#"sum({__name__="wsmon_connections"})"#).len(), 1);
    assert!(known_metric("wsmon_wave_recovery_seconds_count") && !known_metric("wsmon_rtt_seconds"));
}

// The dashboard.

fn dashboard() -> Value {
    let text = read("assets/grafana/wsmon.json");
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("assets/grafana/wsmon.json is not JSON: {error}"))
}

/// Every panel, rows' own panels (collapsed rows hold theirs) included.
fn panels(dashboard: &Value) -> Vec<&Value> {
    fn walk<'a>(list: &'a Value, out: &mut Vec<&'a Value>) {
        for panel in list.as_array().into_iter().flatten() {
            out.push(panel);
            walk(&panel["panels"], out);
        }
    }
    let mut out = Vec::new();
    walk(&dashboard["panels"], &mut out);
    out
}

/// (where, expr) for every query of every panel.
fn panel_queries(dashboard: &Value) -> Vec<(String, String)> {
    let mut queries = Vec::new();
    for panel in panels(dashboard) {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let place = format!("panel {} ({}) query {}", panel["id"], panel["title"], target["refId"]);
            let expr = target["expr"].as_str().unwrap_or_else(|| panic!("{place} has no expr"));
            queries.push((place, expr.to_string()));
        }
    }
    queries
}

fn variable<'a>(dashboard: &'a Value, name: &str) -> &'a Value {
    dashboard["templating"]["list"]
        .as_array()
        .expect("templating.list")
        .iter()
        .find(|variable| variable["name"] == name)
        .unwrap_or_else(|| panic!("no template variable {name}"))
}

#[test]
fn the_dashboard_is_importable_json_with_unique_panel_ids_and_a_sound_layout() {
    let dashboard = dashboard();
    assert!(dashboard["schemaVersion"].as_u64().is_some_and(|version| version >= 36), "schemaVersion");
    assert!(dashboard["title"].is_string() && dashboard["uid"].is_string(), "title and uid");
    assert_eq!(variable(&dashboard, "datasource")["type"], "datasource");
    assert_eq!(variable(&dashboard, "datasource")["query"], "prometheus");

    let panels = panels(&dashboard);
    assert!(panels.len() > 10, "only {} panels", panels.len());
    let mut ids = HashSet::new();
    let mut boxes: Vec<(u64, u64, u64, u64, String)> = Vec::new();
    for panel in &panels {
        let id = panel["id"].as_u64().unwrap_or_else(|| panic!("a panel without a numeric id: {}", panel["title"]));
        assert!(ids.insert(id), "panel id {id} is used twice");
        let title = panel["title"].as_str().unwrap_or_else(|| panic!("panel {id} has no title"));
        let at = &panel["gridPos"];
        let [x, y, w, h] = ["x", "y", "w", "h"].map(|key| {
            at[key].as_u64().unwrap_or_else(|| panic!("panel {id} ({title}): gridPos.{key} is not a number"))
        });
        assert!(w > 0 && h > 0 && x + w <= 24, "panel {id} ({title}) does not fit the 24-column grid: {at}");
        for (ox, oy, ow, oh, other) in &boxes {
            let overlap = x < ox + ow && *ox < x + w && y < oy + oh && *oy < y + h;
            assert!(!overlap, "panel {id} ({title}) overlaps {other}");
        }
        boxes.push((x, y, w, h, format!("panel {id} ({title})")));
        if panel["type"] == "row" {
            continue;
        }
        assert_eq!(panel["datasource"]["uid"], "${datasource}", "panel {id} ({title}) datasource");
        let targets = panel["targets"].as_array().unwrap_or_else(|| panic!("panel {id} ({title}) has no targets"));
        assert!(!targets.is_empty(), "panel {id} ({title}) has no queries");
        let ref_ids: HashSet<&str> = targets.iter().filter_map(|target| target["refId"].as_str()).collect();
        assert_eq!(ref_ids.len(), targets.len(), "panel {id} ({title}): refIds missing or repeated");
        for target in targets {
            assert_eq!(target["datasource"]["uid"], "${datasource}", "panel {id} ({title}) query datasource");
        }
    }
}

#[test]
fn the_dashboard_queries_only_wsmon_metrics_and_follow_job_and_instance() {
    let dashboard = dashboard();
    let queries = panel_queries(&dashboard);
    assert!(queries.len() > 10, "only {} queries", queries.len());
    for (place, expr) in &queries {
        assert_eq!(unknown_metrics(expr), Vec::<String>::new(), "{place} names metrics wsmon does not serve: {expr}");
        let selectors = selectors(expr);
        assert!(!selectors.is_empty(), "{place} selects no series: {expr}");
        for selector in selectors {
            assert!(
                selector.matchers.contains(JOB) && selector.matchers.contains(INSTANCE),
                "{place}: {} does not select {JOB} and {INSTANCE}: {expr}",
                selector.name.unwrap_or_default()
            );
        }
    }
    // The panels the dashboard exists for.
    let all: String = queries.iter().map(|(_, expr)| expr.as_str()).collect::<Vec<_>>().join("\n");
    for wanted in [
        "sum by (state) (wsmon_connections{",
        "sum by (class) (rate(wsmon_closes_total{",
        "sum by (cause) (rate(wsmon_protocol_errors_total{",
        "increase(wsmon_restart_waves_total{",
        "histogram_quantile(0.95, sum by (le) (rate(wsmon_wave_recovery_seconds_bucket{",
        "sum by (le) (rate(wsmon_rtt_seconds_bucket{",
        "sum by (stage) (rate(wsmon_handshake_failures_total{",
        "sum by (rule) (rate(wsmon_reconnects_total{",
    ] {
        assert!(all.contains(wanted), "no query has {wanted}");
    }
    let heatmap = panels(&dashboard).into_iter().find(|panel| panel["type"] == "heatmap").expect("an RTT heatmap");
    assert_eq!(heatmap["targets"][0]["format"], "heatmap");

    // The variables come from wsmon's own series, the instance from the chosen jobs.
    for (name, wanted) in [
        ("job", "label_values(wsmon_build_info, job)"),
        ("instance", r#"label_values(wsmon_build_info{job=~"$job"}, instance)"#),
    ] {
        let variable = variable(&dashboard, name);
        let query = variable["query"].as_str().or_else(|| variable["query"]["query"].as_str()).unwrap_or_default();
        assert_eq!(query, wanted, "variable {name}");
        let series = query
            .strip_prefix("label_values(")
            .and_then(|arguments| arguments.rsplit_once(','))
            .map(|(series, _label)| series)
            .unwrap_or_else(|| panic!("variable {name}: {query}"));
        assert_eq!(unknown_metrics(series), Vec::<String>::new(), "variable {name}: {query}");
        assert_eq!(variable["datasource"]["uid"], "${datasource}", "variable {name}");
    }
}

// The alerting rules.

/// One `- alert:` rule of alerts.yml, read line by line.
struct Alert {
    name: String,
    expr: String,
    text: String,
}

/// The alerting rules, read loosely: a rule runs from its `- alert:` line to
/// the next rule or group; its `expr:` is the rest of that line or, for a
/// block scalar, the lines indented below it. promtool checks the YAML.
fn alerts() -> Vec<Alert> {
    let text = read("assets/prometheus/alerts.yml");
    let indent = |line: &str| line.len() - line.trim_start().len();
    let mut alerts: Vec<Alert> = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') {
            continue;
        }
        if let Some(name) = trimmed.strip_prefix("- alert:") {
            alerts.push(Alert { name: name.trim().to_string(), expr: String::new(), text: String::new() });
        } else if trimmed.starts_with("- name:") || trimmed.starts_with("- record:") {
            alerts.push(Alert { name: String::new(), expr: String::new(), text: String::new() });
        }
        let Some(alert) = alerts.last_mut() else { continue };
        alert.text.push_str(line);
        alert.text.push('\n');
        if let Some(value) = trimmed.strip_prefix("expr:") {
            let value = value.trim();
            if value.starts_with('|') || value.starts_with('>') {
                while let Some(next) = lines.next_if(|next| next.trim().is_empty() || indent(next) > indent(line)) {
                    alert.expr.push_str(next.trim());
                    alert.expr.push('\n');
                    alert.text.push_str(next);
                    alert.text.push('\n');
                }
            } else {
                alert.expr = value.trim_matches(|c| c == '"' || c == '\'').to_string();
            }
        }
    }
    alerts.retain(|alert| !alert.name.is_empty());
    alerts
}

#[test]
fn every_alert_names_only_wsmon_metrics_and_says_what_and_where() {
    let alerts = alerts();
    let names: Vec<&str> = alerts.iter().map(|alert| alert.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "WsmonConnectionsNeedAttention",
            "WsmonFeedsSilent",
            "WsmonProtocolErrors",
            "WsmonRestartWaveNotRecovered",
            "WsmonAgentDown",
            "WsmonAgentsAbsent",
        ]
    );
    let unit_tests = read("tests/data/alerts_test.yml");
    for alert in &alerts {
        let name = &alert.name;
        assert!(!alert.expr.trim().is_empty(), "{name} has no expr");
        assert_eq!(unknown_metrics(&alert.expr), Vec::<String>::new(), "{name} names metrics wsmon does not serve");
        for key in ["severity:", "summary:", "description:"] {
            assert!(alert.text.contains(key), "{name} has no {key}");
        }
        assert!(
            alert.text.contains("severity: warning") || alert.text.contains("severity: critical"),
            "{name}: severity is warning or critical"
        );
        // absent() has no labels to give; every other alert names its agent.
        if !alert.expr.contains("absent(") {
            assert!(alert.text.contains("{{ $labels.instance }}"), "{name} does not name the instance");
        }
        assert!(unit_tests.contains(&format!("alertname: {name}")), "{name} has no unit test");
    }
}

// promtool.

/// Whether promtool is on PATH; if not, says the test is skipped.
fn promtool_installed() -> bool {
    let installed = Command::new("promtool").arg("--version").output().is_ok_and(|output| output.status.success());
    if !installed {
        println!("skipped: promtool not installed (apt-get install prometheus)");
    }
    installed
}

fn promtool(args: &[&str]) {
    let output = Command::new("promtool").args(args).output().expect("promtool runs");
    assert!(
        output.status.success(),
        "promtool {} failed:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn arg(relative: &str) -> String {
    path(relative).to_str().expect("a UTF-8 path").to_string()
}

#[test]
fn promtool_accepts_the_rules_and_the_example_config() {
    if !promtool_installed() {
        return;
    }
    promtool(&["check", "rules", &arg("assets/prometheus/alerts.yml")]);
    // rule_files are relative to the config: this also checks alerts.yml is found.
    promtool(&["check", "config", &arg("assets/prometheus/prometheus.yml")]);
}

#[test]
fn the_alerts_fire_when_they_should_and_not_otherwise() {
    if !promtool_installed() {
        return;
    }
    promtool(&["test", "rules", &arg("tests/data/alerts_test.yml")]);
}

/// The dashboard's queries, with Grafana's variables filled in, as recording
/// rules: promtool's parser then checks their PromQL.
#[test]
fn promtool_parses_the_dashboard_queries() {
    if !promtool_installed() {
        return;
    }
    let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (n, (_, expr)) in panel_queries(&dashboard()).iter().enumerate() {
        let expr = expr
            .replace("$__rate_interval", "1m")
            .replace("$__range", "1h")
            .replace("$__interval", "30s")
            .replace("$job", "wsmon")
            .replace("$instance", ".*");
        // A JSON string is a YAML string.
        rules.push_str(&format!("      - record: dashboard:query_{n}\n        expr: {}\n", Value::from(expr)));
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("dashboard.rules.yml");
    std::fs::write(&file, rules).expect("write the rules");
    promtool(&["check", "rules", file.to_str().expect("a UTF-8 path")]);
}
