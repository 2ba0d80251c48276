//! What to connect to and how: the validated form of a command line or a
//! profile entry. Parsing here gives errors that say what is wrong with the
//! value and how to write it instead.

use std::sync::Arc;
use std::time::Duration;

use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use url::Url;

use super::policy::Rules;
use super::proxy::ProxySetting;
use super::tls::TlsOptions;

/// One connection to monitor.
#[derive(Debug, Clone)]
pub struct ConnSpec {
    pub name: String,
    pub url: Url,
    /// Shared by the connections that have the same options (a profile's
    /// connections mostly do): at 10,000 connections a copy each would be
    /// about 3 MB (docs/ARCHITECTURE.md, "Budgets").
    pub options: Arc<ConnOptions>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConnOptions {
    /// Extra request headers, in order.
    pub headers: Vec<(String, String)>,
    pub subprotocols: Vec<String>,
    pub origin: Option<String>,
    /// Text messages sent as soon as the connection opens.
    pub send_on_open: Vec<String>,
    /// None: no pings.
    pub ping_interval: Option<Duration>,
    pub ping_timeout: Duration,
    /// Bounds each handshake stage (DNS, TCP or the proxy's steps, TLS, HTTP) separately.
    pub connect_timeout: Duration,
    /// An open that lasts this long resets the reconnect backoff.
    pub stability_window: Duration,
    /// Largest message (and frame) accepted; larger ones close with 1009.
    pub max_message_size: usize,
    pub rules: Rules,
    pub tls: TlsOptions,
    /// Reconnect delays are divided by this: 1 keeps the rules' times; the
    /// demo's `--speed` plays a deployment faster with the same rules.
    pub delay_divisor: f64,
    /// The service it belongs to (a profile's `group`); None: its endpoint.
    pub group: Option<String>,
    /// An open connection that receives no message for this long is
    /// silent (a feed that stopped while pings still answer). None: never.
    pub expect_message_within: Option<Duration>,
    /// `--proxy` or a profile's `proxy`; None: the environment's, by
    /// curl's rules (`proxy::env`).
    pub proxy: ProxySetting,
}

impl Default for ConnOptions {
    fn default() -> Self {
        ConnOptions {
            headers: Vec::new(),
            subprotocols: Vec::new(),
            origin: None,
            send_on_open: Vec::new(),
            ping_interval: Some(Duration::from_secs(15)),
            ping_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            stability_window: Duration::from_secs(10),
            max_message_size: 1 << 20,
            rules: Rules::default(),
            tls: TlsOptions::default(),
            delay_divisor: 1.0,
            group: None,
            expect_message_within: None,
            proxy: None,
        }
    }
}

/// A `ws://` or `wss://` URL, or an error that says how to write one.
pub fn parse_ws_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|error| match error {
        url::ParseError::RelativeUrlWithoutBase => {
            format!("'{text}' is not a URL: it needs a scheme, e.g. ws://{text} or wss://{text}")
        }
        other => format!("'{text}' is not a valid URL ({other}); write it like ws://host:port/path"),
    })?;
    match url.scheme() {
        "ws" | "wss" => {}
        "http" | "https" => {
            let suggestion = text.replacen("http", "ws", 1);
            return Err(format!(
                "'{text}' uses {}://; wsmon connects to ws:// or wss:// URLs (did you mean {suggestion}?)",
                url.scheme()
            ));
        }
        other => return Err(format!("'{text}' uses {other}://; wsmon connects to ws:// or wss:// URLs only")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("'{text}' has no host; write it like ws://host:port/path"));
    }
    Ok(url)
}

/// `URL` or `NAME=URL`. A `=` counts as the name separator only when what
/// stands before it could not be part of a URL.
pub fn parse_target(text: &str) -> Result<(Option<String>, Url), String> {
    if let Some((name, url)) = text.split_once('=')
        && !name.is_empty()
        && !name.contains([':', '/', '?'])
    {
        return Ok((Some(name.to_string()), parse_ws_url(url)?));
    }
    Ok((None, parse_ws_url(text)?))
}

