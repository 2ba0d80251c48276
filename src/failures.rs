//! A failed opening handshake explained, like a close code: what the stage
//! and HTTP status mean and what to do, in English or Japanese
//! (docs/ARCHITECTURE.md, "Languages"). The reconnect line is written from
//! the policy (`codes::failure_policy_line`), so it never disagrees.

use crate::close::Stage;
use crate::lang::Lang;

pub struct FailureExplanation {
    pub title: String,
    pub meaning: &'static str,
    pub action: &'static str,
}

/// `detail` is the failure's own: it tells a client certificate's trouble
/// from other failures of the same stage and status.
pub fn explain(stage: Stage, http_status: Option<u16>, detail: &str, lang: Lang) -> FailureExplanation {
    let title = match (stage, http_status, lang) {
        (Stage::Http, Some(status), _) => format!("HTTP {status}"),
        (Stage::Proxy, Some(status), Lang::En) => format!("proxy HTTP {status}"),
        (Stage::Proxy, Some(status), Lang::Ja) => format!("プロキシ HTTP {status}"),
        (_, _, Lang::En) => format!("{} failure", stage.as_str()),
        (_, _, Lang::Ja) => format!("{} 段階の失敗", stage.as_str()),
    };
    let (meaning, action) = client_certificate(detail, lang).unwrap_or_else(|| match lang {
        Lang::En => english(stage, http_status),
        Lang::Ja => japanese(stage, http_status),
    });
    FailureExplanation { title, meaning, action }
}

fn english(stage: Stage, http_status: Option<u16>) -> (&'static str, &'static str) {
    match (stage, http_status) {
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
    }
}

fn japanese(stage: Stage, http_status: Option<u16>) -> (&'static str, &'static str) {
    match (stage, http_status) {
        (Stage::Dns, _) => (
            "ホスト名を名前解決できませんでした。",
            "URL のホスト名とリゾルバーを確認してください（綴りの誤り、DNS レコードの欠落など）。",
        ),
        (Stage::Tcp, _) => (
            "TCP 接続ができませんでした（拒否、到達不能、リセット）。デプロイ中なら、サーバーがまだ待ち受けを始めていないだけです。",
            "続く場合は、サービスが動いていてそのポートで待ち受けているか、途中のファイアウォールも含めて確認してください。",
        ),
        (Stage::Tls, _) => (
            "TLS ハンドシェイクに失敗しました。信頼されていないか期限切れの証明書、名前の不一致、またはサーバーが受け付けないプロトコルです。",
            "証明書チェーンと名前を確認してください。プライベート CA は --ca-file（または tls.ca_file）で指定します。",
        ),
        (Stage::Proxy, Some(401 | 407)) => (
            "プロキシがトンネルを拒否しました。認証情報がないか誤っています (HTTP 407 Proxy Authentication Required)。",
            "プロキシ URL（--proxy、プロファイルの proxy、*_proxy 環境変数）のユーザーとパスワード、展開される変数 (${PROXY_PASS}) を確認してください。",
        ),
        (Stage::Proxy, Some(500..=599)) => (
            "プロキシがサーバーに到達できなかった（拒否、到達不能、タイムアウト）か、プロキシ自身が失敗しました (5xx)。",
            "サーバーが動いていて、プロキシから到達できるかを確認してください。デプロイ中なら自然に戻ります。",
        ),
        (Stage::Proxy, Some(_)) => (
            "プロキシがトンネル (HTTP CONNECT) を拒否しました。このホストやポートがプロキシの規則で禁止されているか、リクエストが不正と見なされました。",
            "詳細 (detail) を読み、このホストとポートについてのプロキシの規則を確認してください（CONNECT は 443 番だけ許可されていることがよくあります）。",
        ),
        (Stage::Proxy, None) => (
            "プロキシに接続できなかった、接続を閉じられた、HTTP 以外の応答が返った、または (SOCKS5) ユーザー、パスワード、要求が拒否されました。",
            "詳細 (detail) を読み、プロキシのアドレスとポート、認証情報、URL のスキーム (http://, socks5://, socks5h://) に合っているかを確認してください。",
        ),
        (Stage::Timeout, _) => (
            "接続のどこかの段階が --connect-timeout より長くかかりました。",
            "ネットワーク経路とサーバーの負荷を確認してください。もともと遅いエンドポイントなら --connect-timeout を延ばします。",
        ),
        (Stage::Http, Some(101)) => (
            "サーバーは 101 を返しましたが、RFC 6455 の 4.1 節に反していました（Upgrade や Connection ヘッダーがない、accept キーが違う、頼んでいないサブプロトコルなど）。多くはプロキシか、壊れたサーバーが原因です。",
            "詳細 (detail) でどの規則かを確かめ、wsmon とサーバーの間にあるプロキシを調べてください。",
        ),
        (Stage::Http, Some(401 | 403)) => (
            "サーバーがアップグレードを拒否しました。認証情報がない、間違っている、期限切れ、またはここでは許可されていません。",
            "Authorization ヘッダーと、そこで展開される変数（${TOKEN}）を確認してください。トークンの期限が切れているかもしれません。",
        ),
        (Stage::Http, Some(404)) => {
            ("そのパスはサーバーにありません。", "URL のパス（とプロキシのルーティング）を確認してください。")
        }
        (Stage::Http, Some(400..=499)) => (
            "サーバーがリクエストの内容を拒否しました（クライアントエラー）。",
            "詳細 (detail) を読んでください。サーバーが求めるヘッダー、オリジン、サブプロトコルが分かります。",
        ),
        (Stage::Http, Some(500..=599)) => (
            "サーバーか、その前段のゲートウェイが失敗しました (5xx)。デプロイ中なら、バックエンドの準備がまだできていません。",
            "続く場合は、バックエンドとゲートウェイのログを確認してください。",
        ),
        (Stage::Http, _) => (
            "HTTP のアップグレードが、使える応答のないまま失敗しました。",
            "詳細 (detail) を読み、そのエンドポイントが WebSocket で話すかどうかを確認してください。",
        ),
    }
}

