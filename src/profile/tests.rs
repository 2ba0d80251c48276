//! Profiles on real files in a temporary directory.

use std::os::unix::fs::PermissionsExt;

use super::*;
use crate::close::Class;
use crate::engine::policy::{DelayRange, RuleSetting, Selector};

const EXAMPLE: &str = r#"
[defaults]
ping_interval = "5s"
connect_timeout = "3s"

[defaults.reconnect]
1012 = "5s..30s"
protocol_error = "off"

[[connection]]
name = "api"
url = "wss://api.example.com/feed"
headers = { Authorization = "Bearer ${WSMON_TEST_TOKEN}" }
subprotocols = ["graphql-ws"]
ping_timeout = "2s"

[connection.reconnect]
1002 = "20s"

[[connection]]
name = "chat"
url = "ws://127.0.0.1:9000/ws"
"#;

/// The environment the tests stand in for: only WSMON_TEST_TOKEN is set
/// (setting real variables would race with the tests reading others).
fn token(name: &str) -> Option<String> {
    (name == "WSMON_TEST_TOKEN").then(|| "t0k3n".into())
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("profiles"));
    (dir, store)
}

fn write(store: &Store, name: &str, text: &str) -> PathBuf {
    std::fs::create_dir_all(store.dir()).unwrap();
    let path = store.path_of(name).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

fn error_of(text: &str) -> String {
    let (_dir, store) = store();
    write(&store, "p", text);
    store.load("p").unwrap_err().to_string()
}

/// At 10,000 connections a copy of the options each would cost megabytes.
#[test]
fn connections_with_the_same_options_share_them() {
    let text = "[defaults]\nping_interval = \"5s\"\n\n[[connection]]\nname = \"a\"\nurl = \"ws://127.0.0.1:1/\"\n\n\
                [[connection]]\nname = \"b\"\nurl = \"ws://127.0.0.1:2/\"\n\n\
                [[connection]]\nname = \"c\"\nurl = \"ws://127.0.0.1:3/\"\ngroup = \"payments\"\n";
    let specs = parse(Path::new("p.toml"), text).unwrap().specs_with_env(Path::new("p.toml"), |_| {}, token).unwrap();
    assert!(Arc::ptr_eq(&specs[0].options, &specs[1].options), "a and b say the same");
    assert!(!Arc::ptr_eq(&specs[1].options, &specs[2].options), "c has its own group");
    assert_eq!(specs[2].options.group.as_deref(), Some("payments"));
    assert_eq!(specs[0].options.group, None);
}

#[test]
fn a_profile_layers_defaults_entries_and_the_command_line() {
    let file = parse(Path::new("p.toml"), EXAMPLE).unwrap();
    let specs = file
        .specs_with_env(Path::new("p.toml"), |options| options.ping_timeout = std::time::Duration::from_secs(7), token)
        .unwrap();
    let api = &specs[0].options;
    assert_eq!(api.ping_interval, Some(std::time::Duration::from_secs(5)));
    assert_eq!(api.connect_timeout, std::time::Duration::from_secs(3));
    assert_eq!(api.ping_timeout, std::time::Duration::from_secs(7), "the command line wins");
    assert_eq!(api.headers, [("Authorization".to_string(), "Bearer ${WSMON_TEST_TOKEN}".to_string())]);
    assert_eq!(
        api.rules.overrides,
        [
            (Selector::Code(1012), RuleSetting::Delay(DelayRange::new(5_000, 30_000))),
            (Selector::Class(Class::ProtocolError), RuleSetting::Off),
            (Selector::Code(1002), RuleSetting::Delay(DelayRange::fixed(20_000))),
        ]
    );
    assert_eq!(specs[1].name, "chat");
}

#[test]
fn an_unset_secret_names_the_connection_and_the_variable() {
    let text = EXAMPLE.replace("WSMON_TEST_TOKEN", "WSMON_TEST_SURELY_UNSET");
    let file = parse(Path::new("p.toml"), &text).unwrap();
    let error = file.specs_with_env(Path::new("p.toml"), |_| {}, token).unwrap_err().to_string();
    assert!(error.contains("'api'") && error.contains("WSMON_TEST_SURELY_UNSET"), "{error}");
}

#[test]
fn save_then_load_gives_the_same_profile_and_keeps_secrets_unexpanded() {
    let (_dir, store) = store();
    let file = parse(Path::new("p.toml"), EXAMPLE).unwrap();
    let path = store.save("prod", &file).unwrap();
    assert_eq!(store.load("prod").unwrap().1, file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("${WSMON_TEST_TOKEN}"), "{text}");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn saving_keeps_the_previous_version_as_bak() {
    let (_dir, store) = store();
    let first = parse(Path::new("p.toml"), EXAMPLE).unwrap();
    let path = store.save("prod", &first).unwrap();
    let first_text = std::fs::read_to_string(&path).unwrap();
    let mut second = first.clone();
    second.connections.pop();
    store.save("prod", &second).unwrap();
    let backup = std::fs::read_to_string(path.with_extension("toml.bak")).unwrap();
    assert_eq!(backup, first_text);
    assert_eq!(store.load("prod").unwrap().1, second);
}

#[test]
fn a_corrupt_file_is_never_overwritten_and_its_error_has_line_and_column() {
    let (_dir, store) = store();
    let corrupt = "[[connection]]\nname = \"api\"\nurl = \"ws://h/\nping = 3\n";
    let path = write(&store, "prod", corrupt);
    let error = store.load("prod").unwrap_err().to_string();
    assert!(error.starts_with(&format!("{}:3:", path.display())), "{error}");

    let replacement = parse(Path::new("p.toml"), EXAMPLE).unwrap();
    let refused = store.save("prod", &replacement).unwrap_err().to_string();
    assert!(refused.contains("left as it is"), "{refused}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), corrupt, "the bytes are untouched");
}

#[test]
fn unknown_keys_are_errors_that_name_the_key_and_where() {
    let error = error_of("[[connection]]\nname = \"a\"\nurl = \"ws://h/\"\npign_interval = \"5s\"\n");
    assert!(error.contains(":4:1:") && error.contains("pign_interval"), "{error}");
    let error = error_of("[defaults]\ntimeout = \"5s\"\n");
    assert!(error.contains(":2:1:") && error.contains("timeout"), "{error}");
}

#[test]
fn bad_values_name_the_entry_or_the_spot() {
    let error =
        error_of("[[connection]]\nname = \"a\"\nurl = \"ws://h/\"\n[[connection]]\nname = \"a\"\nurl = \"ws://i/\"\n");
    assert!(error.contains("connection #2 'a'") && error.contains("twice"), "{error}");

    let error = error_of("[[connection]]\nname = \"a\"\nurl = \"http://h/\"\n");
    assert!(error.contains(":3:7:") && error.contains("did you mean ws://h/"), "{error}");

    let error = error_of("[[connection]]\nname = \"a\"\nurl = \"ws://h/\"\nping_timeout = \"soon\"\n");
    assert!(error.contains(":4:16:") && error.contains("'soon' is not a duration"), "{error}");

    let error = error_of("[defaults.reconnect]\nrestart_wave = \"1s\"\n");
    assert!(error.contains(":2:1:") && error.contains("'restart_wave'"), "{error}");

    let error = error_of("[[connection]]\nname = \"a\"\nurl = \"ws://h/\"\nheaders = { \"Bad Name\" = \"x\" }\n");
    assert!(error.contains("connection #1 'a'") && error.contains("header name"), "{error}");
}

#[test]
fn the_metrics_address_is_a_default_of_the_session_only() {
    let file = parse(Path::new("p.toml"), "[defaults]\nmetrics = \"127.0.0.1:9464\"\n").unwrap();
    assert_eq!(file.defaults.metrics.map(|addr| addr.0.to_string()), Some("127.0.0.1:9464".into()));
    assert!(toml::to_string(&file).unwrap().contains("metrics = \"127.0.0.1:9464\""));

    let error = error_of("[defaults]\nmetrics = \"9464\"\n");
    assert!(error.contains(":2:11:") && error.contains("not an address: '9464' — give HOST:PORT"), "{error}");
    let error = error_of("[[connection]]\nname = \"a\"\nurl = \"ws://h/\"\nmetrics = \"127.0.0.1:9464\"\n");
    assert!(error.contains(":4:1:") && error.contains("metrics"), "{error}");
}

#[test]
fn names_that_are_not_plain_file_names_are_refused() {
    let (_dir, store) = store();
    for bad in ["", "../x", "/", "a/b", ".hidden", "a b", "x\u{1b}"] {
        let error = store.path_of(bad).unwrap_err();
        assert!(matches!(error, ProfileError::BadName(_)), "{bad:?}");
        assert!(error.to_string().contains("e.g. prod"));
    }
    assert!(store.path_of("prod-eu_2.v1").is_ok());
}

#[test]
fn concurrent_saves_of_one_profile_leave_a_file_that_parses() {
    let (_dir, store) = store();
    let file = parse(Path::new("p.toml"), EXAMPLE).unwrap();
    std::thread::scope(|scope| {
        for i in 0..8 {
            let (store, mut file) = (&store, file.clone());
            scope.spawn(move || {
                for round in 0..10 {
                    file.connections[1].name = format!("chat-{i}-{round}");
                    store.save("shared", &file).unwrap();
                }
            });
        }
    });
    let (_, saved) = store.load("shared").unwrap();
    assert_eq!(saved.connections.len(), 2);
    assert!(saved.connections[1].name.starts_with("chat-"));
}

#[test]
fn list_and_remove() {
    let (_dir, store) = store();
    assert!(store.list().unwrap().is_empty(), "no directory yet: no profiles");
    store.save("b", &parse(Path::new("p.toml"), EXAMPLE).unwrap()).unwrap();
    write(&store, "a", "not toml [");
    let listed = store.list().unwrap();
    assert_eq!(listed.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    assert!(listed[0].connections.is_err());
    assert_eq!(listed[1].connections, Ok(2));
    let backup = store.remove("b").unwrap();
    assert!(backup.exists() && !store.exists("b").unwrap());
    assert!(matches!(store.remove("b"), Err(ProfileError::NotFound { .. })));
}

#[test]
fn specs_round_trip_through_a_profile() {
    let file = parse(Path::new("p.toml"), EXAMPLE).unwrap();
    let specs = file.specs_with_env(Path::new("p.toml"), |_| {}, token).unwrap();
    let flat = ProfileFile::from_specs_over(&specs, &Settings::default(), Path::new(""));
    let again = flat.specs_with_env(Path::new("p.toml"), |_| {}, token).unwrap();
    for (a, b) in specs.iter().zip(&again) {
        assert_eq!((&a.name, &a.url, &a.options.headers), (&b.name, &b.url, &b.options.headers));
        assert_eq!(
            (a.options.ping_interval, a.options.ping_timeout),
            (b.options.ping_interval, b.options.ping_timeout)
        );
        // The same rules; their order only matters for a repeated selector, which a file cannot hold.
        let (a, b) = (&a.options.rules.overrides, &b.options.rules.overrides);
        assert!(a.len() == b.len() && a.iter().all(|rule| b.contains(rule)), "{a:?} vs {b:?}");
    }
}

#[test]
fn the_shipped_example_parses_and_validates() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/profiles/example.toml");
    let file = parse(&path, &std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(file.connections.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["api", "chat-eu", "local"]);
    let specs = file.specs_with_env(&path, |_| {}, |name| (name == "API_TOKEN").then(|| "example".into())).unwrap();
    assert_eq!(specs[1].options.ping_interval, Some(std::time::Duration::from_secs(5)));
    assert_eq!(specs[0].options.ping_interval, Some(std::time::Duration::from_secs(15)));
    assert_eq!(specs[0].options.subprotocols, ["graphql-transport-ws"]);
}

#[test]
fn the_shipped_example_states_the_defaults_it_claims() {
    // The example's [defaults] timeouts are wsmon's own defaults: a user
    // who copies it changes nothing by accident.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/profiles/example.toml");
    let file = parse(&path, &std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(file.waves.rules(), crate::model::WaveRules::default(), "[waves] states the defaults");
    let mut options = ConnOptions::default();
    let defaults = options.clone();
    let timing_only = Settings { reconnect: Default::default(), ..file.defaults.clone() };
    apply(&timing_only, &mut options);
    assert_eq!(
        (
            options.connect_timeout,
            options.ping_interval,
            options.ping_timeout,
            options.stability_window,
            options.max_message_size
        ),
        (
            defaults.connect_timeout,
            defaults.ping_interval,
            defaults.ping_timeout,
            defaults.stability_window,
            defaults.max_message_size
        )
    );
}

#[test]
fn tls_extras_resolve_relative_to_the_profile_and_round_trip() {
    let text = "[defaults.tls]\nca_file = \"certs/ca.pem\"\n\n[[connection]]\nname = \"a\"\nurl = \"wss://h/\"\ntls = { insecure = true }\n";
    let path = Path::new("/home/me/.config/wsmon/profiles/p.toml");
    let file = parse(path, text).unwrap();
    let specs = file.specs(path, |_| {}).unwrap();
    let tls = &specs[0].options.tls;
    assert_eq!(tls.ca_file.as_deref(), Some(Path::new("/home/me/.config/wsmon/profiles/certs/ca.pem")));
    assert!(tls.insecure);
    let base = path.parent().unwrap();
    let flat = ProfileFile::from_specs_over(&specs, &Settings::default(), base);
    assert_eq!(flat.connections[0].tls.as_ref().unwrap().ca_file.as_deref(), Some(Path::new("certs/ca.pem")));
    assert_eq!(flat.specs(path, |_| {}).unwrap()[0].options.tls, *tls);
    let over = ProfileFile::from_specs_over(&specs, &file.defaults, base);
    assert_eq!(over, file, "over its own defaults, the CA file is not repeated");
    assert!(
        error_of("[[connection]]\nname = \"a\"\nurl = \"wss://h/\"\ntls = { verify = false }\n").contains("verify")
    );
}

#[test]
fn proxies_layer_round_trip_as_written_and_need_their_variables() {
    use crate::engine::proxy::Proxy;
    let text = r#"[defaults]
proxy = "http://ops:${WSMON_TEST_TOKEN}@proxy.corp:3128"

[[connection]]
name = "a"
url = "ws://h/"

[[connection]]
name = "b"
url = "ws://h/"
proxy = "socks5h://10.0.0.1:1080"

[[connection]]
name = "c"
url = "ws://h/"
proxy = ""
"#;
    let path = Path::new("p.toml");
    let file = parse(path, text).unwrap();
    let specs = file.specs_with_env(path, |_| {}, token).unwrap();
    let hosts: Vec<Option<&str>> = specs
        .iter()
        .map(|spec| match spec.options.proxy.as_deref() {
            Some(Proxy::Via(url)) => Some(url.host.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(hosts, [Some("proxy.corp"), Some("10.0.0.1"), None]);
    assert_eq!(specs[2].options.proxy.as_deref(), Some(&Proxy::Direct), "\"\" is none at all, not the environment's");
    // Saved over its defaults, each says what it said, `${VAR}` and all.
    let over = ProfileFile::from_specs_over(&specs, &file.defaults, Path::new(""));
    assert_eq!(over, file);
    let saved = toml::to_string(&over).unwrap();
    assert!(saved.contains(r#"proxy = "http://ops:${WSMON_TEST_TOKEN}@proxy.corp:3128""#), "{saved}");
    // The command line's proxy wins over the profile's.
    let flag = std::sync::Arc::new(Proxy::parse("socks5://flag:1080").unwrap());
    let specs = file.specs_with_env(path, |options| options.proxy = Some(flag.clone()), token).unwrap();
    assert!(specs.iter().all(|spec| spec.options.proxy.as_ref() == Some(&flag)));

    let unset = file_with_proxy("http://ops:${WSMON_TEST_SURELY_UNSET}@h:1");
    let error = unset.specs_with_env(path, |_| {}, token).unwrap_err().to_string();
    assert!(error.contains("'a'") && error.contains("WSMON_TEST_SURELY_UNSET"), "{error}");
    let bad = error_of("[defaults]\nproxy = \"ftp://ops:hunter2@h:1\"\n");
    assert!(bad.contains(":2:") && bad.contains("ops:***@h:1") && !bad.contains("hunter2"), "{bad}");
}

fn file_with_proxy(proxy: &str) -> ProfileFile {
    parse(Path::new("p.toml"), &format!("[[connection]]\nname = \"a\"\nurl = \"ws://h/\"\nproxy = \"{proxy}\"\n"))
        .unwrap()
}

#[test]
fn client_certificates_resolve_relative_to_the_profile_and_round_trip() {
    let text = "[defaults]\ntls = { cert_file = \"certs/client.pem\", key_file = \"certs/client-key.pem\" }\n\n\
                [[connection]]\nname = \"a\"\nurl = \"wss://h/\"\n\n\
                [[connection]]\nname = \"b\"\nurl = \"wss://h/\"\n\
                tls = { cert_file = \"/etc/wsmon/b.pem\", key_file = \"b-key.pem\" }\n";
    let path = Path::new("/home/me/.config/wsmon/profiles/p.toml");
    let file = parse(path, text).unwrap();
    let specs = file.specs(path, |_| {}).unwrap();
    let client = |index: usize| specs[index].options.tls.client.clone().unwrap();
    assert_eq!(client(0).cert_file, Path::new("/home/me/.config/wsmon/profiles/certs/client.pem"));
    assert_eq!(client(0).key_file, Path::new("/home/me/.config/wsmon/profiles/certs/client-key.pem"));
    assert_eq!(client(1).cert_file, Path::new("/etc/wsmon/b.pem"), "an absolute path stays as it is");
    assert_eq!(client(1).key_file, Path::new("/home/me/.config/wsmon/profiles/b-key.pem"));
    let base = path.parent().unwrap();
    let flat = ProfileFile::from_specs_over(&specs, &Settings::default(), base);
    let tls = flat.connections[0].tls.clone().unwrap();
    assert_eq!(
        (tls.cert_file.as_deref(), tls.key_file.as_deref()),
        (Some(Path::new("certs/client.pem")), Some(Path::new("certs/client-key.pem"))),
        "written relative to the profile again"
    );
    let again = flat.specs(path, |_| {}).unwrap();
    assert_eq!(
        (again[0].options.tls.clone(), again[1].options.tls.clone()),
        (specs[0].options.tls.clone(), specs[1].options.tls.clone())
    );
    let over = ProfileFile::from_specs_over(&specs, &file.defaults, base);
    assert_eq!(over, file, "over its own defaults, the pair is not repeated");
}

#[test]
fn a_certificate_without_its_key_is_refused_where_it_is_written() {
    let error = error_of("[[connection]]\nname = \"a\"\nurl = \"wss://h/\"\ntls = { cert_file = \"c.pem\" }\n");
    assert!(error.contains("connection #1 'a'") && error.contains("cert_file without key_file"), "{error}");
    assert!(error.contains("key_file = \"client-key.pem\""), "{error}");
    let error = error_of("[defaults.tls]\nkey_file = \"k.pem\"\n");
    assert!(error.contains("[defaults]") && error.contains("key_file without cert_file"), "{error}");
}

#[test]
fn over_its_defaults_a_profile_comes_back_as_it_was() {
    let file = parse(Path::new("p.toml"), EXAMPLE).unwrap();
    let specs = file.specs_with_env(Path::new("p.toml"), |_| {}, token).unwrap();
    let over = ProfileFile::from_specs_over(&specs, &file.defaults, Path::new(""));
    assert_eq!(over, file, "each connection keeps its own settings, no more");
    let again = over.specs_with_env(Path::new("p.toml"), |_| {}, token).unwrap();
    assert_eq!(debug(&again), debug(&specs), "rules included, in order");
}

/// Specs compared whole (they are not `PartialEq`: the options hold an `f64`).
fn debug(specs: &[ConnSpec]) -> String {
    format!("{specs:?}")
}

const HAND_WRITTEN: &str = r#"# Our production fleet.
# Keep ping_interval under the proxy's 10s idle timeout.

[defaults]
ping_interval = "5s"  # the proxy drops idle connections at 10s

[waves]
quiet = "30s"  # our deploys pause between services

# The public API, behind the load balancer.
[[connection]]
name = "api"
url = "wss://api.example.com/feed"  # v2 next quarter
headers = { Authorization = "Bearer ${WSMON_TEST_TOKEN}" }

# Chat: the support team watches this one.
[[connection]]
name = "chat"
url = "ws://127.0.0.1:9000/ws"
ping_timeout = "2s"  # chat pongs fast
"#;

/// What the TUI does on `S`: the specs of a hand-written profile, saved
/// back. The comments and `[defaults]` stay, nothing is copied into the
/// connections, and the file loads as the same specs.
#[test]
fn saving_specs_keeps_a_hand_written_profile_as_it_was_written() {
    let (_dir, store) = store();
    let path = write(&store, "prod", HAND_WRITTEN);
    let specs = store.load("prod").unwrap().1.specs_with_env(&path, |_| {}, token).unwrap();
    store.save_specs("prod", &specs).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    for comment in HAND_WRITTEN.lines().filter_map(|line| line.find('#').map(|at| &line[at..])) {
        assert!(text.contains(comment), "{comment:?} survives:\n{text}");
    }
    assert!(text.contains("[defaults]\nping_interval = \"5s\""), "{text}");
    assert_eq!(text.matches("ping_interval =").count(), 1, "no connection gains the default:\n{text}");
    assert_eq!(text, HAND_WRITTEN, "nothing changed, so no byte did");
    let saved = store.load("prod").unwrap().1;
    assert_eq!(debug(&saved.specs_with_env(&path, |_| {}, token).unwrap()), debug(&specs));
    assert_eq!(std::fs::read_to_string(path.with_extension("toml.bak")).unwrap(), HAND_WRITTEN);
}

/// A connection removed and one added (the TUI's `d` and `a`): the
/// comments of the ones that stay stay, and the new one says only what
/// differs from the file's `[defaults]`.
#[test]
fn saving_changed_specs_keeps_the_comments_of_what_stays() {
    let (_dir, store) = store();
    let path = write(&store, "prod", HAND_WRITTEN);
    let file = store.load("prod").unwrap().1;
    let mut specs = file.specs_with_env(&path, |_| {}, token).unwrap();
    specs.remove(0);
    let mut added = specs[0].clone();
    (added.name, added.url) = ("edge".into(), url::Url::parse("ws://127.0.0.1:9001/").unwrap());
    std::sync::Arc::make_mut(&mut added.options).ping_timeout = ConnOptions::default().ping_timeout;
    specs.push(added);
    store.save_specs("prod", &specs).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("api") && !text.contains("load balancer"), "{text}");
    assert!(text.starts_with("# Our production fleet.\n# Keep ping_interval"), "{text}");
    assert!(text.contains("# Chat: the support team watches this one.\n[[connection]]\nname = \"chat\""), "{text}");
    assert!(text.contains("ping_timeout = \"2s\"  # chat pongs fast"), "{text}");
    assert!(text.ends_with("[[connection]]\nname = \"edge\"\nurl = \"ws://127.0.0.1:9001/\"\n"), "{text}");
    assert_eq!(debug(&store.load("prod").unwrap().1.specs_with_env(&path, |_| {}, token).unwrap()), debug(&specs));
}

/// `expect_message_within` in the defaults, overridden per connection
/// ("0s": this one is never silent), and kept by a save.
#[test]
fn expect_message_within_layers_like_every_setting() {
    let text = "[defaults]\nexpect_message_within = \"30s\"\n\n[[connection]]\nname = \"feed\"\nurl = \"ws://h:1/\"\n\n[[connection]]\nname = \"chat\"\nurl = \"ws://h:2/\"\nexpect_message_within = \"0s\"\n";
    let file = parse(Path::new("p.toml"), text).unwrap();
    let specs = file.specs_with_env(Path::new("p.toml"), |_| {}, token).unwrap();
    assert_eq!(specs[0].options.expect_message_within, Some(std::time::Duration::from_secs(30)));
    assert_eq!(specs[1].options.expect_message_within, None);
    let error = error_of("[defaults]\nexpect_message_within = \"soon\"\n");
    assert!(error.contains("p.toml:2:25") && error.contains("write it like"), "{error}");
}

/// A span's offset inside a multibyte character never slices the text.
#[test]
fn an_offset_inside_a_character_counts_from_its_start() {
    let text = "name = \"api\"\n# サービス\nurl = 1\n";
    let inside = text.find('サ').unwrap() + 1;
    assert_eq!(super::line_and_column(text, inside), (2, 3));
    assert_eq!(super::line_and_column(text, text.len() + 5), (4, 1));
}