/// The name a connection gets when none was given: host, port and path.
pub fn default_name(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    let mut name = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    if url.path() != "/" {
        name.push_str(url.path());
    }
    name
}

/// Give every connection a unique name: a repeated name gets `#2`, `#3`...
pub fn dedupe_names(names: &mut [String]) {
    let mut seen = std::collections::HashSet::new();
    for name in names.iter_mut() {
        let mut candidate = name.clone();
        let mut n = 1;
        while !seen.insert(candidate.clone()) {
            n += 1;
            candidate = format!("{name}#{n}");
        }
        *name = candidate;
    }
}

/// `Name: value`, checked against HTTP's rules for both parts.
pub fn parse_header(text: &str) -> Result<(String, String), String> {
    let Some((name, value)) = text.split_once(':') else {
        return Err(format!(
            "'{text}' is not a header: write it as 'Name: value', e.g. -H 'Authorization: Bearer ${{TOKEN}}'"
        ));
    };
    let (name, value) = (name.trim(), value.trim());
    HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("'{name}' is not a valid header name: use letters, digits and '-' (e.g. X-Api-Key)"))?;
    HeaderValue::from_str(value).map_err(|_| {
        format!("the value of header '{name}' has characters HTTP does not allow (control characters or newlines)")
    })?;
    Ok((name.to_string(), value.to_string()))
}

/// A subprotocol name as RFC 6455 §4.1 allows it: a token (printable
/// ASCII, no spaces, none of `()<>@,;:\"/[]?={}`). Checked where the name
/// is given (the command line, a profile), so a bad one is a start-up error
/// rather than a request that cannot be sent.
pub fn parse_subprotocol(text: &str) -> Result<String, String> {
    const SEPARATORS: &str = "()<>@,;:\\\"/[]?={}";
    if text.is_empty() {
        return Err("a subprotocol name cannot be empty: give one such as graphql-ws".into());
    }
    let Some(bad) = text.chars().find(|&c| !c.is_ascii_graphic() || SEPARATORS.contains(c)) else {
        return Ok(text.to_string());
    };
    let what = match bad {
        ' ' => "a space".to_string(),
        ',' => "',' (to offer several subprotocols, give each one on its own)".to_string(),
        c if !c.is_ascii() => format!("'{c}' (U+{:04X}), which is not ASCII", c as u32),
        c if c.is_ascii_control() => format!("the control character U+{:04X}", c as u32),
        c => format!("'{c}'"),
    };
    Err(format!(
        "'{text}' is not a subprotocol name: it holds {what}; a subprotocol is a token of printable ASCII \
         without spaces or any of ()<>@,;:\\\"/[]?={{}} (RFC 6455 §4.1), e.g. graphql-ws or v2.chat"
    ))
}

/// Expand `${NAME}` from the environment. Secrets stay written as
/// `${NAME}` everywhere else (profiles, events, logs); this runs only when
/// a request is built. Err names the first variable that is not set.
pub fn expand_env(value: &str) -> Result<String, String> {
    expand_with(value, |name| std::env::var(name).ok())
}

