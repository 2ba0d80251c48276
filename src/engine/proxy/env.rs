//! Which proxy the environment names for a URL, by curl's rules
//! (docs/ARCHITECTURE.md, "Proxies"). Pure: the environment comes in as a
//! lookup, so every rule is tested without touching the process's own.
//!
//! * The variables, in curl's order: for `ws://`, `ws_proxy`, `WS_PROXY`,
//!   then `http_proxy` (never `HTTP_PROXY`: a CGI program gets the request's
//!   `Proxy:` header in it), then `all_proxy`, `ALL_PROXY`; for `wss://`,
//!   `wss_proxy`, `WSS_PROXY`, `https_proxy`, `HTTPS_PROXY`, `all_proxy`,
//!   `ALL_PROXY`. An empty variable counts as unset.
//! * `no_proxy` (else `NO_PROXY`) lists hosts that go direct: `*` alone is
//!   every host; entries are separated by commas (blanks around them are
//!   skipped); a name matches itself and every name under it (`example.com`
//!   and `.example.com` both match `api.example.com`, never
//!   `badexample.com`), case-insensitively, trailing dots ignored; an IP
//!   address matches the same address written as an IP (with `/bits`, a
//!   range). Entries never hold ports: the URL's port plays no part, and an
//!   entry written with one (`host:8080`) matches nothing, as in curl.

use std::net::IpAddr;

/// The variables that may name a proxy for a `ws://` (`tls` false) or
/// `wss://` URL, in the order curl reads them.
pub fn proxy_variables(tls: bool) -> &'static [&'static str] {
    if tls {
        &["wss_proxy", "WSS_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
    } else {
        &["ws_proxy", "WS_PROXY", "http_proxy", "all_proxy", "ALL_PROXY"]
    }
}

/// The variables that list hosts to reach directly.
pub const NO_PROXY_VARIABLES: [&str; 2] = ["no_proxy", "NO_PROXY"];

/// Every variable these rules read.
pub fn all_variables() -> impl Iterator<Item = &'static str> {
    proxy_variables(false).iter().chain(proxy_variables(true)).chain(NO_PROXY_VARIABLES.iter()).copied()
}

/// The proxy the environment names for `host` (as the URL writes it,
/// IPv6 in brackets or not) over TLS or not: the variable and its value.
/// None: no variable is set, or `no_proxy` lists the host.
pub fn choose(host: &str, tls: bool, lookup: impl Fn(&str) -> Option<String>) -> Option<(&'static str, String)> {
    let set = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
    let (variable, value) = proxy_variables(tls).iter().find_map(|name| Some((*name, set(name)?)))?;
    let no_proxy = NO_PROXY_VARIABLES.iter().find_map(|name| set(name));
    if no_proxy.is_some_and(|list| bypasses(host, &list)) {
        return None;
    }
    Some((variable, value))
}

/// Whether `no_proxy` lists `host` (curl's `Curl_check_noproxy`).
pub fn bypasses(host: &str, no_proxy: &str) -> bool {
    if host.is_empty() {
        return false;
    }
    if no_proxy.trim() == "*" {
        return true;
    }
    let bare = host.strip_prefix('[').and_then(|inner| inner.strip_suffix(']')).unwrap_or(host);
    let ip = bare.parse::<IpAddr>().ok();
    let name = bare.strip_suffix('.').unwrap_or(bare);
    entries(no_proxy).any(|entry| match ip {
        Some(ip) => ip_matches(ip, entry),
        None => name_matches(name, entry),
    })
}

/// The entries of a `no_proxy` list: split at commas and blanks, as curl
/// reads it (a blank between two entries without a comma ends the list).
fn entries(list: &str) -> impl Iterator<Item = &str> {
    let mut rest = list;
    let mut ended = false;
    std::iter::from_fn(move || {
        loop {
            if ended {
                return None;
            }
            rest = rest.trim_start_matches([' ', '\t']);
            if rest.is_empty() {
                return None;
            }
            let length = rest.find([' ', '\t', ',']).unwrap_or(rest.len());
            let (entry, after) = rest.split_at(length);
            let after = after.trim_start_matches([' ', '\t']);
            match after.strip_prefix(',') {
                Some(more) => rest = more.trim_start_matches(','),
                None => {
                    ended = true;
                    rest = "";
                }
            }
            if !entry.is_empty() {
                return Some(entry);
            }
        }
    })
}

