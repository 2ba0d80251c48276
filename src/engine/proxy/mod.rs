//! Proxies (docs/ARCHITECTURE.md, "Proxies"): which one a connection goes
//! through (`--proxy`, a profile's `proxy`, else the environment by curl's
//! rules in `env`), how it is written and shown (credentials masked), and
//! the tunnel through it (`connect`: HTTP CONNECT or SOCKS5).
//!
//! Nothing here lives per connection: a spec holds its proxy setting as one
//! pointer (None: the environment decides), and a connection's route is
//! worked out again for each try from the spec and the environment read
//! once, at the first use.

pub(super) mod connect;
pub mod env;

use std::fmt;
use std::sync::{Arc, OnceLock};

use super::spec::ConnSpec;

/// The port of a proxy URL that names none: 1080, as in curl.
pub const DEFAULT_PORT: u16 = 1080;

/// How the tunnel is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `http://`: HTTP CONNECT; the proxy resolves the target's name.
    Http,
    /// `socks5://`: wsmon resolves the target's name and sends the address.
    Socks5,
    /// `socks5h://`: the proxy resolves the target's name.
    Socks5h,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Socks5 => "socks5",
            Scheme::Socks5h => "socks5h",
        }
    }
}

/// A proxy URL: `http://[user[:password]@]host[:port]`, or `socks5://`,
/// `socks5h://`. The user and password are kept as written (percent
/// escapes decoded), `${VAR}` and all: expanded only when a tunnel is made.
/// Its `Debug` is `shown()`: the password never reaches a log that way.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl {
    pub scheme: Scheme,
    /// Without brackets for IPv6.
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<String>,
    /// As the user wrote it, for saving a profile.
    text: String,
}

/// A connection's proxy, when it was given (a flag, a profile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proxy {
    /// None at all, whatever the environment says (`--no-proxy`, `proxy = ""`).
    Direct,
    Via(ProxyUrl),
}

/// What a spec says of its proxy: None leaves it to the environment. One
/// pointer in the options, shared by every connection that has it.
pub type ProxySetting = Option<Arc<Proxy>>;

impl Proxy {
    /// `--proxy` or a profile's `proxy`: a URL, or "" for none at all.
    pub fn parse(text: &str) -> Result<Proxy, String> {
        if text.trim().is_empty() { Ok(Proxy::Direct) } else { ProxyUrl::parse(text).map(Proxy::Via) }
    }

    /// As written: "" for none.
    pub fn text(&self) -> &str {
        match self {
            Proxy::Direct => "",
            Proxy::Via(url) => &url.text,
        }
    }
}

impl ProxyUrl {
    pub fn parse(text: &str) -> Result<ProxyUrl, String> {
        let shown = mask(text);
        let bad = |why: &str| {
            format!(
                "'{shown}' is not a proxy URL: {why}; write http://[user:password@]host:port, socks5://… or socks5h://…"
            )
        };
        let trimmed = text.trim();
        let (scheme, rest) = match trimmed.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            // As in curl: no scheme is an HTTP proxy.
            None => ("http".to_string(), trimmed),
        };
        let scheme = match scheme.as_str() {
            "http" => Scheme::Http,
            "socks5" => Scheme::Socks5,
            "socks5h" => Scheme::Socks5h,
            "https" => {
                return Err(bad("https:// proxies (TLS to the proxy) are not supported, use http:// (CONNECT)"));
            }
            other => return Err(bad(&format!("{other}:// is not a proxy wsmon speaks (http, socks5, socks5h)"))),
        };
        // The credentials end at the last '@': a password may hold '/', '?'
        // or '#' written as they are.
        let userinfo_end = rest.rfind('@').map_or(0, |at| at + 1);
        let end = rest[userinfo_end..].find(['/', '?', '#']).map_or(rest.len(), |at| userinfo_end + at);
        let (authority, path) = rest.split_at(end);
        if !matches!(path, "" | "/") {
            return Err(bad("a proxy URL has no path"));
        }
        let (userinfo, host_port) = match authority.rsplit_once('@') {
            Some((userinfo, host_port)) => (Some(userinfo), host_port),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(userinfo) => {
                let (user, password) = match userinfo.split_once(':') {
                    Some((user, password)) => (user, Some(password)),
                    None => (userinfo, None),
                };
                let user = decode(user).ok_or_else(|| bad("the user name has a bad %-escape"))?;
                let password = match password {
                    Some(password) => Some(decode(password).ok_or_else(|| bad("the password has a bad %-escape"))?),
                    None => None,
                };
                (Some(user), password)
            }
        };
        let (host, port) = split_host_port(host_port).map_err(bad)?;
        Ok(ProxyUrl { scheme, host, port, user, password, text: trimmed.to_string() })
    }

    /// The proxy as it may be shown anywhere: the password as `***`.
    pub fn shown(&self) -> String {
        let user = match (&self.user, &self.password) {
            (Some(user), Some(_)) => format!("{user}:***@"),
            (Some(user), None) => format!("{user}@"),
            _ => String::new(),
        };
        format!("{}://{user}{}", self.scheme.as_str(), self.address())
    }

    /// `host:port`, IPv6 in brackets.
    pub fn address(&self) -> String {
        authority(&self.host, self.port)
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ProxyUrl").field(&self.shown()).finish()
    }
}