/// `value` with its variables looked up; the first unknown name is the error.
pub(super) fn expand_with(value: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let Some(length) = rest[start + 2..].find('}') else { break };
        let name = &rest[start + 2..start + 2 + length];
        out.push_str(&rest[..start]);
        out.push_str(&lookup(name).ok_or_else(|| name.to_string())?);
        rest = &rest[start + 3 + length..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The names of the `${NAME}` variables in a value, in order.
pub fn variables(value: &str) -> impl Iterator<Item = &str> {
    let mut rest = value;
    std::iter::from_fn(move || {
        let start = rest.find("${")?;
        let length = rest[start + 2..].find('}')?;
        let name = &rest[start + 2..start + 2 + length];
        rest = &rest[start + 3 + length..];
        Some(name)
    })
}

/// The variables the headers name that `lookup` does not know, in order.
pub fn missing_variables(headers: &[(String, String)], lookup: impl Fn(&str) -> Option<String>) -> Vec<String> {
    headers.iter().filter_map(|(_, value)| expand_with(value, &lookup).err()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_expand_or_name_the_missing_one() {
        let lookup = |name: &str| (name == "TOKEN").then(|| "s3cret".to_string());
        assert_eq!(expand_with("Bearer ${TOKEN}", lookup), Ok("Bearer s3cret".into()));
        assert_eq!(expand_with("${TOKEN}-${TOKEN}", lookup), Ok("s3cret-s3cret".into()));
        assert_eq!(expand_with("a ${NOPE} b", lookup), Err("NOPE".into()));
        assert_eq!(expand_with("no vars, ${ unclosed", lookup), Ok("no vars, ${ unclosed".into()));
    }

    #[test]
    fn urls_must_be_websocket_urls() {
        assert!(parse_ws_url("ws://127.0.0.1:9000/feed").is_ok());
        assert!(parse_ws_url("wss://example.com").is_ok());
        let http = parse_ws_url("http://example.com/ws").unwrap_err();
        assert!(http.contains("did you mean ws://example.com/ws"), "{http}");
        let bare = parse_ws_url("example.com:80").unwrap_err();
        assert!(bare.contains("ws://") || bare.contains("scheme"), "{bare}");
        let relative = parse_ws_url("localhost/feed").unwrap_err();
        assert!(relative.contains("needs a scheme"), "{relative}");
        let ftp = parse_ws_url("ftp://x").unwrap_err();
        assert!(ftp.contains("ws:// or wss://"), "{ftp}");
        assert!(parse_ws_url("ws://").is_err());
    }

    #[test]
    fn targets_may_carry_a_name() {
        let (name, url) = parse_target("api=ws://h:1/x?a=b").unwrap();
        assert_eq!(name.as_deref(), Some("api"));
        assert_eq!(url.as_str(), "ws://h:1/x?a=b");
        let (name, url) = parse_target("ws://h:1/x?a=b").unwrap();
        assert_eq!(name, None);
        assert_eq!(url.query(), Some("a=b"));
        assert!(parse_target("api=http://h").is_err());
    }

    #[test]
    fn default_names_are_unique() {
        let url = parse_ws_url("ws://127.0.0.1:9000/feed").unwrap();
        assert_eq!(default_name(&url), "127.0.0.1:9000/feed");
        let mut names = vec!["a".to_string(), "a".to_string(), "b".to_string(), "a".to_string()];
        dedupe_names(&mut names);
        assert_eq!(names, ["a", "a#2", "b", "a#3"]);
    }

    #[test]
    fn subprotocols_must_be_tokens() {
        for good in ["graphql-ws", "v2.chat", "mqtt", "x!#$%&'*+-.^_`|~1"] {
            assert_eq!(parse_subprotocol(good).as_deref(), Ok(good));
        }
        let accented = parse_subprotocol("chät").unwrap_err();
        assert!(accented.contains("'chät'") && accented.contains("U+00E4"), "{accented}");
        assert!(accented.contains("token") && accented.contains("e.g. graphql-ws"), "{accented}");
        assert!(parse_subprotocol("a b").unwrap_err().contains("a space"));
        assert!(parse_subprotocol("a,b").unwrap_err().contains("give each one on its own"));
        assert!(parse_subprotocol("a/b").unwrap_err().contains("'/'"));
        assert!(parse_subprotocol("a\u{7}").unwrap_err().contains("U+0007"));
        assert!(parse_subprotocol("").unwrap_err().contains("empty"));
    }

    #[test]
    fn headers_are_checked() {
        assert_eq!(parse_header("X-Key:  abc ").unwrap(), ("X-Key".into(), "abc".into()));
        assert!(parse_header("no colon").unwrap_err().contains("'Name: value'"));
        assert!(parse_header("Bad Name: x").unwrap_err().contains("not a valid header name"));
        assert!(parse_header("X: a\u{7}b").unwrap_err().contains("does not allow"));
    }
}