/// A host name against one entry: the name itself or a name under it.
fn name_matches(name: &str, entry: &str) -> bool {
    let entry = entry.strip_suffix('.').unwrap_or(entry);
    let entry = entry.strip_prefix('.').unwrap_or(entry);
    if entry.is_empty() || name.len() < entry.len() {
        return false;
    }
    if name.len() == entry.len() {
        return name.eq_ignore_ascii_case(entry);
    }
    let cut = name.len() - entry.len();
    name.as_bytes()[cut - 1] == b'.' && name.get(cut..).is_some_and(|tail| tail.eq_ignore_ascii_case(entry))
}

/// An IP address against one entry: the same address, or inside a range
/// written `address/bits`. A name never matches an address.
fn ip_matches(ip: IpAddr, entry: &str) -> bool {
    let (address, bits) = match entry.split_once('/') {
        Some((address, bits)) => match bits.parse::<u32>() {
            Ok(bits) => (address, Some(bits)),
            Err(_) => return false,
        },
        None => (entry, None),
    };
    let address = address.strip_prefix('[').and_then(|inner| inner.strip_suffix(']')).unwrap_or(address);
    let Ok(listed) = address.parse::<IpAddr>() else { return false };
    match (ip, listed) {
        (IpAddr::V4(ip), IpAddr::V4(listed)) => prefix_matches(&ip.octets(), &listed.octets(), bits),
        (IpAddr::V6(ip), IpAddr::V6(listed)) => prefix_matches(&ip.octets(), &listed.octets(), bits),
        _ => false,
    }
}