/// A server that wants a client certificate (mutual TLS) or refused the one
/// sent, by the words the engine writes for a TLS alert
/// (`classify::tls_io_error`) or the title of nginx's 400 page.
fn client_certificate(detail: &str, lang: Lang) -> Option<(&'static str, &'static str)> {
    const WANTED: [&str; 2] = ["asked for a client certificate", "No required SSL certificate was sent"];
    const REFUSED: [&str; 2] = ["refused the client certificate", "The SSL certificate error"];
    if WANTED.iter().any(|words| detail.contains(words)) {
        return Some(match lang {
            Lang::En => (
                "The server wants a client certificate (mutual TLS) and none was sent.",
                "The server wants a client certificate: give --cert and --key (or tls = { cert_file, key_file } in a profile), the certificate its CA issued and its key.",
            ),
            Lang::Ja => (
                "サーバーはクライアント証明書（相互 TLS）を求めていますが、送られていません。",
                "--cert と --key（またはプロファイルの tls = { cert_file, key_file }）で、サーバーの CA が発行した証明書とその鍵を指定してください。",
            ),
        });
    }
    REFUSED.iter().any(|words| detail.contains(words)).then_some(match lang {
        Lang::En => (
            "The server refused the client certificate: not issued by a CA it trusts, expired, revoked or not allowed there.",
            "Check that --cert is the certificate the server's CA issued (any intermediates after it in the file), still valid, and --key its key.",
        ),
        Lang::Ja => (
            "サーバーがクライアント証明書を拒否しました。信頼する CA が発行したものでないか、期限切れ、失効、またはそこでは許可されていません。",
            "--cert がサーバーの CA が発行した証明書（中間証明書はその後ろ）で有効期限内か、--key がその鍵かを確認してください。",
        ),
    })
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

    const CASES: [(Stage, Option<u16>); 13] = [
        (Stage::Proxy, Some(407)),
        (Stage::Proxy, None),
        (Stage::Dns, None),
        (Stage::Tcp, None),
        (Stage::Tls, None),
        (Stage::Timeout, Some(101)),
        (Stage::Http, Some(101)),
        (Stage::Http, Some(401)),
        (Stage::Http, Some(404)),
        (Stage::Http, Some(429)),
        (Stage::Http, Some(503)),
        (Stage::Http, Some(302)),
        (Stage::Http, None),
    ];

    #[test]
    fn every_failure_is_explained_in_both_languages() {
        for (stage, status) in CASES {
            let (en, ja) = (explain(stage, status, "", Lang::En), explain(stage, status, "", Lang::Ja));
            assert!(!en.meaning.is_empty() && !en.action.is_empty(), "{stage:?} {status:?}");
            assert!(!ja.meaning.is_ascii() && !ja.action.is_ascii(), "{stage:?} {status:?}");
            for text in [ja.meaning, ja.action] {
                assert!(!text.contains(['–', '§', '×', '→', '…', '·']), "ambiguous width: {text}");
            }
        }
        assert_eq!(explain(Stage::Tcp, None, "", Lang::Ja).title, "tcp 段階の失敗");
        assert_eq!(explain(Stage::Http, Some(401), "", Lang::Ja).title, "HTTP 401");
    }

    #[test]
    fn a_missing_client_certificate_says_to_give_one() {
        for (stage, status, detail) in [
            (Stage::Tls, None, "the server asked for a client certificate (TLS alert certificate_required)"),
            (Stage::Http, Some(400), "HTTP 400 Bad Request: 400 No required SSL certificate was sent"),
        ] {
            let explained = explain(stage, status, detail, Lang::En);
            assert!(explained.action.starts_with("The server wants a client certificate: give --cert and --key"));
        }
        assert_eq!(
            explain(Stage::Http, Some(400), "HTTP 400 Bad Request: 400 No required SSL certificate was sent", Lang::En)
                .title,
            "HTTP 400"
        );
        let refused =
            explain(Stage::Tls, None, "the server refused the client certificate (TLS alert unknown_ca)", Lang::En);
        assert!(refused.meaning.starts_with("The server refused the client certificate"), "{}", refused.meaning);
        let other = explain(Stage::Http, Some(400), "HTTP 400 Bad Request: missing header", Lang::En);
        assert!(other.meaning.contains("client error"), "{}", other.meaning);
    }
}