impl fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown())
    }
}

/// `host:port` for a request line or a message, IPv6 in brackets.
pub fn authority(host: &str, port: u16) -> String {
    if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

fn split_host_port(text: &str) -> Result<(String, u16), &'static str> {
    let (host, port) = if let Some(inner) = text.strip_prefix('[') {
        let (host, after) = inner.split_once(']').ok_or("an IPv6 address needs its closing ']'")?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').ok_or("something follows the IPv6 address")?)),
        }
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    if host.is_empty() {
        return Err("it has no host");
    }
    if host.chars().any(|c| c.is_whitespace() || c.is_control() || "/\\@[]".contains(c)) {
        return Err("the host has characters a host name cannot have");
    }
    let port = match port {
        None => DEFAULT_PORT,
        Some(port) => {
            port.parse::<u16>().ok().filter(|port| *port > 0).ok_or("the port is not a number from 1 to 65535")?
        }
    };
    Ok((host.to_string(), port))
}

/// `%XX` escapes decoded; None when one is broken or the result is not UTF-8.
fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = text.get(at + 1..at + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A URL-like text with the password of its credentials (if any) written
/// `***`: `http://u:p@h:1` → `http://u:***@h:1`, `u:p@h` → `u:***@h`.
/// Everything from the first ':' to the last '@' counts as the password,
/// as `parse` reads it: one holding '/' or '@' is hidden whole, and an '@'
/// in a path hides more than it needs to, never less.
pub fn mask(text: &str) -> String {
    let start = text.find("://").map_or(0, |at| at + 3);
    let Some(at) = text[start..].rfind('@').map(|at| start + at) else { return text.to_string() };
    match text[start..at].find(':') {
        Some(colon) => format!("{}:***{}", &text[..start + colon], &text[at..]),
        None => text.to_string(),
    }
}

/// `text` with every credential in a URL-like word masked: for messages
/// that quote what the user typed (a usage error quoting `--proxy`). Words
/// end only at blanks: a password may hold quotes or brackets.
pub fn mask_all(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    for c in text.chars() {
        if c.is_whitespace() {
            out.push_str(&mask(&word));
            word.clear();
            out.push(c);
        } else {
            word.push(c);
        }
    }
    out.push_str(&mask(&word));
    out
}

/// The way to a connection's server, when it goes through a proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub proxy: ProxyUrl,
    /// Where it came from: `--proxy` (or a profile), or the variable.
    pub from: &'static str,
}

/// The proxy a connection goes through: its own setting, else the
/// environment (read once per process). Err: the environment names a
/// proxy that is not a proxy URL (the message names the variable).
pub fn route(spec: &ConnSpec) -> Result<Option<Route>, String> {
    route_with(spec, environment())
}

/// `route`, with `env` standing for the environment.
pub fn route_with(spec: &ConnSpec, env: &Environment) -> Result<Option<Route>, String> {
    match spec.options.proxy.as_deref() {
        Some(Proxy::Direct) => Ok(None),
        Some(Proxy::Via(proxy)) => Ok(Some(Route { proxy: proxy.clone(), from: "the proxy setting" })),
        None => {
            let host = spec.url.host_str().unwrap_or_default();
            let tls = spec.url.scheme() == "wss";
            let Some((variable, value)) = env::choose(host, tls, |name| env.get(name)) else { return Ok(None) };
            let proxy = ProxyUrl::parse(&value).map_err(|error| format!("{variable}: {error}"))?;
            Ok(Some(Route { proxy, from: variable }))
        }
    }
}

/// How a connection's proxy is shown ("http://user:***@proxy:3128"), or
/// None when it goes direct. A proxy variable that does not parse is
/// shown as the variable's name: the handshake says what is wrong with it.
pub fn shown(spec: &ConnSpec) -> Option<String> {
    match route(spec) {
        Ok(route) => route.map(|route| route.proxy.shown()),
        Err(_) => spec.options.proxy.is_none().then(|| "a proxy from the environment".to_string()),
    }
}

/// The proxy variables as the process found them.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    values: Vec<(&'static str, String)>,
}

impl Environment {
    pub fn from(lookup: impl Fn(&str) -> Option<String>) -> Environment {
        Environment { values: env::all_variables().filter_map(|name| Some((name, lookup(name)?))).collect() }
    }

    fn get(&self, name: &str) -> Option<String> {
        self.values.iter().find(|(key, _)| *key == name).map(|(_, value)| value.clone())
    }
}

/// The process's proxy variables, read at the first use.
fn environment() -> &'static Environment {
    static ENVIRONMENT: OnceLock<Environment> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| Environment::from(|name| std::env::var(name).ok()))
}

#[cfg(test)]
mod tests;
