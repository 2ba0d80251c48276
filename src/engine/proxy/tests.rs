use super::*;
use crate::engine::ConnOptions;

fn spec(url: &str, proxy: ProxySetting) -> ConnSpec {
    ConnSpec {
        name: "a".into(),
        url: url::Url::parse(url).unwrap(),
        options: ConnOptions { proxy, ..ConnOptions::default() }.into(),
    }
}

fn environment(pairs: &[(&str, &str)]) -> Environment {
    Environment::from(|name| pairs.iter().find(|(key, _)| *key == name).map(|(_, value)| value.to_string()))
}

#[test]
fn proxy_urls_parse_with_credentials_and_default_port() {
    let url = ProxyUrl::parse("http://alice:s%40cret@proxy.corp:3128/").unwrap();
    assert_eq!((url.scheme, url.host.as_str(), url.port), (Scheme::Http, "proxy.corp", 3128));
    assert_eq!((url.user.as_deref(), url.password.as_deref()), (Some("alice"), Some("s@cret")));
    assert_eq!(url.shown(), "http://alice:***@proxy.corp:3128");
    assert_eq!(url.text, "http://alice:s%40cret@proxy.corp:3128/");

    let socks = ProxyUrl::parse("SOCKS5H://[::1]").unwrap();
    assert_eq!((socks.scheme, socks.host.as_str(), socks.port), (Scheme::Socks5h, "::1", DEFAULT_PORT));
    assert_eq!(socks.shown(), "socks5h://[::1]:1080");
    // No scheme: an HTTP proxy, as in curl. A user without a password.
    let bare = ProxyUrl::parse("bob@10.0.0.1:8080").unwrap();
    assert_eq!((bare.scheme, bare.user.as_deref(), bare.password.as_deref()), (Scheme::Http, Some("bob"), None));
    assert_eq!(bare.shown(), "http://bob@10.0.0.1:8080");
    // Variables stay as written, to be expanded when connecting.
    let secret = ProxyUrl::parse("socks5://${PROXY_USER}:${PROXY_PASS}@127.0.0.1:1080").unwrap();
    assert_eq!(secret.password.as_deref(), Some("${PROXY_PASS}"));
    assert_eq!(secret.shown(), "socks5://${PROXY_USER}:***@127.0.0.1:1080");
    // An http proxy on port 80 keeps it (url would drop it as the default).
    assert_eq!(ProxyUrl::parse("http://h:80").unwrap().port, 80);
}

#[test]
fn bad_proxy_urls_say_why_and_never_show_the_password() {
    let cases = [
        ("https://u:hunter2@h:1", "not supported"),
        ("socks4://u:hunter2@h:1", "socks4:// is not a proxy"),
        ("http://u:hunter2@h:0", "port"),
        ("http://u:hunter2@h:99999", "port"),
        ("http://u:hunter2@:3128", "no host"),
        ("http://u:hunter2@h:1/path", "no path"),
        ("http://u:hunter2%zz@h:1", "%-escape"),
        ("http://u:hunter2@[::1:1", "']'"),
        ("http://u:hunter2@h st:1", "characters"),
    ];
    for (text, why) in cases {
        let error = ProxyUrl::parse(text).unwrap_err();
        assert!(error.contains(why), "{text}: {error}");
        assert!(!error.contains("hunter2"), "{text}: {error}");
        assert!(error.contains("u:***@"), "{text}: {error}");
    }
}

#[test]
fn an_empty_setting_means_no_proxy_at_all() {
    assert_eq!(Proxy::parse("").unwrap(), Proxy::Direct);
    assert_eq!(Proxy::parse("  ").unwrap().text(), "");
    assert_eq!(Proxy::parse("h:3128").unwrap().text(), "h:3128");
}

#[test]
fn masking_hides_only_passwords() {
    assert_eq!(mask("http://u:p@h:1/x"), "http://u:***@h:1/x");
    assert_eq!(mask("u:p:q@h"), "u:***@h");
    assert_eq!(mask("http://u@h:1"), "http://u@h:1");
    // Ambiguous: "1/a" may be a password holding '/'. Hidden, to be safe.
    assert_eq!(mask("http://h:1/a@b"), "http://h:***@b");
    assert_eq!(mask("http://alice:pa/ss#x@proxy:3128"), "http://alice:***@proxy:3128");
    assert_eq!(mask("wss://a.example/x?y=1"), "wss://a.example/x?y=1");
    assert_eq!(
        mask_all("error: invalid value 'http://u:p@w@h:1' for '--proxy <URL>': bad"),
        "error: invalid value 'http://u:***@h:1' for '--proxy <URL>': bad"
    );
    assert_eq!(
        mask_all("error: invalid value 'http://u:p')(x@h:1' for '--proxy <URL>'"),
        "error: invalid value 'http://u:***@h:1' for '--proxy <URL>'"
    );
}

/// Generated passwords hold '/', '?' and '#'; written as they are, they
/// must parse, and where the URL is refused they must not show.
#[test]
fn a_password_with_url_delimiters_parses_and_never_shows() {
    let proxy = ProxyUrl::parse("http://alice:pa/ss?w#rd@proxy.example:3128").unwrap();
    assert_eq!(proxy.password.as_deref(), Some("pa/ss?w#rd"));
    assert_eq!((proxy.host.as_str(), proxy.port), ("proxy.example", 3128));
    assert!(!format!("{proxy:?} {proxy}").contains("pa/ss"), "{proxy:?}");
    let route = Route { proxy, from: "https_proxy" };
    assert!(!format!("{route:?}").contains("pa/ss"), "{route:?}");

    let env = environment(&[("https_proxy", "http://alice:s3cr/et@proxy.example:3128/x")]);
    let error = route_with(&spec("wss://api.example/", None), &env).unwrap_err();
    assert!(error.contains("has no path") && !error.contains("s3cr"), "{error}");
}

#[test]
fn a_spec_s_own_setting_comes_before_the_environment() {
    let env = environment(&[("http_proxy", "http://envproxy:3128"), ("no_proxy", "direct.example")]);
    let from_env = route_with(&spec("ws://api.example/", None), &env).unwrap().unwrap();
    assert_eq!((from_env.proxy.host.as_str(), from_env.from), ("envproxy", "http_proxy"));
    assert_eq!(route_with(&spec("ws://direct.example/", None), &env).unwrap(), None);
    assert_eq!(route_with(&spec("wss://api.example/", None), &env).unwrap(), None, "https_proxy is not set");

    let direct = Some(Arc::new(Proxy::Direct));
    assert_eq!(route_with(&spec("ws://api.example/", direct), &env).unwrap(), None);
    // An explicit proxy is used as given: no_proxy is for the environment's.
    let own = Some(Arc::new(Proxy::parse("socks5h://own:1080").unwrap()));
    let route = route_with(&spec("ws://direct.example/", own), &env).unwrap().unwrap();
    assert_eq!(route.proxy.host, "own");
}

#[test]
fn a_bad_proxy_variable_is_named() {
    let env = environment(&[("all_proxy", "ftp://user:hunter2@h:1")]);
    let error = route_with(&spec("ws://api.example/", None), &env).unwrap_err();
    assert!(error.starts_with("all_proxy: "), "{error}");
    assert!(!error.contains("hunter2"), "{error}");
}
