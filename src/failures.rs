//! A failed opening handshake explained, like a close code: what the stage
//! and HTTP status mean and what to do. The reconnect line is written from
//! the policy (`codes::failure_policy_line`), so it never disagrees.

use crate::close::Stage;

pub struct FailureExplanation {
    pub title: String,
    pub meaning: &'static str,
    pub action: &'static str,
}

/// `detail` is the failure's own: it tells a client certificate's trouble
/// from other failures of the same stage and status.
pub fn explain(stage: Stage, http_status: Option<u16>, detail: &str) -> FailureExplanation {
    let title = match (stage, http_status) {
        (Stage::Http, Some(status)) => format!("HTTP {status}"),
        (Stage::Proxy, Some(status)) => format!("proxy HTTP {status}"),
        _ => format!("{} failure", stage.as_str()),
    };
    if let Some((meaning, action)) = client_certificate(detail) {
        return FailureExplanation { title, meaning, action };
    }
    let (meaning, action) = match (stage, http_status) {
        (Stage::Dns, _) => {
            ("The host name did not resolve.", "Check the URL's host and the resolver (a typo, a missing record).")
        }
        (Stage::Tcp, _) => (
            "No TCP connection: refused, unreachable or reset. During a deploy: the server is not listening yet.",
            "If it lasts, check that the service runs and listens on that port, and firewalls between.",
        ),
        (Stage::Tls, _) => (
            "The TLS handshake failed: an untrusted or expired certificate, a name mismatch, or a protocol the server refuses.",
            "Check the certificate chain and name; a private CA goes in --ca-file (or tls.ca_file).",
        ),
        (Stage::Proxy, Some(401 | 407)) => (
            "The proxy refused the tunnel: its credentials are missing or wrong (HTTP 407 Proxy Authentication Required).",
            "Check the user and password in the proxy URL (--proxy, a profile's proxy, or the *_proxy variable) and the variable they expand (${PROXY_PASS}).",
        ),
        (Stage::Proxy, Some(500..=599)) => (
            "The proxy could not reach the server (refused, unreachable, timed out), or failed itself (5xx).",
            "Check that the server is up and that the proxy may reach it; during a deploy it comes back on its own.",
        ),
        (Stage::Proxy, Some(_)) => (
            "The proxy refused the tunnel (HTTP CONNECT): its rules forbid this host or port, or it took the request as malformed.",
            "Read the detail; check the proxy's rules for this host and port (CONNECT is often allowed to 443 only).",
        ),
        (Stage::Proxy, None) => (
            "The proxy could not be reached, closed the connection, answered something other than HTTP, or (SOCKS5) refused the user, the password or the request.",
            "Read the detail: check the proxy's address and port, its credentials, and that it speaks the URL's scheme (http://, socks5://, socks5h://).",
        ),
        (Stage::Timeout, _) => (
            "A stage of the connection took longer than --connect-timeout.",
            "Check the network path and the server's load; raise --connect-timeout if it is slow by design.",
        ),
        (Stage::Http, Some(101)) => (
            "The server answered 101 but broke RFC 6455 §4.1 (a missing Upgrade or Connection header, a wrong accept key, an unrequested subprotocol): usually a proxy or a broken server.",
            "Read the detail for the rule; check proxies between wsmon and the server.",
        ),
        (Stage::Http, Some(401 | 403)) => (
            "The server refused the upgrade: the credentials are missing, wrong or expired, or not allowed here.",
            "Check the Authorization header and the variable it expands (${TOKEN}); a token may have expired.",
        ),
        (Stage::Http, Some(404)) => {
            ("The path does not exist on that server.", "Check the URL's path (and the proxy's routes).")
        }
        (Stage::Http, Some(400..=499)) => (
            "The server refused the request as made (a client error).",
            "Read the detail: a header, an origin or a subprotocol it wants.",
        ),
        (Stage::Http, Some(500..=599)) => (
            "The server, or a gateway in front of it, failed (5xx). During a deploy: the backend is not ready yet.",
            "If it lasts, check the backend and the gateway's logs.",
        ),
        (Stage::Http, _) => (
            "The HTTP upgrade failed without a usable answer.",
            "Read the detail; check that the endpoint speaks WebSocket.",
        ),
    };
    FailureExplanation { title, meaning, action }
}

/// A server that wants a client certificate (mutual TLS) or refused the one
/// sent, by the words the engine writes for a TLS alert
/// (`classify::tls_io_error`) or the title of nginx's 400 page.
fn client_certificate(detail: &str) -> Option<(&'static str, &'static str)> {
    const WANTED: [&str; 2] = ["asked for a client certificate", "No required SSL certificate was sent"];
    const REFUSED: [&str; 2] = ["refused the client certificate", "The SSL certificate error"];
    if WANTED.iter().any(|words| detail.contains(words)) {
        return Some((
            "The server wants a client certificate (mutual TLS) and none was sent.",
            "The server wants a client certificate: give --cert and --key (or tls = { cert_file, key_file } in a profile), the certificate its CA issued and its key.",
        ));
    }
    REFUSED.iter().any(|words| detail.contains(words)).then_some((
        "The server refused the client certificate: not issued by a CA it trusts, expired, revoked or not allowed there.",
        "Check that --cert is the certificate the server's CA issued (any intermediates after it in the file), still valid, and --key its key.",
    ))
}

/// A failed try in a few characters, for a row or a history line:
/// "HTTP 401", "tcp failed", "proxy 407".
pub fn short(stage: Stage, http_status: Option<u16>) -> String {
    match (stage, http_status) {
        (Stage::Http, Some(status)) => format!("HTTP {status}"),
        (Stage::Proxy, Some(status)) => format!("proxy {status}"),
        (stage, _) => format!("{} failed", stage.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_client_certificate_says_to_give_one() {
        for (stage, status, detail) in [
            (Stage::Tls, None, "the server asked for a client certificate (TLS alert certificate_required)"),
            (Stage::Http, Some(400), "HTTP 400 Bad Request: 400 No required SSL certificate was sent"),
        ] {
            let explained = explain(stage, status, detail);
            assert!(explained.action.starts_with("The server wants a client certificate: give --cert and --key"));
        }
        assert_eq!(
            explain(Stage::Http, Some(400), "HTTP 400 Bad Request: 400 No required SSL certificate was sent").title,
            "HTTP 400"
        );
        let refused = explain(Stage::Tls, None, "the server refused the client certificate (TLS alert unknown_ca)");
        assert!(refused.meaning.starts_with("The server refused the client certificate"), "{}", refused.meaning);
        let other = explain(Stage::Http, Some(400), "HTTP 400 Bad Request: missing header");
        assert!(other.meaning.contains("client error"), "{}", other.meaning);
    }
}