/// The first `bits` bits agree (all of them when `bits` is None or 0, as
/// curl reads `/0`); more bits than the address has match nothing.
fn prefix_matches(ip: &[u8], listed: &[u8], bits: Option<u32>) -> bool {
    let length = (ip.len() * 8) as u32;
    let bits = match bits {
        None | Some(0) => length,
        Some(bits) if bits > length => return false,
        Some(bits) => bits,
    };
    let whole = (bits / 8) as usize;
    if ip[..whole] != listed[..whole] {
        return false;
    }
    let rest = bits % 8;
    rest == 0 || (ip[whole] ^ listed[whole]) >> (8 - rest) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(key, _)| *key == name).map(|(_, value)| value.to_string())
    }

    fn chosen(host: &str, tls: bool, pairs: &[(&str, &str)]) -> Option<(&'static str, String)> {
        choose(host, tls, env(pairs))
    }

    #[test]
    fn the_scheme_picks_the_variable() {
        let all = [("http_proxy", "h:1"), ("https_proxy", "s:1"), ("all_proxy", "a:1")];
        assert_eq!(chosen("x", false, &all), Some(("http_proxy", "h:1".into())));
        assert_eq!(chosen("x", true, &all), Some(("https_proxy", "s:1".into())));
        // ws_proxy and wss_proxy come first, as in curl.
        let ws = [("ws_proxy", "w:1"), ("http_proxy", "h:1"), ("WSS_PROXY", "W:1"), ("https_proxy", "s:1")];
        assert_eq!(chosen("x", false, &ws), Some(("ws_proxy", "w:1".into())));
        assert_eq!(chosen("x", true, &ws), Some(("WSS_PROXY", "W:1".into())));
        // Only all_proxy: both schemes use it; lower case first.
        let only_all = [("ALL_PROXY", "A:1"), ("all_proxy", "a:1")];
        assert_eq!(chosen("x", false, &only_all), Some(("all_proxy", "a:1".into())));
        assert_eq!(chosen("x", true, &[("ALL_PROXY", "A:1")]), Some(("ALL_PROXY", "A:1".into())));
        assert_eq!(chosen("x", false, &[]), None);
    }

    #[test]
    fn upper_case_http_proxy_is_ignored_but_https_proxy_is_read() {
        assert_eq!(chosen("x", false, &[("HTTP_PROXY", "evil:1")]), None);
        assert_eq!(chosen("x", false, &[("HTTP_PROXY", "evil:1"), ("ALL_PROXY", "a:1")]).unwrap().0, "ALL_PROXY");
        assert_eq!(chosen("x", true, &[("HTTPS_PROXY", "s:1")]), Some(("HTTPS_PROXY", "s:1".into())));
        // http_proxy is for ws:// only.
        assert_eq!(chosen("x", true, &[("http_proxy", "h:1")]), None);
        assert_eq!(chosen("x", false, &[("https_proxy", "s:1")]), None);
    }

    #[test]
    fn empty_values_count_as_unset() {
        assert_eq!(chosen("x", false, &[("http_proxy", ""), ("all_proxy", "a:1")]).unwrap().0, "all_proxy");
        assert_eq!(chosen("x", false, &[("http_proxy", "  ")]), None);
        let empty_no_proxy = [("http_proxy", "h:1"), ("no_proxy", ""), ("NO_PROXY", "x")];
        assert_eq!(chosen("x", false, &empty_no_proxy), None, "an empty no_proxy falls through to NO_PROXY");
        assert!(!bypasses("x", ""));
        assert!(!bypasses("", "*"));
    }

    #[test]
    fn no_proxy_lower_case_wins_over_upper_case() {
        let both = [("http_proxy", "h:1"), ("no_proxy", "a.com"), ("NO_PROXY", "b.com")];
        assert_eq!(chosen("a.com", false, &both), None);
        assert!(chosen("b.com", false, &both).is_some());
        assert_eq!(chosen("b.com", false, &[("http_proxy", "h:1"), ("NO_PROXY", "b.com")]), None);
    }

    #[test]
    fn a_star_alone_bypasses_every_host() {
        assert!(bypasses("example.com", "*"));
        assert!(bypasses("10.1.2.3", " * "));
        assert!(bypasses("[::1]", "*"));
        // Only alone: in a list it is a name like any other, as in curl.
        assert!(!bypasses("example.com", "foo,*"));
    }

    #[test]
    fn names_match_themselves_and_names_under_them() {
        for entry in ["example.com", ".example.com", "example.com.", "EXAMPLE.com"] {
            assert!(bypasses("example.com", entry), "{entry}");
            assert!(bypasses("api.example.com", entry), "{entry}");
            assert!(bypasses("a.b.Example.COM", entry), "{entry}");
            assert!(!bypasses("badexample.com", entry), "{entry}");
            assert!(!bypasses("example.com.evil", entry), "{entry}");
        }
        assert!(bypasses("example.com.", "example.com"), "a trailing dot on the host is ignored");
        assert!(!bypasses("com", "example.com"));
        assert!(!bypasses("example.com", "."));
    }

    #[test]
    fn lists_are_split_at_commas_with_blanks_around() {
        let list = " a.com ,\tb.com,,  c.com , ";
        for host in ["a.com", "b.com", "x.c.com"] {
            assert!(bypasses(host, list), "{host}");
        }
        assert!(!bypasses("d.com", list));
        // A blank without a comma ends the list, as curl reads it.
        assert!(bypasses("a.com", "a.com b.com"));
        assert!(!bypasses("b.com", "a.com b.com"));
    }

    #[test]
    fn ports_in_entries_match_nothing_and_the_urls_port_plays_no_part() {
        assert!(!bypasses("example.com", "example.com:8080"));
        assert!(!bypasses("127.0.0.1", "127.0.0.1:8080"));
        // The host is matched without its port: an entry covers every port.
        let env = [("http_proxy", "h:1"), ("no_proxy", "example.com")];
        assert_eq!(chosen("example.com", false, &env), None);
    }

    #[test]
    fn addresses_match_addresses_and_ranges() {
        assert!(bypasses("127.0.0.1", "127.0.0.1"));
        assert!(bypasses("127.0.0.1", "localhost,127.0.0.1"));
        assert!(!bypasses("127.0.0.2", "127.0.0.1"));
        assert!(bypasses("10.1.2.3", "10.0.0.0/8"));
        assert!(bypasses("192.168.1.77", "192.168.1.64/26"));
        assert!(!bypasses("192.168.1.128", "192.168.1.64/26"));
        assert!(!bypasses("10.1.2.3", "10.0.0.0/33"));
        assert!(!bypasses("10.1.2.3", "10.0.0.0/x"));
        // IPv6, with or without brackets on either side.
        assert!(bypasses("[::1]", "::1"));
        assert!(bypasses("::1", "[::1]"));
        assert!(bypasses("[2001:db8::5]", "2001:db8::/32"));
        assert!(!bypasses("[2001:db9::5]", "2001:db8::/32"));
        // Names and addresses never match each other.
        assert!(!bypasses("127.0.0.1", "localhost"));
        assert!(!bypasses("localhost", "127.0.0.1"));
        assert!(!bypasses("1.2.3.4", ".3.4"));
        assert!(!bypasses("[::1]", "127.0.0.1"));
    }

    #[test]
    fn no_proxy_applies_to_the_chosen_variable_whatever_it_is() {
        let env = [("https_proxy", "s:1"), ("all_proxy", "a:1"), ("no_proxy", ".internal")];
        assert_eq!(chosen("api.internal", true, &env), None);
        assert_eq!(chosen("api.internal", false, &env), None);
        assert_eq!(chosen("api.example", false, &env), Some(("all_proxy", "a:1".into())));
    }
}
